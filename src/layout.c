#include "layout.h"
#include "error.h"
#include "mem.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

char *ith_layout_file(const char *dir, const char *name, const char *kind)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;

	ith_strbuf_addf(&sb, "%s/%s%s", dir, name, kind);
	return ith_strbuf_detach(&sb);
}

/* The system directory for root; for anyone else their own, as per-user
 * tools keep state: $XDG_STATE_HOME/influx-token-helper, else
 * ~/.local/state/influx-token-helper. */
int ith_layout_default_state_dir(char **out, struct ith_strbuf *err)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct ith_strbuf sb = ITH_STRBUF_INIT;

	if (geteuid() == 0) {
		*out = ith_xstrdup(ITH_DEFAULT_STATE_DIR);
		return 0;
	}
	if (xdg && xdg[0] == '/') {  /* the XDG spec: a relative value is ignored */
		ith_strbuf_addf(&sb, "%s/influx-token-helper", xdg);
	} else {
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(geteuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/')
			return ith_err(err, ITH_ERR_CONFIG, "state_dir: not set, and uid %u has no home directory for "
				"the default ~/.local/state/influx-token-helper; set state_dir", (unsigned)geteuid());
		ith_strbuf_addf(&sb, "%s/.local/state/influx-token-helper", home);
	}
	*out = ith_strbuf_detach(&sb);
	return 0;
}
