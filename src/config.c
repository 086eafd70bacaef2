#include "config.h"
#include "error.h"
#include "layout.h"
#include "names.h"
#include "template-parse.h"
#include "url.h"
#include "fs.h"
#include "mem.h"
#include "text.h"
#include "time.h"
#include "trust.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <grp.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Validation context: where we are, for "FILE:LINE: SETTING: what" messages. */
struct vctx {
	const char *file;
	struct ith_strbuf *err;  /* the caller's: every message of the validation goes there */
};

static int verr(const struct vctx *v, const config_setting_t *s, const char *name, const char *fmt, ...)
	ITH_PRINTF(4, 5);

static int verr(const struct vctx *v, const config_setting_t *s, const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = s ? config_setting_source_line(s) : 0;

	if (line > 0)
		return ith_err(v->err, ITH_ERR_CONFIG, "%s:%d: %s: %s", v->file, line, name, msg);
	return ith_err(v->err, ITH_ERR_CONFIG, "%s: %s: %s", v->file, name, msg);
}

/* A setting whose value a callee refused (its message is in v->err): the
 * setting in front; whatever the callee's cause, the configuration is what is wrong. */
static int verr_from(const struct vctx *v, const config_setting_t *s, const char *name)
{
	int line = s ? config_setting_source_line(s) : 0;

	if (line > 0)
		return ith_err_prefix(v->err, ITH_ERR_CONFIG, "%s:%d: %s", v->file, line, name);
	return ith_err_prefix(v->err, ITH_ERR_CONFIG, "%s: %s", v->file, name);
}

static void setting_name(char *buf, size_t len, const char *where, const char *key)
{
	snprintf(buf, len, "%s%s%s", where, *where ? "." : "", key);
}

