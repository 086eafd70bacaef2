#include "hosts.h"
#include "error.h"
#include "fs.h"
#include "layout.h"
#include "mem.h"
#include "names.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct host_line {
	char *host;
	int line;
};

static int cmp_host_line(const void *a, const void *b)
{
	const struct host_line *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line, comment and surrounding blanks cut off: a host, or "" for none. */
static char *line_host(const char *s, size_t n)
{
	const char *hash = memchr(s, '#', n);

	if (hash)
		n = (size_t)(hash - s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	return ith_xstrndup(s, n);
}

static void lines_free(struct host_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].host);
	free(v);
}

/* Sorted: a host listed twice sits next to its first listing; the earliest such second listing is reported. */
static int hosts_unique(const char *file, struct host_line *v, size_t n, struct ith_strbuf *err)
{
	size_t dup = n;

	qsort(v, n, sizeof(*v), cmp_host_line);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(v[i].host, v[i - 1].host) && (dup == n || v[i].line < v[dup].line))
			dup = i;
	if (dup == n)
		return 0;
	return ith_err(err, ITH_ERR_CONFIG, "%s:%d: host '%s' is listed twice (first at line %d)", file, v[dup].line,
		v[dup].host, v[dup - 1].line);
}

static int hosts_lines(const char *file, const char *text, size_t len, struct host_line **out, size_t *nout,
	struct ith_strbuf *err)
{
	struct host_line *v = NULL;
	size_t n = 0, cap = 0;
	int line = 0;

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *h = line_host(p, l);
		line++;
		p += l + 1;
		if (!*h) {
			free(h);
			continue;
		}
		if (!ith_valid_host_name(h)) {
			int r = ith_err(err, ITH_ERR_CONFIG, "%s:%d: '%.80s' is not a host name (RFC 1123: letters, digits "
				"and '-' in labels of 1-63 characters, dots between, at most 253 characters; one a line)", file, line, h);
			free(h);
			lines_free(v, n);
			return r;
		}
		if (n == cap) {
			struct host_line *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
			if (!nv)
				abort();
			v = nv;
		}
		v[n++] = (struct host_line){ h, line };
	}
	*out = v;
	*nout = n;
	return 0;
}

int ith_hosts_parse(const char *file, const char *text, size_t len, struct ith_strlist *out, struct ith_strbuf *err)
{
	struct host_line *v = NULL;
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len))
		return ith_err(err, ITH_ERR_CONFIG, "%s: contains a NUL byte; not a text file", file);
	if ((r = hosts_lines(file, text, len, &v, &n, err)) < 0)
		return r;
	if (n == 0) {
		free(v);
		return ith_err(err, ITH_ERR_CONFIG, "%s: lists no host; to retire every host, remove the profile and run "
			"revoke NAME", file);
	}
	if ((r = hosts_unique(file, v, n, err)) < 0) {
		lines_free(v, n);
		return r;
	}
	out->v = ith_xcalloc(n, sizeof(*out->v));
	for (size_t i = 0; i < n; i++)
		out->v[i] = v[i].host;
	out->n = n;
	free(v);
	return 0;
}

int ith_hosts_read(const struct ith_profile *base, struct ith_strlist *out, struct ith_strbuf *err)
{
	const char *path = base->hosts_file;
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	/* the file and every directory and link on its way: whoever can change it chooses which tokens exist */
	if ((r = ith_check_trusted_path(path, "hosts_file", err)) < 0 ||
	    (r = ith_read_file(path, ITH_HOSTS_MAX_BYTES, false, "hosts_file", &text, &len, err)) < 0)
		/* "NAME: hosts_file '/path': why"; a missing file keeps its cause (78 all the same) for check --offline */
		return ith_err_prefix(err, r == ITH_ERR_FILE_NOT_FOUND ? r : ITH_ERR_CONFIG, "%s", base->name);
	r = ith_hosts_parse(path, text, len, out, err);
	free(text);
	if (r < 0)
		return ith_err_prefix(err, r, "%s: hosts_file", base->name);
	return 0;
}

