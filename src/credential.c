#include "credential.h"
#include "error.h"
#include "layout.h"
#include "fs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int token_from_text(char *text, size_t len, const char *what, struct ith_secret *out, struct ith_strbuf *err)
{
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0)
		return ith_err(err, ITH_ERR_CONFIG, "%s is empty", what);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] <= 0x20 || text[i] == 0x7f)
			return ith_err(err, ITH_ERR_CONFIG, "%s holds whitespace or control characters; it must hold the token alone", what);
	ith_secret_set(out, text, len);
	return 0;
}

int ith_secret_file_load(const char *path, bool private, const char *what, struct ith_secret *out,
	struct ith_strbuf *err)
{
	char *text = NULL;
	size_t len = 0;
	int r = ith_read_file(path, 16384, private, what, &text, &len, err);

	if (r == 0) {
		r = token_from_text(text, len, what, out, err);
		ith_freezero(text, len + 1);
	}
	return r;
}

static int token_from_file(const char *path, struct ith_secret *out, struct ith_strbuf *err)
{
	char what[4200];

	snprintf(what, sizeof(what), "management token file '%s'", path);
	return ith_secret_file_load(path, true, what, out, err);
}

int ith_mgmt_token_load(const struct ith_config *cfg, struct ith_secret *out, struct ith_strbuf *err)
{
	const char *cd;

	if (cfg->token_file)
		return token_from_file(cfg->token_file, out, err);
	if (cfg->token_env) {
		const char *e = getenv(cfg->token_env);
		char *copy;
		int r;
		if (!e || !*e)
			return ith_err(err, ITH_ERR_CONFIG, "management.token_env: environment variable %s is not set", cfg->token_env);
		copy = ith_xstrdup(e);
		r = token_from_text(copy, strlen(copy), "management token variable", out, err);
		ith_free_secret_str(copy);
		return r;
	}
	cd = getenv("CREDENTIALS_DIRECTORY");
	if (cd && *cd) {
		char *p = ith_layout_file(cd, ITH_LAYOUT_CREDENTIAL, ITH_LAYOUT_PLAIN);
		int r = token_from_file(p, out, err);
		free(p);
		return r;
	}
	return ith_err(err, ITH_ERR_CONFIG, "%s: no management token: set management.token_file or management.token_env, "
		"or run under systemd with LoadCredential=management-token:... (the packaged service does; by hand, as "
		"root: influx-token-helper-admin COMMAND)", cfg->path);
}