static void strlist_release(struct ith_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool valid_env_name(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_') || !isascii((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!(isascii((unsigned char)*s) && (isalnum((unsigned char)*s) || *s == '_')))
			return false;
	return true;
}

static char *strip_slash(const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return ith_xstrndup(s, n);
}

static int parse_mode(const char *s, mode_t *out)
{
	char *end;
	long m;

	if (!s[0] || strlen(s) > 4)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return -1;
	errno = 0;
	m = strtol(s, &end, 8);
	if (errno || *end || m < 0 || m > 0777)
		return -1;
	*out = (mode_t)m;
	return 0;
}

static bool list_has(const struct ith_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

bool ith_probe_target(const struct ith_profile *p, const char **db, bool *write)
{
	if (p->probe_database) {
		*db = p->probe_database;
		*write = list_has(&p->write, p->probe_database) || list_has(&p->write, "*");
		return true;
	}
	for (size_t i = 0; i < p->write.n; i++)
		if (strcmp(p->write.v[i], "*")) {
			*db = p->write.v[i];
			*write = true;
			return true;
		}
	for (size_t i = 0; i < p->read.n; i++)
		if (strcmp(p->read.v[i], "*")) {
			*db = p->read.v[i];
			*write = false;
			return true;
		}
	return false;
}

static bool same_path(const char *a, const char *b)
{
	char *na = ith_path_normalize(a), *nb = ith_path_normalize(b);
	bool same = !strcmp(na, nb);

	free(na);
	free(nb);
	return same;
}

/* A file the helper owns or reads, for the collision check. */
struct owned_file {
	char *path;             /* normalised */
	char what[200];         /* the setting it comes from, for messages */
};

static void owned_add(struct owned_file **v, size_t *n, const char *path, const char *fmt, ...) ITH_PRINTF(4, 5);

static void owned_add(struct owned_file **v, size_t *n, const char *path, const char *fmt, ...)
{
	va_list ap;

	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (!*v)
		abort();
	(*v)[*n].path = ith_path_normalize(path);
	va_start(ap, fmt);
	vsnprintf((*v)[*n].what, sizeof((*v)[*n].what), fmt, ap);
	va_end(ap);
	(*n)++;
}

/* A file of the layout (layout.h): DIR/NAMEKIND. */
static void owned_layout(struct owned_file **v, size_t *n, const char *dir, const char *name, const char *kind,
	const char *fmt, ...) ITH_PRINTF(6, 7);

static void owned_layout(struct owned_file **v, size_t *n, const char *dir, const char *name, const char *kind,
	const char *fmt, ...)
{
	char *path = ith_layout_file(dir, name, kind), what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	owned_add(v, n, path, "%s", what);
	free(path);
}

/*
 * Two sinks, or a sink and a file the helper owns or reads (state files,
 * instance id, locks, status copies, token_file, ca_file, a hook program,
 * the config itself, state_dir or status_dir), resolving lexically to one
 * path: each rotation would overwrite the other. The layout is layout.h's.
 */
/* The files the helper uses itself: config, management token, CA, state, status, hooks. */
static void owned_fixed(const struct ith_config *cfg, struct owned_file **own, size_t *nown)
{
	const char *cd = getenv("CREDENTIALS_DIRECTORY");

	owned_add(own, nown, cfg->path, "the configuration file itself");
	if (cfg->token_file)
		owned_add(own, nown, cfg->token_file, "management.token_file");
	if (cfg->ca_file)
		owned_add(own, nown, cfg->ca_file, "management.ca_file");
	owned_add(own, nown, cfg->state_dir, "state_dir");
	owned_layout(own, nown, cfg->state_dir, ITH_LAYOUT_INSTANCE, ITH_LAYOUT_PLAIN, "state_dir (its instance file)");
	owned_layout(own, nown, cfg->state_dir, ITH_LAYOUT_INSTANCE, ITH_LAYOUT_LOCK, "state_dir (its instance lock)");
	if (cfg->status_dir)
		owned_add(own, nown, cfg->status_dir, "status_dir");
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		const struct ith_profile *p = &cfg->profiles[i];
		owned_layout(own, nown, cfg->state_dir, p->name, ITH_LAYOUT_STATE, "state_dir (profile %s's state file)", p->name);
		owned_layout(own, nown, cfg->state_dir, p->name, ITH_LAYOUT_LOCK, "state_dir (profile %s's lock file)", p->name);
		if (cfg->status_dir)
			owned_layout(own, nown, cfg->status_dir, p->name, ITH_LAYOUT_STATUS, "status_dir (profile %s's status copy)",
				p->name);
		if (p->on_rotate.n)
			owned_add(own, nown, p->on_rotate.v[0], "tokens[%zu] (%s).on_rotate[0]", i, p->name);
	}
	if (!cfg->token_file && !cfg->token_env && cd)
		owned_layout(own, nown, cd, ITH_LAYOUT_CREDENTIAL, ITH_LAYOUT_PLAIN,
			"the management token ($CREDENTIALS_DIRECTORY/" ITH_LAYOUT_CREDENTIAL ")");
}

/* A template is read into a sink: none of the helper's own files may be one. Returns 0 or the error. */
static int check_templates(const struct vctx *v, const struct ith_config *cfg, const config_setting_t *t,
	struct owned_file **own, size_t *nown)
{
	int r = 0;

	for (size_t i = 0; i < cfg->nprofiles && !r; i++) {
		const struct ith_profile *p = &cfg->profiles[i];
		const config_setting_t *ps = config_setting_get_member(config_setting_get_elem(t, (unsigned)i), "sinks");
		for (size_t j = 0; j < p->nsinks && !r; j++) {
			char name[160];
			if (!p->sinks[j].template_path)
				continue;
			snprintf(name, sizeof(name), "tokens[%zu] (%s).sinks[%zu].template", i, p->name, j);
			owned_add(own, nown, p->sinks[j].template_path, "%s", name);
			for (size_t k = 0; k + 1 < *nown && !r; k++)
				if (!strcmp((*own)[k].path, (*own)[*nown - 1].path) && !strstr((*own)[k].what, ".template"))
					r = verr(v, config_setting_get_member(config_setting_get_elem(ps, (unsigned)j), "template"),
						name, "'%s' is the same file as %s: a template is copied into its sink, so it must not be "
						"one of the helper's own files", p->sinks[j].template_path, (*own)[k].what);
		}
	}
	return r;
}

/* The metrics textfile, written after every rotate: none of the files above. Returns 0 or the error. */
static int check_textfile(const struct vctx *v, const struct ith_config *cfg, const config_setting_t *t,
	struct owned_file **own, size_t *nown)
{
	int r = 0;

	if (cfg->prometheus_textfile) {
		/* written after every rotate: none of the files above */
		owned_add(own, nown, cfg->prometheus_textfile, "prometheus_textfile");
		for (size_t k = 0; k + 1 < *nown && !r; k++)
			if (!strcmp((*own)[k].path, (*own)[*nown - 1].path))
				r = verr(v, config_setting_get_member(config_setting_parent(t), "prometheus_textfile"),
					"prometheus_textfile", "'%s' is the same file as %s; give the metrics a file of their own",
					cfg->prometheus_textfile, (*own)[k].what);
	}
	return r;
}

/* Every sink's path: not one of the helper's files (the first nfixed), not another sink's. */
static int check_sink_paths(const struct vctx *v, const struct ith_config *cfg, const config_setting_t *t,
	struct owned_file **own, size_t *nown, size_t nfixed)
{
	int r = 0;

	for (size_t i = 0; i < cfg->nprofiles && !r; i++) {
		const struct ith_profile *p = &cfg->profiles[i];
		const config_setting_t *ps = config_setting_get_member(config_setting_get_elem(t, (unsigned)i), "sinks");
		for (size_t j = 0; j < p->nsinks && !r; j++) {
			if (ith_sink_is_remote(&p->sinks[j]))
				continue;  /* not a local file */
			const config_setting_t *s = config_setting_get_member(config_setting_get_elem(ps, (unsigned)j), "path");
			char name[160];
			snprintf(name, sizeof(name), "tokens[%zu] (%s).sinks[%zu].path", i, p->name, j);
			owned_add(own, nown, p->sinks[j].path, "%s", name);
			for (size_t k = 0; k + 1 < *nown && !r; k++) {
				if (strcmp((*own)[k].path, (*own)[*nown - 1].path))
					continue;
				if (k >= nfixed)
					r = verr(v, s, name, "'%s' is used by two sinks: this one and %s; give each sink its own file",
						p->sinks[j].path, (*own)[k].what);
				else
					r = verr(v, s, name, "'%s' is the same file as %s ('%s'), which the helper uses itself; "
						"give the sink a path of its own", p->sinks[j].path, (*own)[k].what, (*own)[k].path);
			}
		}
	}
	return r;
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* Two remote sinks publishing to one place: the same vault secret, or the same Secret (whatever its key). */
static bool same_remote_place(const struct ith_sink *a, const struct ith_sink *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == ITH_SINK_VAULT)
		return same_str(a->address, b->address) && same_str(a->namespace, b->namespace) &&
		       same_str(a->mount, b->mount) && same_str(a->path, b->path);
	return same_str(a->server, b->server) && same_str(a->namespace, b->namespace) && same_str(a->secret, b->secret);
}

/* Each remote sink publishes to a place of its own: two would overwrite each other's token (and a revoke of
 * one would delete the other's). The places are compared as written ({{host}} included). */
static int check_remote_places(const struct vctx *v, const struct ith_config *cfg, const config_setting_t *t)
{
	char label[512], name[160];

	for (size_t i = 0; i < cfg->nprofiles; i++)
		for (size_t j = 0; j < cfg->profiles[i].nsinks; j++) {
			const struct ith_sink *a = &cfg->profiles[i].sinks[j];
			if (!ith_sink_is_remote(a))
				continue;
			snprintf(name, sizeof(name), "tokens[%zu] (%s).sinks[%zu]", i, cfg->profiles[i].name, j);
			for (size_t k = 0; k <= i; k++)
				for (size_t l = 0; l < (k == i ? j : cfg->profiles[k].nsinks); l++)
					if (same_remote_place(a, &cfg->profiles[k].sinks[l]))
						return verr(v, config_setting_get_elem(t, (unsigned)i), name, "%s is also tokens[%zu] "
							"(%s).sinks[%zu]'s; give each its own place (one would overwrite, and a revoke "
							"delete, the other's token)", ith_sink_label(a, label, sizeof(label)), k,
							cfg->profiles[k].name, l);
		}
	return 0;
}

static int check_collisions(const struct vctx *v, const struct ith_config *cfg, const config_setting_t *t)
{
	struct owned_file *own = NULL;
	size_t nown = 0;
	int r;

	owned_fixed(cfg, &own, &nown);
	if (!(r = check_templates(v, cfg, t, &own, &nown)) && !(r = check_textfile(v, cfg, t, &own, &nown)) &&
	    !(r = check_sink_paths(v, cfg, t, &own, &nown, nown)))
		r = check_remote_places(v, cfg, t);
	for (size_t k = 0; k < nown; k++)
		free(own[k].path);
	free(own);
	return r;
}

/*
 * The settings as tables, in the spirit of OpenSSH's readconf.c: one table
 * per block (the top level, management, each token profile, each sink)
 * drives both the parsing and the list of known settings that catches typos.
 * A row gives the setting's name, type, whether it is required, its default
 * (written as in the file and read like a configured value), a validator,
 * and where the value goes: a field's offset, or a setter. Adding a setting
 * is adding a row (and its field). What involves more than one setting is
 * checked after the table pass, in the block's post-check (the renewal
 * window, the probe target, a template sink's file, the defaults computed
 * from other settings, files used twice), or by a validator that reads a
 * row above its own (token_env after token_file, template after type).
 * A block's first error is therefore the first in table order, then in
 * post-check order.
 */
enum ctype {
	CT_STRING,      /* "text" */
	CT_PATH,        /* "/an/absolute/path", no trailing slash */
	CT_DURATION,    /* "90s", "30m", "24h", "7d" or whole seconds */
	CT_STRLIST,     /* [ "a", "b" ]; the validator sees each entry */
	CT_BLOCK,       /* a group or a list, read by the setter with its own table */
};

/* A value being read, for validators and setters. */
struct cval {
	const config_setting_t *s;  /* the setting; NULL when the value is the default */
	const config_setting_t *grp;        /* the block holding it */
	const char *str;    /* CT_STRING, CT_PATH, a CT_STRLIST entry */
	int64_t num;        /* CT_DURATION */
	int idx;            /* a CT_STRLIST entry's index */
	size_t off;         /* the row's offset, for setters */
	const char *where;  /* the block, e.g. "tokens[0] (telegraf)" */
	const char *name;   /* the setting, e.g. "tokens[0] (telegraf).lifetime" */
};

typedef int (*cfn)(const struct vctx *v, const struct cval *x, void *base);

struct crow {
	struct ith_config_key k;    /* key, required, default */
	enum ctype type;
	cfn check;          /* validator, or NULL */
	cfn set;            /* setter, or NULL: stored at off (char *, int64_t or struct ith_strlist) */
	size_t off;
	const char *missing;        /* message when required and absent; NULL: "required setting is missing" */
};

#define FIELD(base, off, type) ((type *)(void *)((char *)(base) + (off)))

static int check_keys(const struct vctx *v, const config_setting_t *grp, const char *where,
	const struct crow *rows)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(c);
		bool ok = false;

		for (const struct crow *a = rows; a->k.key; a++)
			if (name && !strcmp(name, a->k.key))
				ok = true;
		if (!ok) {
			struct ith_strbuf list = ITH_STRBUF_INIT;
			char full[200];
			for (const struct crow *a = rows; a->k.key; a++)
				ith_strbuf_addf(&list, "%s%s", a == rows ? "" : ", ", a->k.key);
			setting_name(full, sizeof(full), where, name ? name : "?");
			int r = verr(v, c, full, "unknown setting (known: %s)", list.buf);
			ith_strbuf_release(&list);
			return r;
		}
	}
	return 0;
}