/* s with every {{host}} replaced by host (a new string). */
static char *substitute(const char *s, const char *host)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	const size_t plen = strlen(ITH_HOST_PLACEHOLDER);

	for (const char *m; (m = strstr(s, ITH_HOST_PLACEHOLDER)) != NULL; s = m + plen) {
		ith_strbuf_add(&sb, s, (size_t)(m - s));
		ith_strbuf_addstr(&sb, host);
	}
	ith_strbuf_addstr(&sb, s);
	return ith_strbuf_detach(&sb);
}

void ith_sink_substitute_host(struct ith_sink *dst, const struct ith_sink *src, const char *host)
{
	*dst = *src;
	/* every string field that names a place: the one list of them (a new one is added here, and freed by
	 * config.c's profile_copy_release) */
	dst->path = src->path ? substitute(src->path, host) : NULL;
	dst->secret = src->secret ? substitute(src->secret, host) : NULL;
}

void ith_profile_expand(const struct ith_profile *base, const char *host, bool removed, struct ith_profile *out)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;

	*out = *base;
	ith_strbuf_addf(&sb, "%s@%s", base->name, host);
	out->name = ith_strbuf_detach(&sb);
	out->host = out->name + strlen(base->name) + 1;
	ith_strbuf_addf(&sb, "%s (host %s)", base->description, host);
	out->description = ith_strbuf_detach(&sb);
	out->sinks = base->nsinks ? ith_xcalloc(base->nsinks, sizeof(*out->sinks)) : NULL;
	for (size_t i = 0; i < base->nsinks; i++)
		ith_sink_substitute_host(&out->sinks[i], &base->sinks[i], host);
	out->host_removed = removed;
	out->hosts_copy = true;
	out->hosts_cause = 0;
	out->hosts_error = NULL;
}

/* The profile standing for base's hosts when its file cannot be used: it only fails. */
static void profile_failed(const struct ith_profile *base, int cause, const char *msg, struct ith_profile *out)
{
	*out = *base;
	out->name = ith_xstrdup(base->name);
	out->description = ith_xstrdup(base->description);
	out->sinks = NULL;
	out->nsinks = 0;
	out->hosts_copy = true;
	out->hosts_cause = cause;
	out->hosts_error = ith_xstrdup(msg);
}

struct expansion {
	struct ith_profile *v;
	size_t n, cap;
};

static struct ith_profile *expansion_slot(struct expansion *x)
{
	if (x->n == x->cap) {
		struct ith_profile *nv = realloc(x->v, (x->cap = x->cap ? x->cap * 2 : 16) * sizeof(*x->v));
		if (!nv)
			abort();
		x->v = nv;
	}
	memset(&x->v[x->n], 0, sizeof(x->v[0]));
	return &x->v[x->n++];
}

/* NAME@HOST of every NAME@HOST.state in state_dir, sorted (none when it cannot be read: nothing is retired). */
static void state_hosts(const char *dir, struct ith_strlist *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0, slen = strlen(ITH_LAYOUT_STATE);

	memset(out, 0, sizeof(*out));
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= slen || !strchr(e->d_name, '@') || strcmp(e->d_name + len - slen, ITH_LAYOUT_STATE))
			continue;
		char *name = ith_xstrndup(e->d_name, len - slen);
		if (!ith_valid_expanded_name(name)) {
			free(name);
			continue;
		}
		if (out->n == cap) {
			char **nv = realloc(out->v, (cap = cap ? cap * 2 : 64) * sizeof(*out->v));
			if (!nv)
				abort();
			out->v = nv;
		}
		out->v[out->n++] = name;
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

