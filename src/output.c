#include "output.h"
#include "error.h"
#include "template.h"
#include "fs.h"
#include "time.h"
#include "id.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ith_format_parse(const char *s, enum ith_format *out, struct ith_strbuf *err)
{
	if (!strcmp(s, "raw"))
		*out = ITH_FMT_RAW;
	else if (!strcmp(s, "json"))
		*out = ITH_FMT_JSON;
	else if (!strcmp(s, "env"))
		*out = ITH_FMT_ENV;
	else if (!strcmp(s, "exec-credential"))
		*out = ITH_FMT_EXEC_CREDENTIAL;
	else
		return ith_err(err, ITH_ERR_USAGE, "unknown format '%.40s' (raw, json, env, exec-credential)", s);
	return 0;
}

/* JSON string escaping by hand: json-c would keep an unwipeable copy. */
static void add_json_string(struct ith_strbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	ith_strbuf_add(out, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			ith_strbuf_add(out, e, 2);
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			ith_strbuf_add(out, e, 6);
		} else {
			ith_strbuf_add(out, (const char *)&c, 1);
		}
	}
	ith_strbuf_add(out, "\"", 1);
}

static void add_sh_quoted(struct ith_strbuf *out, const char *s, size_t n)
{
	ith_strbuf_add(out, "'", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			ith_strbuf_addstr(out, "'\\''");
		else
			ith_strbuf_add(out, &s[i], 1);
	}
	ith_strbuf_add(out, "'", 1);
}

void ith_format_token(enum ith_format f, const struct ith_profile *p, const struct ith_state_token *t,
	struct ith_strbuf *out)
{
	char when[32];

	out->secret = true;
	ith_format_rfc3339(t->expires_at, when, sizeof(when));
	switch (f) {
	case ITH_FMT_RAW:
		ith_strbuf_add(out, t->token.s, t->token.len);
		break;
	case ITH_FMT_JSON:
		ith_strbuf_addstr(out, "{\"name\":");
		add_json_string(out, p->name, strlen(p->name));
		ith_strbuf_addf(out, ",\"id\":\"%s\",\"token\":", t->id);
		add_json_string(out, t->token.s, t->token.len);
		ith_strbuf_addf(out, ",\"expires_at\":\"%s\"}\n", when);
		break;
	case ITH_FMT_ENV:
		ith_strbuf_addf(out, "%s=", p->env_variable);
		add_sh_quoted(out, t->token.s, t->token.len);
		ith_strbuf_addf(out, "\n%s_EXPIRES_AT='%s'\n", p->env_variable, when);
		break;
	case ITH_FMT_EXEC_CREDENTIAL:
		ith_strbuf_addstr(out, "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
			"\"status\":{\"token\":");
		add_json_string(out, t->token.s, t->token.len);
		ith_strbuf_addf(out, ",\"expirationTimestamp\":\"%s\"}}\n", when);
		break;
	}
}

/* The sink's present content, up to cap bytes (a longer file differs anyway): 0, or 1 to rewrite it
 * (*missing: it does not exist). */
static int read_existing(int dfd, const char *path, size_t cap, char **text, size_t *len, bool *missing,
	struct ith_strbuf *err)
{
	int fd = openat(dfd, strrchr(path, '/') + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), r;

	*missing = false;
	if (fd < 0) {
		if (errno == ENOENT)
			return (*missing = true);
		if (errno == ELOOP)
			return ith_err(err, ITH_ERR_UNSAFE, "sink '%s' is a symbolic link; refusing to write through it (remove it)", path);
		return 1;  /* unreadable: rewrite it */
	}
	struct ith_strbuf ignored = ITH_STRBUF_INIT;  /* unreadable or longer: rewrite it */
	r = ith_read_fd_capped(fd, cap, text, len, path, &ignored);
	ith_strbuf_release(&ignored);
	close(fd);
	return r < 0 ? 1 : 0;
}

/*
 * The sink's directory, opened once (ith_dir_open_secure): created 0755 when
 * missing -- despite our umask 077, the consumer (e.g. group telegraf) must
 * traverse it; the token files' own modes keep them private. Refused when
 * someone else could swap it. Every later step goes through the descriptor.
 */
static int open_parent(const char *path, mode_t create_mode, bool *missing, struct ith_strbuf *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		return ith_err(err, ITH_ERR_CONFIG, "sink '%s' is not an absolute path", path);
	dir = slash == path ? ith_xstrdup("/") : ith_xstrndup(path, (size_t)(slash - path));
	/*
	 * Not created (read-only check): a directory that is not there is no
	 * error, the sink is missing -- when the write would make it: only the
	 * last directory is missing, and every one above it passed.
	 */
	if (create_mode) {
		fd = ith_dir_open_secure(dir, create_mode, "sink directory", err);
	} else {
		bool any;
		fd = ith_dir_open_existing(dir, "sink directory", &any, missing, err);
	}
	free(dir);
	return fd;
}