static int read_path(const struct vctx *v, const struct cval *x)
{
	const char *s = x->str;

	if (!ith_path_is_absolute(s))
		return verr(v, x->s, x->name, "'%s' is a relative path; give an absolute path (starting with /)", s);
	if (strlen(s) > 1 && s[strlen(s) - 1] == '/')
		return verr(v, x->s, x->name, "'%s' ends with '/'; give the path without a trailing slash", s);
	if (strlen(s) > 4000)
		return verr(v, x->s, x->name, "path is too long");
	return 0;
}

/* Durations: a string "90s"/"30m"/"24h"/"7d" or an integer number of seconds. */
static int read_duration(const struct vctx *v, struct cval *x)
{
	if (!x->s)  /* the default, as written in the table */
		return ith_parse_duration(x->str, &x->num, v->err);
	switch (config_setting_type(x->s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		x->num = config_setting_get_int64(x->s);
		if (x->num < 0 || x->num > 10LL * 366 * 86400)
			return verr(v, x->s, x->name, "%lld seconds is out of range (0 to 10 years)", (long long)x->num);
		return 0;
	case CONFIG_TYPE_STRING:
		if (ith_parse_duration(config_setting_get_string(x->s), &x->num, v->err) < 0)
			return verr_from(v, x->s, x->name);
		return 0;
	default:
		return verr(v, x->s, x->name, "must be a duration such as \"90s\", \"30m\", \"24h\", \"7d\" or whole seconds");
	}
}

/* x->str or x->num from the setting (or the row's default), checked against the row's type. */
static int read_value(const struct vctx *v, const struct crow *row, struct cval *x)
{
	x->str = row->k.def;
	if (row->type == CT_DURATION)
		return read_duration(v, x);
	if (x->s) {
		if (config_setting_type(x->s) != CONFIG_TYPE_STRING)
			return verr(v, x->s, x->name, "must be a string in double quotes");
		x->str = config_setting_get_string(x->s);
	}
	return row->type == CT_PATH ? read_path(v, x) : 0;
}

static int read_strlist(const struct vctx *v, const struct crow *row, struct cval *x, void *base)
{
	struct ith_strlist *out = FIELD(base, row->off, struct ith_strlist);
	int n, r;

	if (config_setting_type(x->s) != CONFIG_TYPE_ARRAY && config_setting_type(x->s) != CONFIG_TYPE_LIST)
		return verr(v, x->s, x->name, "must be an array of strings, e.g. [ \"a\", \"b\" ]");
	n = config_setting_length(x->s);
	if (n > 256)
		return verr(v, x->s, x->name, "too many entries (at most 256)");
	out->v = ith_xcalloc((size_t)n + 1, sizeof(char *));
	out->n = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(x->s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return verr(v, x->s, x->name, "entry %d must be a string", i + 1);
		x->str = config_setting_get_string(e);
		x->idx = i;
		if (row->check && (r = row->check(v, x, base)) < 0)
			return r;
		out->v[out->n++] = ith_xstrdup(x->str);
	}
	return 0;
}

/* One row: find the setting, apply the default, read, validate, store. */
static int load_row(const struct vctx *v, const config_setting_t *grp, const char *where,
	const struct crow *row, void *base)
{
	char name[160];
	struct cval x = { .grp = grp, .where = where, .name = name, .off = row->off };
	int r;

	setting_name(name, sizeof(name), where, row->k.key);
	x.s = config_setting_get_member(grp, row->k.key);
	if (!x.s && row->k.required)
		return verr(v, grp, name, "%s", row->missing ? row->missing : "required setting is missing");
	if (!x.s && !row->k.def)
		return 0;
	if (row->type == CT_BLOCK)
		return row->set(v, &x, base);
	if (row->type == CT_STRLIST)
		return read_strlist(v, row, &x, base);
	if ((r = read_value(v, row, &x)) < 0 || (row->check && (r = row->check(v, &x, base)) < 0))
		return r;
	if (row->set)
		return row->set(v, &x, base);
	if (row->type == CT_DURATION)
		*FIELD(base, row->off, int64_t) = x.num;
	else
		*FIELD(base, row->off, char *) = ith_xstrdup(x.str);
	return 0;
}

/* Rows from..end of a table, in order. */
static int load_rows(const struct vctx *v, const config_setting_t *grp, const char *where,
	const struct crow *rows, size_t from, void *base)
{
	int r;

	for (const struct crow *row = rows + from; row->k.key; row++)
		if ((r = load_row(v, grp, where, row, base)) < 0)
			return r;
	return 0;
}

/* A whole block: no unknown settings, then every row. */
static int load_block(const struct vctx *v, const config_setting_t *grp, const char *where,
	const struct crow *rows, void *base)
{
	int r = check_keys(v, grp, where, rows);

	return r < 0 ? r : load_rows(v, grp, where, rows, 0, base);
}

/* ---- validators and setters shared by several blocks ---- */

static int check_url(const struct vctx *v, const struct cval *x, void *base)
{
	const char *why;
	struct ith_url u;
	char shown[96];

	(void)base;
	why = ith_url_parse(x->str, &u);
	ith_url_shown(x->str, shown, sizeof(shown));
	if (why)
		return verr(v, x->s, x->name, "'%.80s' %s", shown, why);
	if (!ith_url_scheme_allowed(&u))
		return verr(v, x->s, x->name,
			"'%.80s': plain http:// is allowed only to loopback hosts written literally (127.0.0.0/8, [::1], localhost); use https://", shown);
	return 0;
}

/* A URL, stored without its trailing slashes. */
static int set_url(const struct vctx *v, const struct cval *x, void *base)
{
	(void)v;
	*FIELD(base, x->off, char *) = strip_slash(x->str);
	return 0;
}


/* ---- management = { ... } ---- */

static int set_uuid(const struct vctx *v, const struct cval *x, void *base, const char *example)
{
	if (!ith_is_uuid(x->str))
		return verr(v, x->s, x->name, "'%.80s' is not a UUID (like %s)", x->str, example);
	memcpy(FIELD(base, x->off, char), x->str, ITH_UUID_LEN + 1);
	return 0;
}

static int set_account_id(const struct vctx *v, const struct cval *x, void *base)
{
	return set_uuid(v, x, base, "11111111-1111-4111-8111-111111111111");
}

static int set_cluster_id(const struct vctx *v, const struct cval *x, void *base)
{
	return set_uuid(v, x, base, "22222222-1111-4111-8111-111111111111");
}

static int check_1s_1h(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (x->num < 1 || x->num > 3600)
		return verr(v, x->s, x->name, "must be between 1s and 1h");
	return 0;
}

/* token_env: a variable name, and not with token_file (read by the row before). */
static int check_token_env(const struct vctx *v, const struct cval *x, void *base)
{
	const struct ith_config *cfg = base;

	if (!valid_env_name(x->str))
		return verr(v, x->s, x->name, "'%.80s' is not an environment variable name", x->str);
	if (cfg->token_file)
		return verr(v, x->s, x->name, "set token_file or token_env, not both");
	return 0;
}

#define MGMT(f) offsetof(struct ith_config, f)
static const struct crow management_rows[] = {
	{ { "account_id", true, NULL }, CT_STRING, NULL, set_account_id, MGMT(account_id), NULL },
	{ { "cluster_id", true, NULL }, CT_STRING, NULL, set_cluster_id, MGMT(cluster_id), NULL },
	{ { "token_file", false, NULL }, CT_PATH, NULL, NULL, MGMT(token_file), NULL },
	{ { "token_env", false, NULL }, CT_STRING, check_token_env, NULL, MGMT(token_env), NULL },
	{ { "url", false, ITH_DEFAULT_URL }, CT_STRING, check_url, set_url, MGMT(url), NULL },
	{ { "timeout", false, "30s" }, CT_DURATION, check_1s_1h, NULL, MGMT(timeout), NULL },
	{ { "connect_timeout", false, "10s" }, CT_DURATION, NULL, NULL, MGMT(connect_timeout), NULL },
	{ { "deadline", false, "60s" }, CT_DURATION, check_1s_1h, NULL, MGMT(deadline), NULL },
	{ { "ca_file", false, NULL }, CT_PATH, NULL, NULL, MGMT(ca_file), NULL },
	{ { NULL, false, NULL }, CT_STRING, NULL, NULL, 0, NULL },
};

/*
 * The CA bundle decides who receives the management token: checked now, as
 * the configuration itself (owned by root or us, writable by no one else,
 * nor is its directory: 77); a missing one is a configuration error (78).
 */
static int check_ca_file_named(const struct vctx *v, const char *path, const config_setting_t *s,
	const char *name, const char *whose)
{
	int line = s ? config_setting_source_line(s) : 0;
	int r = ith_check_trusted_path(path, "CA file", v->err);

	if (r == ITH_ERR_FILE_NOT_FOUND)
		return verr(v, s, name, "'%s' does not exist; name the CA bundle (PEM) that signs %s "
			"certificate, or remove the setting to use the system's", path, whose);
	if (r == ITH_ERR_UNSAFE)  /* as for the configuration: the owner or mode is what is wrong */
		return ith_err_prefix(v->err, r, "%s:%d: %s", v->file, line, name);
	return r < 0 ? verr_from(v, s, name) : 0;
}

static int check_ca_file(const struct vctx *v, const char *path, const config_setting_t *s)
{
	return check_ca_file_named(v, path, s, "management.ca_file", "the Management API's");
}

/* After the table: connect_timeout within timeout; ca_file trusted. */
static int management_post(const struct vctx *v, struct ith_config *cfg, const config_setting_t *m)
{
	const config_setting_t *ct = config_setting_get_member(m, "connect_timeout");

	if (!ct && cfg->connect_timeout > cfg->timeout)
		cfg->connect_timeout = cfg->timeout;  /* the default (10s) follows a shorter timeout */
	if (cfg->connect_timeout < 1 || cfg->connect_timeout > cfg->timeout)
		return verr(v, ct, "management.connect_timeout", "must be between 1s and management.timeout");
	return cfg->ca_file ? check_ca_file(v, cfg->ca_file, config_setting_get_member(m, "ca_file")) : 0;
}

static int set_management(const struct vctx *v, const struct cval *x, void *base)
{
	int r;

	if (config_setting_type(x->s) != CONFIG_TYPE_GROUP)
		return verr(v, x->s, "management", "must be a group: management = { ... };");
	if ((r = load_block(v, x->s, "management", management_rows, base)) < 0)
		return r;
	return management_post(v, base, x->s);
}

/* ---- sinks = ( { ... } ) ---- */

static int set_sink_type(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_sink *out = base;

	if (!strcmp(x->str, "file"))
		out->type = ITH_SINK_FILE;
	else if (!strcmp(x->str, "env"))
		out->type = ITH_SINK_ENV;
	else if (!strcmp(x->str, "template"))
		out->type = ITH_SINK_TEMPLATE;
	else if (!strcmp(x->str, "vault"))
		out->type = ITH_SINK_VAULT;
	else if (!strcmp(x->str, "kubernetes"))
		out->type = ITH_SINK_KUBERNETES;
	else
		return verr(v, x->s, x->name, "'%.40s' is not a sink type (file, env, template, vault, kubernetes)",
			x->str);
	return 0;
}

static const char *const sink_type_names[] = { "file", "env", "template", "vault", "kubernetes" };

/* A setting configured (not a default) on a sink of another type than its own (mask: 1 << type). */
static int sink_only(const struct vctx *v, const struct cval *x, const struct ith_sink *out, unsigned mask,
	const char *which)
{
	if (x->s && !(mask & (1u << out->type)))
		return verr(v, x->s, x->name, "a sink of type \"%s\" does not take this setting (only %s)",
			sink_type_names[out->type], which);
	return 0;
}
#define LOCAL_SINKS ((1u << ITH_SINK_FILE) | (1u << ITH_SINK_ENV) | (1u << ITH_SINK_TEMPLATE))
#define VAULT_SINK (1u << ITH_SINK_VAULT)
#define K8S_SINK (1u << ITH_SINK_KUBERNETES)

/* chars (plus the placeholder "{{host}}", filled in by the hosts expansion) only, 1..max bytes. */
static bool sink_name_ok(const char *s, const char *chars, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n;) {
		if (!strncmp(s + i, "{{host}}", 8))
			i += 8;
		else if (strchr(chars, s[i]) && s[i])
			i++;
		else
			return false;
	}
	return true;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* A Vault path or mount: segments of letters, digits, '.', '_', '-' between single slashes; no "." or "..". */
static bool vault_path_ok(const char *s)
{
	if (!sink_name_ok(s, ALNUM "._-/", 512) || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	for (const char *p = s; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (!strncmp(p, "./", 2) || !strcmp(p, ".") || !strncmp(p, "../", 3) || !strcmp(p, ".."))
			return false;
	return true;
}

/* path: a local sink's file (absolute), or a vault secret's path under its mount; kubernetes has none. */
static int check_sink_path(const struct vctx *v, const struct cval *x, void *base)
{
	const struct ith_sink *out = base;
	int r = sink_only(v, x, out, LOCAL_SINKS | VAULT_SINK, "file, env, template, vault");

	if (r < 0 || out->type != ITH_SINK_VAULT)
		return r < 0 ? r : read_path(v, x);
	if (!vault_path_ok(x->str))
		return verr(v, x->s, x->name, "'%.80s' is not a Vault path: segments of letters, digits, '.', '_', '-' "
			"(and {{host}}) between single slashes, no leading or trailing slash, no . or ..", x->str);
	return 0;
}

static int set_sink_mode(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_sink *out = base;

	if (parse_mode(x->str, &out->mode) < 0)
		return verr(v, x->s, x->name, "'%.40s' is not an octal mode like \"0640\"", x->str);
	if (out->mode & 0002)
		return verr(v, x->s, x->name, "a token file must not be world-writable");
	if (out->mode & 0004)
		return verr(v, x->s, x->name,
			"a token file must not be world-readable; use a group (e.g. mode \"0640\", group \"telegraf\")");
	return 0;
}

static int set_sink_group(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_sink *out = base;
	struct group *g = getgrnam(x->str);

	if (!g)
		return verr(v, x->s, x->name,
			"no such group '%.64s' on this host (create it, or remove the setting)", x->str);
	out->gid = g->gr_gid;
	out->group = ith_xstrdup(x->str);
	return 0;
}

/* template: a path, for a sink of type "template" only (read by the row before). */
static int check_sink_template(const struct vctx *v, const struct cval *x, void *base)
{
	const struct ith_sink *out = base;

	if (out->type != ITH_SINK_TEMPLATE)
		return verr(v, x->s, x->name, "only a sink of type \"template\" takes a template");
	return read_path(v, x);
}

static int check_sink_local(const struct vctx *v, const struct cval *x, void *base)
{
	return sink_only(v, x, base, LOCAL_SINKS, "file, env, template");
}

static int check_sink_vault(const struct vctx *v, const struct cval *x, void *base)
{
	return sink_only(v, x, base, VAULT_SINK, "vault");
}

/* Vault's address is the server alone: the helper adds /v1/... itself, so a path there would be doubled. */
static int check_sink_address(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_url u;
	int r = sink_only(v, x, base, VAULT_SINK, "vault");

	if (r < 0 || (r = check_url(v, x, base)) < 0)
		return r;
	if (!ith_url_parse(x->str, &u) && u.path[0] && strcmp(u.path, "/"))
		return verr(v, x->s, x->name, "'%.120s' has a path ('%.60s'): give the server alone (https://HOST:PORT); "
			"the helper adds /v1/... itself", x->str, u.path);
	return 0;
}

static int check_sink_server(const struct vctx *v, const struct cval *x, void *base)
{
	int r = sink_only(v, x, base, K8S_SINK, "kubernetes");

	return r < 0 ? r : check_url(v, x, base);
}

static int set_sink_mode_local(const struct vctx *v, const struct cval *x, void *base)
{
	int r = check_sink_local(v, x, base);

	return r < 0 ? r : set_sink_mode(v, x, base);
}

static int set_sink_group_local(const struct vctx *v, const struct cval *x, void *base)
{
	int r = check_sink_local(v, x, base);

	return r < 0 ? r : set_sink_group(v, x, base);
}

static int check_sink_mount(const struct vctx *v, const struct cval *x, void *base)
{
	int r = check_sink_vault(v, x, base);

	if (r == 0 && (!vault_path_ok(x->str) || strstr(x->str, "{{host}}")))
		return verr(v, x->s, x->name, "'%.80s' is not a KV v2 mount: letters, digits, '.', '_', '-' and single "
			"slashes inside", x->str);
	return r;
}

static int set_sink_auth(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_sink *out = base;
	int r = check_sink_vault(v, x, base);

	if (r < 0)
		return r;
	if (!strcmp(x->str, "approle"))
		out->auth = ITH_AUTH_APPROLE;
	else if (!strcmp(x->str, "token"))
		out->auth = ITH_AUTH_TOKEN;
	else
		return verr(v, x->s, x->name, "'%.40s' is not a Vault auth method (approle, token)", x->str);
	return 0;
}

/* secret_id_file: approle only (auth is read by the row before). */
static int check_sink_approle(const struct vctx *v, const struct cval *x, void *base)
{
	const struct ith_sink *out = base;
	int r = check_sink_vault(v, x, base);

	if (r == 0 && out->auth != ITH_AUTH_APPROLE)
		return verr(v, x->s, x->name, "only auth = \"approle\" takes this setting");
	return r;
}

/* role_id: approle only; not a secret, but checked as a name. */
static int check_sink_role_id(const struct vctx *v, const struct cval *x, void *base)
{
	int r = check_sink_approle(v, x, base);

	if (r == 0 && (!sink_name_ok(x->str, ALNUM "-_.:", 256) || strstr(x->str, "{{host}}")))
		return verr(v, x->s, x->name, "'%.40s' is not a role_id (letters, digits, '-', '_', '.', ':')", x->str);
	return r;
}

/* token_file: vault with auth = "token", or kubernetes (its service-account token). */
static int check_sink_token_file(const struct vctx *v, const struct cval *x, void *base)
{
	const struct ith_sink *out = base;
	int r = sink_only(v, x, out, VAULT_SINK | K8S_SINK, "vault, kubernetes");

	if (r == 0 && out->type == ITH_SINK_VAULT && out->auth != ITH_AUTH_TOKEN)
		return verr(v, x->s, x->name, "only auth = \"token\" takes a token_file (approle: secret_id_file)");
	return r;
}

static int check_sink_ca_file(const struct vctx *v, const struct cval *x, void *base)
{
	int r = sink_only(v, x, base, VAULT_SINK | K8S_SINK, "vault, kubernetes");

	if (r == 0)
		r = check_ca_file_named(v, x->str, x->s, x->name, "the server's");
	return r;
}

/* namespace: Vault Enterprise's (X-Vault-Namespace), or the Secret's (an RFC 1123 label). */
static int check_sink_namespace(const struct vctx *v, const struct cval *x, void *base)
{
	const struct ith_sink *out = base;
	int r = sink_only(v, x, out, VAULT_SINK | K8S_SINK, "vault, kubernetes");

	if (r < 0)
		return r;
	if (out->type == ITH_SINK_VAULT && !vault_path_ok(x->str))
		return verr(v, x->s, x->name, "'%.80s' is not a Vault namespace", x->str);
	if (out->type == ITH_SINK_KUBERNETES && (!sink_name_ok(x->str, "abcdefghijklmnopqrstuvwxyz0123456789-", 63) ||
	    x->str[0] == '-' || x->str[strlen(x->str) - 1] == '-' || strstr(x->str, "{{host}}")))
		return verr(v, x->s, x->name, "'%.80s' is not a namespace name (lower-case letters, digits, '-')", x->str);
	return 0;
}

/* secret: the Secret's name, an RFC 1123 subdomain (with {{host}} for the hosts expansion). */
static int check_sink_secret(const struct vctx *v, const struct cval *x, void *base)
{
	int r = sink_only(v, x, base, K8S_SINK, "kubernetes");

	if (r == 0 && (!sink_name_ok(x->str, "abcdefghijklmnopqrstuvwxyz0123456789-.", 253) ||
	    strchr("-.", x->str[0]) || strchr("-.", x->str[strlen(x->str) - 1])))
		return verr(v, x->s, x->name, "'%.80s' is not a Secret name (lower-case letters, digits, '-', '.')", x->str);
	return r;
}

/* key: letters, digits and '_' (secretstores.docker refuses other names). */
static int check_sink_key(const struct vctx *v, const struct cval *x, void *base)
{
	int r = sink_only(v, x, base, K8S_SINK, "kubernetes");
	size_t n = strlen(x->str);

	if (r == 0 && (n == 0 || n > 253 || strspn(x->str, ALNUM "_") != n))
		return verr(v, x->s, x->name, "'%.80s' is not a key: letters, digits and '_' only", x->str);
	return r;
}

#define SINK(f) offsetof(struct ith_sink, f)
static const struct crow sink_rows[] = {
	{ { "type", true, NULL }, CT_STRING, NULL, set_sink_type, SINK(type), NULL },
	{ { "path", false, NULL }, CT_STRING, check_sink_path, NULL, SINK(path), NULL },
	{ { "mode", false, "0600" }, CT_STRING, NULL, set_sink_mode_local, SINK(mode), NULL },
	{ { "group", false, NULL }, CT_STRING, NULL, set_sink_group_local, SINK(group), NULL },
	{ { "template", false, NULL }, CT_STRING, check_sink_template, NULL, SINK(template_path), NULL },
	{ { "address", false, NULL }, CT_STRING, check_sink_address, set_url, SINK(address), NULL },
	{ { "mount", false, NULL }, CT_STRING, check_sink_mount, NULL, SINK(mount), NULL },
	{ { "auth", false, NULL }, CT_STRING, NULL, set_sink_auth, SINK(auth), NULL },
	{ { "role_id", false, NULL }, CT_STRING, check_sink_role_id, NULL, SINK(role_id), NULL },
	{ { "secret_id_file", false, NULL }, CT_PATH, check_sink_approle, NULL, SINK(secret_id_file), NULL },
	{ { "token_file", false, NULL }, CT_PATH, check_sink_token_file, NULL, SINK(token_file), NULL },
	{ { "ca_file", false, NULL }, CT_PATH, check_sink_ca_file, NULL, SINK(ca_file), NULL },
	{ { "namespace", false, NULL }, CT_STRING, check_sink_namespace, NULL, SINK(namespace), NULL },
	{ { "secret", false, NULL }, CT_STRING, check_sink_secret, NULL, SINK(secret), NULL },
	{ { "key", false, NULL }, CT_STRING, check_sink_key, NULL, SINK(key), NULL },
	{ { "server", false, NULL }, CT_STRING, check_sink_server, set_url, SINK(server), NULL },
	{ { NULL, false, NULL }, CT_STRING, NULL, NULL, 0, NULL },
};

/* A setting the type needs is there (name: the setting; set: whether it is). */
static int sink_needs(const struct vctx *v, const config_setting_t *s, const char *where, const char *key, bool set)
{
	char name[160];

	setting_name(name, sizeof(name), where, key);
	return set ? 0 : verr(v, s, name, "required setting is missing");
}

/* After the table, a remote sink: what its type and auth need. */
static int remote_sink_post(const struct vctx *v, const config_setting_t *s, const char *where, struct ith_sink *out)
{
	int r;

	if (!out->mount)  /* the defaults of a remote sink's own settings (not in the table: the file sinks share it) */
		out->mount = ith_xstrdup("secret");
	if (!out->key)
		out->key = ith_xstrdup("token");
	if (out->type == ITH_SINK_KUBERNETES) {
		if ((r = sink_needs(v, s, where, "namespace", out->namespace != NULL)) < 0)
			return r;
		return sink_needs(v, s, where, "secret", out->secret != NULL);
	}
	if ((r = sink_needs(v, s, where, "address", out->address != NULL)) < 0 ||
	    (r = sink_needs(v, s, where, "path", out->path != NULL)) < 0 ||
	    (r = sink_needs(v, s, where, "auth", out->auth != ITH_AUTH_NONE)) < 0)
		return r;
	if (out->auth == ITH_AUTH_TOKEN)
		return sink_needs(v, s, where, "token_file", out->token_file != NULL);
	if ((r = sink_needs(v, s, where, "role_id", out->role_id != NULL)) < 0)
		return r;
	return sink_needs(v, s, where, "secret_id_file", out->secret_id_file != NULL);
}

/* After the table: type template needs `template`, the file read and checked now (unknown placeholders: 78). */
static int sink_post(const struct vctx *v, const config_setting_t *s, const char *where, struct ith_sink *out)
{
	const config_setting_t *x = config_setting_get_member(s, "template");
	char name[160];

	if (ith_sink_is_remote(out))
		return remote_sink_post(v, s, where, out);
	if (!out->path)
		return sink_needs(v, s, where, "path", false);
	setting_name(name, sizeof(name), where, "template");
	if (out->type != ITH_SINK_TEMPLATE)
		return 0;
	if (!out->template_path)
		return verr(v, s, name, "required setting is missing");
	if (!strcmp(out->template_path, out->path))
		return verr(v, x, name, "the template and the sink's path are the same file");
	int r = ith_template_load(out->template_path, &out->tmpl, v->err);
	if (r == ITH_ERR_UNSAFE)  /* as for the configuration: the owner or mode is what is wrong (77) */
		return ith_err_prefix(v->err, r, "%s:%d: %s", v->file, x ? config_setting_source_line(x) : 0, name);
	return r < 0 ? verr_from(v, x, name) : 0;
}

static int load_sink(const struct vctx *v, const config_setting_t *s, const char *where, struct ith_sink *out)
{
	int r;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return verr(v, s, where, "each sink must be a group: { type = \"file\"; path = \"/run/...\"; }");
	out->gid = (gid_t)-1;  /* no group: leave it alone */
	if ((r = load_block(v, s, where, sink_rows, out)) < 0)
		return r;
	return sink_post(v, s, where, out);
}

static int set_sinks(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_profile *p = base;
	char w2[96];
	int n, r;

	if (config_setting_type(x->s) != CONFIG_TYPE_LIST)
		return verr(v, x->s, x->where, "sinks must be a list: sinks = ( { ... }, { ... } );");
	n = config_setting_length(x->s);
	if (n > 16)
		return verr(v, x->s, x->where, "at most 16 sinks");
	p->sinks = ith_xcalloc((size_t)n, sizeof(*p->sinks));
	for (int i = 0; i < n; i++) {
		snprintf(w2, sizeof(w2), "%s.sinks[%d]", x->where, i);
		p->nsinks = (size_t)i + 1;
		if ((r = load_sink(v, config_setting_get_elem(x->s, (unsigned)i), w2, &p->sinks[i])) < 0)
			return r;
	}
	return 0;
}

/* ---- tokens = ( { ... } ): one profile ---- */

static int check_profile_name(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (!ith_valid_profile_name(x->str))
		return verr(v, x->s, "tokens[].name",
			"'%.80s' is not a valid name: a letter, then up to 63 letters, digits or '_'", x->str);
	return 0;
}

static int check_description(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (strlen(x->str) > 200 || strchr(x->str, '[') || strchr(x->str, ']'))
		return verr(v, x->s, "description",
			"at most 200 characters, without '[' or ']' (the helper appends its ownership marker)");
	return 0;
}

static int check_db_entry(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (!ith_valid_db_name(x->str))
		return verr(v, x->s, x->name, "'%.80s' is not a database name (1-64 characters) or \"*\"", x->str);
	return 0;
}

static int check_lifetime(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (x->num < 60)
		return verr(v, x->s ? x->s : x->grp, x->where, "lifetime must be at least 60s");
	return 0;
}

static int check_hook_timeout(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (x->num < 1 || x->num > 3600)
		return verr(v, x->s, x->where, "hook_timeout must be between 1s and 1h");
	return 0;
}

static int set_activation(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_profile *p = base;

	if (!strcmp(x->str, "none"))
		p->activation = ITH_ACT_NONE;
	else if (!strcmp(x->str, "delay"))
		p->activation = ITH_ACT_DELAY;
	else if (!strcmp(x->str, "probe"))
		p->activation = ITH_ACT_PROBE;
	else
		return verr(v, x->s, x->where, "activation '%.40s' is not one of probe, delay, none", x->str);
	return 0;
}

static int check_probe_database(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (!ith_valid_db_name(x->str) || !strcmp(x->str, "*"))
		return verr(v, x->s, x->where, "probe_database must be a database name");
	return 0;
}

static int check_env_variable(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (!valid_env_name(x->str))
		return verr(v, x->s, x->where, "env_variable '%.80s' is not a shell variable name", x->str);
	return 0;
}

static int check_on_rotate_entry(const struct vctx *v, const struct cval *x, void *base)
{
	(void)base;
	if (x->idx == 0 && !ith_path_is_absolute(x->str))
		return verr(v, x->s, x->where,
			"on_rotate[0] '%.80s' must be an absolute path (no shell, no PATH lookup)", x->str);
	return 0;
}

#define PROF(f) offsetof(struct ith_profile, f)
static const struct crow profile_rows[] = {
	{ { "name", true, NULL }, CT_STRING, check_profile_name, NULL, PROF(name), NULL },  /* first: read alone */
	{ { "description", false, "influx-token-helper" }, CT_STRING, check_description, NULL, PROF(description), NULL },
	{ { "write", false, NULL }, CT_STRLIST, check_db_entry, NULL, PROF(write), NULL },
	{ { "read", false, NULL }, CT_STRLIST, check_db_entry, NULL, PROF(read), NULL },
	{ { "lifetime", false, "24h" }, CT_DURATION, check_lifetime, NULL, PROF(lifetime), NULL },
	{ { "renew_before", false, "6h" }, CT_DURATION, NULL, NULL, PROF(renew_before), NULL },
	{ { "grace", false, "15m" }, CT_DURATION, NULL, NULL, PROF(grace), NULL },
	{ { "activation", false, "none" }, CT_STRING, NULL, set_activation, PROF(activation), NULL },
	{ { "activation_timeout", false, "5m" }, CT_DURATION, NULL, NULL, PROF(activation_timeout), NULL },
	{ { "probe_database", false, NULL }, CT_STRING, check_probe_database, NULL, PROF(probe_database), NULL },
	{ { "env_variable", false, "INFLUX_TOKEN" }, CT_STRING, check_env_variable, NULL, PROF(env_variable), NULL },
	{ { "sinks", false, NULL }, CT_BLOCK, NULL, set_sinks, PROF(sinks), NULL },
	{ { "on_rotate", false, NULL }, CT_STRLIST, check_on_rotate_entry, NULL, PROF(on_rotate), NULL },
	{ { "hook_timeout", false, "30s" }, CT_DURATION, check_hook_timeout, NULL, PROF(hook_timeout), NULL },
	{ { "hosts_file", false, NULL }, CT_PATH, NULL, NULL, PROF(hosts_file), NULL },
	{ { NULL, false, NULL }, CT_STRING, NULL, NULL, 0, NULL },
};

/* A setting for a message's line: the member, else the profile. */
static const config_setting_t *member_or(const config_setting_t *t, const char *key)
{
	const config_setting_t *x = config_setting_get_member(t, key);

	return x ? x : t;
}

/* After the table: some permission, a renewal window that can work. */
static int profile_window(const struct vctx *v, const config_setting_t *t, const char *where,
	const struct ith_profile *p)
{
	if (p->write.n + p->read.n == 0)
		return verr(v, t, where, "no permissions: give at least one database in 'write' or 'read'");
	if (!(p->lifetime > p->renew_before))
		return verr(v, member_or(t, "renew_before"), where,
			"impossible window: lifetime (%llds) must be greater than renew_before (%llds)",
			(long long)p->lifetime, (long long)p->renew_before);
	if (!(p->renew_before > p->grace))
		return verr(v, member_or(t, "grace"), where,
			"impossible window: renew_before (%llds) must be greater than grace (%llds)",
			(long long)p->renew_before, (long long)p->grace);
	/*
	 * The activation wait must end while the current token has time left:
	 * the old one is retired for `grace` after the switch, so the switch
	 * must come at most renew_before - grace after the renewal started.
	 */
	if (p->activation != ITH_ACT_NONE && p->activation_timeout > p->renew_before - p->grace)
		return verr(v, member_or(t, "activation_timeout"), where,
			"activation_timeout (%llds) must be at most renew_before - grace (%llds - %llds = %llds), or the "
			"current token could expire while its successor is still activating; lower activation_timeout or "
			"raise renew_before", (long long)p->activation_timeout, (long long)p->renew_before,
			(long long)p->grace, (long long)(p->renew_before - p->grace));
	return 0;
}

/* After the table: the database a probe reads or writes. */
static int profile_probe(const struct vctx *v, const config_setting_t *t, const char *where,
	const struct ith_profile *p)
{
	const char *db = NULL;
	bool w = false, has_target = ith_probe_target(p, &db, &w);

	if (p->activation == ITH_ACT_PROBE && !has_target)
		return verr(v, config_setting_get_member(t, "activation"), where,
			"activation \"probe\" needs a database to probe: the token only names \"*\", "
			"so set probe_database = \"<a database>\"");
	if (p->probe_database && !w && !list_has(&p->read, p->probe_database) && !list_has(&p->read, "*"))
		return verr(v, config_setting_get_member(t, "probe_database"), where,
			"probe_database '%s' is not among the token's read or write databases", p->probe_database);
	return 0;
}

/* After the table: with hosts_file every sink names its host ({{host}}: one place per host), without it none does. */
static int profile_hosts(const struct vctx *v, const config_setting_t *t, const char *where,
	const struct ith_profile *p)
{
	const config_setting_t *sinks = config_setting_get_member(t, "sinks");

	for (size_t i = 0; i < p->nsinks; i++) {
		const config_setting_t *x = config_setting_get_elem(sinks, (unsigned)i);
		bool uses = ith_sink_uses_host(&p->sinks[i]);
		const char *field = p->sinks[i].type == ITH_SINK_KUBERNETES ? "secret" : "path";
		if (p->hosts_file && !uses)
			return verr(v, x ? member_or(x, field) : t, where, "sinks[%zu]: a profile with hosts_file makes one "
				"token per host: its sink's %s must contain " ITH_HOST_PLACEHOLDER " (else every host would "
				"overwrite one place)", i, field);
		if (!p->hosts_file && uses)
			return verr(v, x ? member_or(x, field) : t, where, "sinks[%zu]: " ITH_HOST_PLACEHOLDER " is only "
				"replaced in a profile with hosts_file", i);
	}
	return 0;
}

/* The name first (it names the profile in every later message), then the other rows. */
static int load_profile(const struct vctx *v, const config_setting_t *t, int idx, struct ith_profile *p)
{
	char where[64];
	int r;

	snprintf(where, sizeof(where), "tokens[%d]", idx);
	p->line = config_setting_source_line(t);
	if (config_setting_type(t) != CONFIG_TYPE_GROUP)
		return verr(v, t, where, "each token profile must be a group: { name = \"...\"; ... }");
	if ((r = load_row(v, t, where, &profile_rows[0], p)) < 0)
		return r;
	snprintf(where, sizeof(where), "tokens[%d] (%s)", idx, p->name);
	if ((r = check_keys(v, t, where, profile_rows)) < 0 || (r = load_rows(v, t, where, profile_rows, 1, p)) < 0 ||
	    (r = profile_window(v, t, where, p)) < 0 || (r = profile_hosts(v, t, where, p)) < 0)
		return r;
	return profile_probe(v, t, where, p);
}

/* tokens = ( ... ): every profile, names unique (files used twice: see validate_global). */
static int set_tokens(const struct vctx *v, const struct cval *x, void *base)
{
	struct ith_config *cfg = base;
	const config_setting_t *t = x->s;
	int r, n;

	if (config_setting_type(t) != CONFIG_TYPE_LIST)
		return verr(v, t, "tokens", "must be a list in parentheses: tokens = ( { ... } );");
	n = config_setting_length(t);
	if (n < 1)
		return verr(v, t, "tokens", "no token profiles: add at least one");
	if (n > 64)
		return verr(v, t, "tokens", "at most 64 token profiles");
	cfg->profiles = ith_xcalloc((size_t)n, sizeof(*cfg->profiles));
	for (int i = 0; i < n; i++) {
		cfg->nprofiles = (size_t)i + 1;
		if ((r = load_profile(v, config_setting_get_elem(t, (unsigned)i), i, &cfg->profiles[i])) < 0)
			return r;
		for (int j = 0; j < i; j++)
			if (!strcmp(cfg->profiles[i].name, cfg->profiles[j].name))
				return verr(v, config_setting_get_elem(t, (unsigned)i), "tokens[].name",
					"duplicate profile name '%s' (first at line %d)", cfg->profiles[i].name,
					cfg->profiles[j].line);
	}
	return 0;
}

/* ---- the top level ---- */

#define TOP(f) offsetof(struct ith_config, f)
static const struct crow top_rows[] = {
	{ { "management", true, NULL }, CT_BLOCK, NULL, set_management, 0,
		"required group is missing: management = { account_id = ...; cluster_id = ...; };" },
	{ { "cluster_url", false, NULL }, CT_STRING, check_url, set_url, TOP(cluster_url), NULL },
	{ { "state_dir", false, NULL }, CT_PATH, NULL, NULL, TOP(state_dir), NULL },
	{ { "status_dir", false, NULL }, CT_PATH, NULL, NULL, TOP(status_dir), NULL },
	{ { "tokens", true, NULL }, CT_BLOCK, NULL, set_tokens, TOP(profiles),
		"required list is missing: tokens = ( { name = \"...\"; write = [ \"db\" ]; } );" },
	{ { "prometheus_textfile", false, NULL }, CT_PATH, NULL, NULL, TOP(prometheus_textfile), NULL },
	{ { NULL, false, NULL }, CT_STRING, NULL, NULL, 0, NULL },
};

/* After the table: the defaults computed from elsewhere, status_dir apart, no file used twice. */
static int validate_global(const struct vctx *v, struct ith_config *cfg, const config_setting_t *root)
{
	int r;

	if ((r = load_block(v, root, "", top_rows, cfg)) < 0)
		return r;
	if (!cfg->cluster_url) {
		struct ith_strbuf sb = ITH_STRBUF_INIT;
		ith_strbuf_addf(&sb, "https://%s.a.influxdb.io", cfg->cluster_id);
		cfg->cluster_url = ith_strbuf_detach(&sb);
	}
	if (!cfg->state_dir) {
		if ((r = ith_layout_default_state_dir(&cfg->state_dir, v->err)) < 0)
			return ith_err_prefix(v->err, r, "%s", v->file);
		cfg->state_dir_is_default = true;
	}
	if (cfg->status_dir && same_path(cfg->status_dir, cfg->state_dir))
		return verr(v, config_setting_get_member(root, "status_dir"), "status_dir",
			"must differ from state_dir (it is readable by everyone)");
	return check_collisions(v, cfg, config_setting_get_member(root, "tokens"));
}

const struct ith_config_key *ith_config_key_at(const char *block, size_t i)
{
	static const struct { const char *name; const struct crow *rows; } blocks[] = {
		{ "", top_rows }, { "management", management_rows }, { "tokens", profile_rows }, { "sinks", sink_rows },
	};

	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		if (strcmp(block, blocks[b].name))
			continue;
		for (size_t j = 0; blocks[b].rows[j].k.key; j++)
			if (j == i)
				return &blocks[b].rows[j].k;
		return NULL;
	}
	return NULL;
}

int ith_config_load_string(struct ith_config *cfg, const char *path, const char *text, struct ith_strbuf *err)
{
	struct vctx v = { path, err };
	config_t lc;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = ith_xstrdup(path);
	config_init(&lc);
	config_set_options(&lc, CONFIG_OPTION_SEMICOLON_SEPARATORS | CONFIG_OPTION_COLON_ASSIGNMENT_FOR_GROUPS |
		CONFIG_OPTION_OPEN_BRACE_ON_SEPARATE_LINE);
	if (strstr(text, "@include"))
		r = ith_err(err, ITH_ERR_CONFIG, "%s: @include is not supported; keep the configuration in one file", path);
	else if (config_read_string(&lc, text) != CONFIG_TRUE)
		r = ith_err(err, ITH_ERR_CONFIG, "%s:%d: syntax: %s", path, config_error_line(&lc), config_error_text(&lc));
	else
		r = validate_global(&v, cfg, config_root_setting(&lc));
	config_destroy(&lc);
	if (r < 0)
		ith_config_release(cfg);
	return r;
}

int ith_config_load(struct ith_config *cfg, const char *path, struct ith_strbuf *err)
{
	char *text = NULL;
	size_t len;
	int fd, r;

	struct stat st;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);  /* a FIFO must not hang the run */
	if (fd < 0)
		return ith_err(err, errno == ENOENT ? ITH_ERR_FILE_NOT_FOUND : errno == EACCES || errno == EPERM ?
			ith_errno_cause(errno) : ITH_ERR_CONFIG, "cannot open configuration '%s': %s%s",
			path, strerror(errno), errno == ENOENT ? " (give one with -c FILE or $INFLUX_TOKEN_HELPER_CONFIG)" : "");
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return ith_err(err, ITH_ERR_CONFIG, "configuration '%s' is %s, not a regular file; give the configuration file "
			"with -c FILE or $INFLUX_TOKEN_HELPER_CONFIG", path, S_ISDIR(st.st_mode) ? "a directory" : "a special file");
	}
	/* and every directory and link on its way: whoever can replace it controls url and ca_file */
	if ((r = ith_check_trusted(&st, path, "configuration", err)) < 0 ||
	    (r = ith_check_trusted_path(path, "configuration", err)) < 0) {
		close(fd);
		return r;
	}
	r = ith_read_fd_capped(fd, ITH_CONFIG_MAX_BYTES, &text, &len, path, err);
	close(fd);
	if (r < 0)  /* too big, or unreadable */
		return r;
	if (memchr(text, '\0', len))
		r = ith_err(err, ITH_ERR_CONFIG, "%s: contains a NUL byte; not a text file", path);
	else
		r = ith_config_load_string(cfg, path, text, err);
	free(text);
	return r;
}