static void strlist_free(struct ith_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Hosts with a state but no line in the file: expanded as removed. */
static void expand_removed(const struct ith_profile *base, const struct ith_strlist *hosts,
	const struct ith_strlist *states, struct expansion *x)
{
	size_t blen = strlen(base->name);

	for (size_t i = 0; i < states->n; i++) {
		const char *s = states->v[i], *h = s + blen + 1;
		if (strncmp(s, base->name, blen) || s[blen] != '@')
			continue;
		if (!bsearch(&h, hosts->v, hosts->n, sizeof(*hosts->v), cmp_str))
			ith_profile_expand(base, h, true, expansion_slot(x));
	}
}

/*
 * hosts_file cannot be used: the hosts known from their state files stay (status and the metrics keep their
 * series, and their tokens are renewed when due), marked hosts_unknown, so that nothing is recorded as removed
 * (or as listed again) on the word of a file that cannot be read.
 */
static void expand_known(const struct ith_profile *base, const struct ith_strlist *states, struct expansion *x)
{
	size_t blen = strlen(base->name);

	for (size_t i = 0; i < states->n; i++) {
		const char *s = states->v[i], *h = s + blen + 1;
		if (strncmp(s, base->name, blen) || s[blen] != '@' || !ith_valid_host_name(h))
			continue;
		struct ith_profile *p = expansion_slot(x);
		ith_profile_expand(base, h, false, p);
		p->hosts_unknown = true;
	}
}

/* Is path (normalised) inside dir? */
static bool path_in(const char *path, const char *dir)
{
	char *p, *d;
	bool in;

	if (!dir)
		return false;
	p = ith_path_normalize(path);
	d = ith_path_normalize(dir);
	in = !strncmp(p, d, strlen(d)) && p[strlen(d)] == '/';
	free(p);
	free(d);
	return in;
}

/* No host may put a sink among the helper's own files (state_dir, status_dir): a host named "instance" must
 * not overwrite the instance id. The load-time collision check sees only the path with {{host}}. */
/* A Secret's name as Kubernetes takes it (RFC 1123 subdomain): a host written in capitals makes one it refuses. */
static bool k8s_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n &&
	       !strchr("-.", s[0]) && !strchr("-.", s[n - 1]);
}

/* A name the atomic writer's clean-up takes for one of its own temporary files (fs.c: NAME.tmp- and 8 more). */
static bool looks_like_temp(const char *path)
{
	size_t n = strlen(path);

	return n > 13 && !strncmp(path + n - 13, ".tmp-", 5);
}

/* One host's sink j: a local path among the helper's own files (or named like its temporary files), or a Secret
 * name Kubernetes refuses. */
static int host_sink_check(const struct ith_config *cfg, const struct ith_profile *base, const char *host,
	size_t j, struct ith_strbuf *err)
{
	const struct ith_sink *s = &base->sinks[j];
	char *name;
	int r = 0;

	if (s->type == ITH_SINK_KUBERNETES) {
		name = substitute(s->secret, host);
		if (!k8s_name_ok(name))
			r = ith_err(err, ITH_ERR_CONFIG, "%s: hosts_file %s: host '%s' makes sinks[%zu]'s Secret name '%s', "
				"which Kubernetes refuses (lower-case letters, digits, '-', '.'): write the host in lower case",
				base->name, base->hosts_file, host, j, name);
	} else if (s->type == ITH_SINK_VAULT) {
		return 0;
	} else {
		name = substitute(s->path, host);
		if (looks_like_temp(name))
			r = ith_err(err, ITH_ERR_CONFIG, "%s: hosts_file %s: host '%s' puts sinks[%zu] at '%s', which is named "
				"like a temporary file of the helper's (FILE.tmp-XXXXXXXX) and would be removed as one: choose "
				"another host name", base->name, base->hosts_file, host, j, name);
		else if (path_in(name, cfg->state_dir) || path_in(name, cfg->status_dir))
			r = ith_err(err, ITH_ERR_CONFIG, "%s: hosts_file %s: host '%s' puts sinks[%zu] at '%s', among the "
				"helper's own files (state_dir, status_dir): choose a sink path outside them", base->name,
				base->hosts_file, host, j, name);
	}
	free(name);
	return r;
}

static int hosts_sinks_apart(const struct ith_config *cfg, const struct ith_profile *base,
	const struct ith_strlist *hosts, struct ith_strbuf *err)
{
	int r;

	for (size_t i = 0; i < hosts->n; i++)
		for (size_t j = 0; j < base->nsinks; j++)
			if ((r = host_sink_check(cfg, base, hosts->v[i], j, err)) < 0)
				return r;
	return 0;
}

