#include "health-load.h"

#include "error.h"
#include "layout.h"
#include "names.h"
#include "schedule.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ith_health_load(const struct ith_config *cfg, const struct ith_profile *p, const char *instance, bool public,
	int64_t now, struct ith_health *h)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;  /* a failure is reported as the profile's health */
	struct ith_public pub;
	struct ith_state st;
	int r;

	ith_health_init(h, p->name, cfg->cluster_id, p);
	if (p->hosts_cause) {  /* the profile stands for its hosts, and its hosts_file cannot be used */
		ith_health_set_error(h, p->hosts_error);
		return;
	}
	r = public ? ith_state_load_public(cfg->status_dir, p->name, &st, &pub, &err)
		   : ith_state_load(cfg->state_dir, p->name, instance, &st, &err);
	if (r < 0)
		ith_health_set_error(h, ith_err_msg(&err));
	ith_strbuf_release(&err);
	if (r < 0)
		return;
	if (public)
		instance = st.instance;
	ith_health_from_state(h, &st, st.has_current ? ith_token_renew_at(&st.current, p, instance) : 0, now);
	ith_state_release(&st);
}

void ith_health_load_published(const char *dir, const char *name, int64_t now, struct ith_health *h)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;  /* a failure is reported as the profile's health */
	struct ith_public pub;
	struct ith_state st;
	int r;

	ith_health_init(h, name, "", NULL);
	r = ith_state_load_public(dir, name, &st, &pub, &err);
	if (r < 0)
		ith_health_set_error(h, ith_err_msg(&err));
	ith_strbuf_release(&err);
	if (r < 0)
		return;
	snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", pub.cluster_id);
	ith_health_from_state(h, &st, pub.renew_at, now);
	ith_state_release(&st);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NAME of NAME.json when it is a valid profile name, else NULL. */
static char *published_name(const char *file)
{
	size_t len = strlen(file), slen = strlen(ITH_LAYOUT_STATUS);
	char *name;

	if (len <= slen || strcmp(file + len - slen, ITH_LAYOUT_STATUS))
		return NULL;
	name = ith_xstrndup(file, len - slen);
	if (!ith_valid_profile_ref(name)) {
		free(name);
		return NULL;
	}
	return name;
}

int ith_health_published_names(const char *dir, char ***out, size_t *n, struct ith_strbuf *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, *name;
	size_t k = 0, alloc = 0;

	*out = NULL;
	*n = 0;
	if (!d) {
		/* no lines would read as "all is well" to a collector that stays empty: say why instead */
		if (errno == ENOENT)
			return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "status --from: '%s' does not exist: nothing has been "
				"published there since boot (is it the configuration's status_dir? has the helper run? "
				"systemctl start influx-token-helper.service)", dir);
		return ith_err(err, errno == EACCES || errno == EPERM ? ith_errno_cause(errno) : ITH_ERR_CONFIG,
			"status --from: cannot open '%s': %s", dir,
			strerror(errno));
	}
	while ((e = readdir(d))) {
		if (!(name = published_name(e->d_name)))
			continue;
		if (k == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			char **nv = ith_xcalloc(alloc, sizeof(*nv));
			if (k)
				memcpy(nv, v, k * sizeof(*nv));
			free(v);
			v = nv;
		}
		v[k++] = name;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	return 0;
}