bool ith_sink_uses_host(const struct ith_sink *s)
{
	const char *place = s->type == ITH_SINK_KUBERNETES ? s->secret : s->path;

	return place && strstr(place, ITH_HOST_PLACEHOLDER);
}

/* An expansion's copy owns only what hosts.c made for it; the rest is its base's. */
static void profile_copy_release(struct ith_profile *p)
{
	free(p->name);
	free(p->description);
	free(p->hosts_error);
	for (size_t i = 0; i < p->nsinks; i++) {
		free(p->sinks[i].path);
		free(p->sinks[i].secret);
	}
	free(p->sinks);
}

static void profile_release(struct ith_profile *p)
{
	if (p->hosts_copy) {
		profile_copy_release(p);
		return;
	}
	free(p->name);
	free(p->description);
	free(p->hosts_file);
	free(p->hosts_error);
	strlist_release(&p->write);
	strlist_release(&p->read);
	free(p->probe_database);
	free(p->env_variable);
	for (size_t i = 0; i < p->nsinks; i++) {
		free(p->sinks[i].path);
		free(p->sinks[i].group);
		free(p->sinks[i].template_path);
		free(p->sinks[i].address);
		free(p->sinks[i].mount);
		free(p->sinks[i].role_id);
		free(p->sinks[i].secret_id_file);
		free(p->sinks[i].token_file);
		free(p->sinks[i].ca_file);
		free(p->sinks[i].namespace);
		free(p->sinks[i].secret);
		free(p->sinks[i].key);
		free(p->sinks[i].server);
		ith_template_free(p->sinks[i].tmpl);
	}
	free(p->sinks);
	strlist_release(&p->on_rotate);
}