static void expand_one(const struct ith_config *cfg, const struct ith_profile *base, const struct ith_strlist *states,
	struct expansion *x)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;
	struct ith_strlist hosts;
	int r;

	bool unreadable = (r = ith_hosts_read(base, &hosts, &err)) < 0;

	if (unreadable || (r = hosts_sinks_apart(cfg, base, &hosts, &err)) < 0) {
		if (hosts.v)
			strlist_free(&hosts);
		profile_failed(base, r, ith_err_msg(&err), expansion_slot(x));
		ith_strbuf_release(&err);
		if (unreadable)  /* (a host whose sinks would fall among the helper's files is never kept) */
			expand_known(base, states, x);
		return;
	}
	for (size_t i = 0; i < hosts.n; i++)
		ith_profile_expand(base, hosts.v[i], false, expansion_slot(x));
	expand_removed(base, &hosts, states, x);
	strlist_free(&hosts);
	ith_strbuf_release(&err);
}

void ith_hosts_expand(struct ith_config *cfg)
{
	struct expansion x = { NULL, 0, 0 };
	struct ith_strlist states = { NULL, 0 };
	size_t nb = 0;

	for (size_t i = 0; i < cfg->nprofiles; i++)
		nb += cfg->profiles[i].hosts_file != NULL;
	if (nb == 0 || cfg->bases)
		return;
	cfg->bases = ith_xcalloc(nb, sizeof(*cfg->bases));
	state_hosts(cfg->state_dir, &states);
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		if (!cfg->profiles[i].hosts_file) {
			*expansion_slot(&x) = cfg->profiles[i];
			continue;
		}
		struct ith_profile *base = &cfg->bases[cfg->nbases++];
		*base = cfg->profiles[i];
		expand_one(cfg, base, &states, &x);
	}
	strlist_free(&states);
	free(cfg->profiles);
	cfg->profiles = x.v;
	cfg->nprofiles = x.n;
}

static bool is_host_of(const struct ith_profile *p, const char *base)
{
	size_t n = strlen(base);

	return p->host && !strncmp(p->name, base, n) && p->name[n] == '@';
}

/* NAME@HOST of a profile whose hosts_file could not be used: NAME, which fails with that file's error. */
static int failed_base(const struct ith_config *cfg, const char *name, const struct ith_profile ***out, size_t *n,
	struct ith_strbuf *err)
{
	const char *at = strchr(name, '@');

	for (size_t i = 0; at && i < cfg->nprofiles; i++) {
		const struct ith_profile *p = &cfg->profiles[i];
		if (p->hosts_cause && strlen(p->name) == (size_t)(at - name) && !strncmp(p->name, name, (size_t)(at - name))) {
			*out = ith_xcalloc(1, sizeof(**out));
			(*out)[0] = p;
			*n = 1;
			ith_strbuf_release(err);
			return 0;
		}
	}
	return ITH_ERR_USAGE;  /* err holds ith_config_profile's message */
}

int ith_hosts_select(const struct ith_config *cfg, const char *name, const struct ith_profile ***out, size_t *n,
	struct ith_strbuf *err)
{
	const struct ith_profile *p;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (ith_config_profile(cfg, name, &p, err) == 0) {
		*out = ith_xcalloc(1, sizeof(**out));
		(*out)[0] = p;
		*n = 1;
		return 0;
	}
	for (size_t i = 0; i < cfg->nprofiles; i++)
		k += is_host_of(&cfg->profiles[i], name);
	if (k == 0)
		return failed_base(cfg, name, out, n, err);
	*out = ith_xcalloc(k, sizeof(**out));
	for (size_t i = 0; i < cfg->nprofiles; i++)
		if (is_host_of(&cfg->profiles[i], name))
			(*out)[(*n)++] = &cfg->profiles[i];
	ith_strbuf_release(err);
	return 0;
}