/* The sink's content for t (a secret strbuf). */
static void render(const struct ith_sink *s, const struct ith_profile *p, const struct ith_state_token *t,
	struct ith_strbuf *want)
{
	if (s->type == ITH_SINK_TEMPLATE)
		ith_template_render(s->tmpl, p, t, want);
	else
		ith_format_token(s->type == ITH_SINK_ENV ? ITH_FMT_ENV : ITH_FMT_RAW, p, t, want);
}

/* Does the sink (in dfd) differ from want, in content, mode or group: *diff. Reads only. */
static int compare(int dfd, const struct ith_sink *s, const struct ith_strbuf *want, enum ith_sink_diff *diff,
	struct ith_strbuf *err)
{
	char *have = NULL;
	size_t have_len = 0;
	bool missing;
	struct stat st;
	int r = read_existing(dfd, s->path, want->len + 1, &have, &have_len, &missing, err);

	if (r < 0)
		return r;
	*diff = missing ? ITH_SINK_MISSING : ITH_SINK_DIFFERS;
	if (r == 0 && have_len == want->len && !memcmp(have, want->buf, want->len) &&
	    fstatat(dfd, strrchr(s->path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & 07777) == s->mode && (s->gid == (gid_t)-1 || st.st_gid == s->gid))
		*diff = ITH_SINK_SAME;
	if (have)
		ith_freezero(have, have_len + 1);
	return 0;
}

int ith_sink_sync(const struct ith_sink *s, const struct ith_profile *p, const struct ith_state_token *t,
	bool *changed, struct ith_strbuf *err)
{
	struct ith_strbuf want = ITH_STRBUF_INIT;
	enum ith_sink_diff diff;
	bool missing;
	int r, dfd;

	*changed = false;
	if ((dfd = open_parent(s->path, 0755, &missing, err)) < 0)
		return dfd;
	render(s, p, t, &want);
	r = compare(dfd, s, &want, &diff, err);
	if (r == 0 && diff != ITH_SINK_SAME) {
		r = ith_write_atomic_at(dfd, s->path, want.buf, want.len, s->mode, s->gid, err);
		*changed = r == 0;
	}
	close(dfd);
	ith_strbuf_release(&want);
	return r;
}

int ith_sink_check(const struct ith_sink *s, const struct ith_profile *p, const struct ith_state_token *t,
	enum ith_sink_diff *diff, struct ith_strbuf *err)
{
	struct ith_strbuf want = ITH_STRBUF_INIT, derr = ITH_STRBUF_INIT;
	bool missing = false;
	struct stat st;
	int r, dfd = open_parent(s->path, 0, &missing, &derr);

	*diff = ITH_SINK_MISSING;
	if (dfd < 0) {  /* its directory is missing: made by the write, no error */
		r = missing ? 0 : ith_err_move(err, &derr, dfd);
		ith_strbuf_release(&derr);
		return r;
	}
	if (fstatat(dfd, strrchr(s->path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		close(dfd);  /* the write's rename would fail */
		return ith_err(err, ITH_ERR_IO, "sink '%s' is a directory", s->path);
	}
	render(s, p, t, &want);
	r = compare(dfd, s, &want, diff, err);
	close(dfd);
	ith_strbuf_release(&want);
	return r;
}

int ith_sink_remove_check(const struct ith_sink *s, bool *exists, struct ith_strbuf *err)
{
	return ith_unlink_check(s->path, exists, err);
}

int ith_sink_remove(const struct ith_sink *s, struct ith_strbuf *err)
{
	return ith_unlink_if_exists(s->path, err);
}

static const char *sink_type_name(const struct ith_sink *s)
{
	switch (s->type) {
	case ITH_SINK_FILE:
		return "file";
	case ITH_SINK_ENV:
		return "env";
	case ITH_SINK_TEMPLATE:
		return "template";
	case ITH_SINK_VAULT:
		return "vault";
	case ITH_SINK_KUBERNETES:
		return "kubernetes";
	}
	return "?";
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

void ith_sink_key(const struct ith_sink *s, char out[ITH_SINK_KEY_LEN + 1])
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;

	if (s->type == ITH_SINK_VAULT)
		ith_strbuf_addf(&sb, "vault:%s:%s:%s/%s", s->address, or_empty(s->namespace), s->mount, s->path);
	else if (s->type == ITH_SINK_KUBERNETES)
		ith_strbuf_addf(&sb, "kubernetes:%s:%s/%s:%s", or_empty(s->server), s->namespace, s->secret, s->key);
	else
		ith_strbuf_addf(&sb, "%s:%s", sink_type_name(s), or_empty(s->path));
	snprintf(out, ITH_SINK_KEY_LEN + 1, "%016llx", (unsigned long long)ith_hash64(sb.buf));
	ith_strbuf_release(&sb);
}