void ith_config_release(struct ith_config *cfg)
{
	free(cfg->path);
	free(cfg->token_file);
	free(cfg->token_env);
	free(cfg->url);
	free(cfg->ca_file);
	free(cfg->cluster_url);
	free(cfg->state_dir);
	free(cfg->status_dir);
	free(cfg->prometheus_textfile);
	for (size_t i = 0; i < cfg->nprofiles; i++)
		profile_release(&cfg->profiles[i]);
	free(cfg->profiles);
	for (size_t i = 0; i < cfg->nbases; i++)
		profile_release(&cfg->bases[i]);
	free(cfg->bases);
	memset(cfg, 0, sizeof(*cfg));
}

int ith_config_profile(const struct ith_config *cfg, const char *name, const struct ith_profile **out,
	struct ith_strbuf *err)
{
	if (!name) {
		if (cfg->nprofiles == 1) {
			*out = &cfg->profiles[0];
			return 0;
		}
		struct ith_strbuf sb = ITH_STRBUF_INIT;
		for (size_t i = 0; i < cfg->nprofiles; i++)
			ith_strbuf_addf(&sb, "%s%s", i ? ", " : "", cfg->profiles[i].name);
		int r = ith_err(err, ITH_ERR_USAGE, "%s has %zu token profiles; name one: %s", cfg->path, cfg->nprofiles, sb.buf);
		ith_strbuf_release(&sb);
		return r;
	}
	for (size_t i = 0; i < cfg->nprofiles; i++)
		if (!strcmp(cfg->profiles[i].name, name)) {
			*out = &cfg->profiles[i];
			return 0;
		}
	return ith_err(err, ITH_ERR_USAGE, "no token profile named '%.64s' in %s", name, cfg->path);
}

const char *ith_config_default_path(const char *opt)
{
	const char *e;

	if (opt)
		return opt;
	e = getenv("INFLUX_TOKEN_HELPER_CONFIG");
	if (e && *e)
		return e;
	return ITH_DEFAULT_CONFIG;
}

int ith_instance_name_check(const char *name, struct ith_strbuf *err)
{
	bool bad = !name || !*name || !strcmp(name, ".") || !strcmp(name, "..");

	for (const char *c = name; c && *c && !bad; c++)
		bad = *c == '/' || (unsigned char)*c < 0x20 || *c == 0x7f;
	if (!bad)
		return 0;
	char shown[128];
	return ith_err(err, ITH_ERR_CONFIG, "INFLUX_TOKEN_HELPER_INSTANCE '%s' is not a usable instance name: "
		"influx-token-helper@NAME makes NAME part of paths (/etc/influx-token-helper/NAME.conf, "
		"/var/lib/influx-token-helper/NAME); '.', '..', an empty name and names with '/' are refused",
		ith_safe_text(name ? name : "", shown, sizeof(shown)));
}

const char *ith_sink_label(const struct ith_sink *s, char *buf, size_t len)
{
	char shown[128];

	if (s->type == ITH_SINK_VAULT)
		snprintf(buf, len, "vault %s %s/%s", ith_url_shown(s->address, shown, sizeof(shown)), s->mount, s->path);
	else if (s->type == ITH_SINK_KUBERNETES)
		snprintf(buf, len, "kubernetes secret %s/%s", s->namespace, s->secret);
	else
		snprintf(buf, len, "%s", s->path);
	return buf;
}
