#include "cli.h"
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One profile's health, the same for every format. Never a secret. */
struct health {
	char name[ITH_NAME_MAX + 1];
	char cluster_id[ITH_UUID_LEN + 1];
	const struct ith_profile *profile;  /* NULL with --from (no config) */
	const char *state;        /* ok, renew-due, activating, failing, expired, missing, error */
	bool has_current;
	char id[ITH_UUID_LEN + 1], next_id[ITH_UUID_LEN + 1];
	int64_t expires_at, seconds_left, age_seconds, renew_at, next_age;
	uint64_t rotations, failures, hook_failures;
	size_t retired;
	char last_error[256], last_hook_error[256];
	bool hook_pending;  /* on_rotate has not yet run for the current token */
};

static void health_init(struct health *h, const char *name, const char *cluster_id, const struct ith_profile *p)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", cluster_id);
	h->profile = p;
}

static void health_error(struct health *h)
{
	h->state = "error";
	snprintf(h->last_error, sizeof(h->last_error), "%s", ith_errmsg());
}

/* renew_at: when the current token's renewal is due. */
static void health_from(const struct ith_state *st, int64_t renew_at, int64_t now, struct health *h)
{
	if (!st->has_current)
		h->state = st->has_next ? "activating" : "missing";
	else if (st->current.expires_at <= now)
		h->state = "expired";
	else if (st->last_error[0])
		h->state = "failing";
	else if (st->has_next)
		h->state = "activating";
	else if (renew_at && now >= renew_at)
		h->state = "renew-due";
	else
		h->state = "ok";
	h->has_current = st->has_current;
	if (st->has_current) {
		memcpy(h->id, st->current.id, sizeof(h->id));
		h->expires_at = st->current.expires_at;
		h->seconds_left = st->current.expires_at - now;
		h->age_seconds = now - st->current.created_at;
		h->renew_at = renew_at;
	}
	if (st->has_next) {
		memcpy(h->next_id, st->next.id, sizeof(h->next_id));
		h->next_age = now - st->next.started_at;
	}
	h->rotations = st->rotations;
	h->failures = st->failures;
	h->hook_failures = st->hook_failures;
	h->retired = st->nretired;
	memcpy(h->last_error, st->last_error, sizeof(h->last_error));
	memcpy(h->last_hook_error, st->last_hook_error, sizeof(h->last_hook_error));
	h->hook_pending = st->hook_pending[0] && st->has_current && !strcmp(st->hook_pending, st->current.id);
}

/* From the state (public: from status_dir's copy, for users who may not read state_dir). */
static void health_of_profile(struct cli *cli, const struct ith_profile *p, int64_t now, bool public, struct health *h)
{
	const char *inst = cli->ctx.instance;
	struct ith_public pub;
	struct ith_state st;
	int r;

	health_init(h, p->name, cli->cfg.cluster_id, p);
	r = public ? ith_state_load_public(cli->cfg.status_dir, p->name, &st, &pub, ith_legacy_err())
		   : ith_state_load(cli->cfg.state_dir, p->name, inst, &st, ith_legacy_err());
	if (r < 0)
		return health_error(h);
	if (public)
		inst = st.instance;
	health_from(&st, st.has_current ? ith_token_renew_at(&st.current, p, inst) : 0, now, h);
	ith_state_release(&st);
}

/* --from DIR: the published copies alone, no configuration needed. */
static void health_of_file(const char *dir, const char *name, int64_t now, struct health *h)
{
	struct ith_public pub;
	struct ith_state st;

	health_init(h, name, "", NULL);
	if (ith_state_load_public(dir, name, &st, &pub, ith_legacy_err()) < 0)
		return health_error(h);
	snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", pub.cluster_id);
	health_from(&st, pub.renew_at, now, h);
	ith_state_release(&st);
}

static json_object *health_json(const struct health *h)
{
	json_object *o = json_object_new_object();
	char when[32];

	json_object_object_add(o, "name", json_object_new_string(h->name));
	json_object_object_add(o, "state", json_object_new_string(h->state));
	if (h->has_current) {
		json_object_object_add(o, "id", json_object_new_string(h->id));
		ith_format_rfc3339(h->expires_at, when, sizeof(when));
		json_object_object_add(o, "expires_at", json_object_new_string(when));
		json_object_object_add(o, "seconds_left", json_object_new_int64(h->seconds_left));
		json_object_object_add(o, "age_seconds", json_object_new_int64(h->age_seconds));
		ith_format_rfc3339(h->renew_at, when, sizeof(when));
		json_object_object_add(o, "renew_at", json_object_new_string(when));
	}
	if (h->next_id[0])
		json_object_object_add(o, "next_id", json_object_new_string(h->next_id));
	json_object_object_add(o, "rotations", json_object_new_int64((int64_t)h->rotations));
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)h->failures));
	json_object_object_add(o, "hook_failures", json_object_new_int64((int64_t)h->hook_failures));
	json_object_object_add(o, "retired", json_object_new_int64((int64_t)h->retired));
	json_object_object_add(o, "last_error", json_object_new_string(h->last_error));
	json_object_object_add(o, "last_hook_error", json_object_new_string(h->last_hook_error));
	json_object_object_add(o, "hook_pending", json_object_new_boolean(h->hook_pending));
	return o;
}

static void health_text(const struct health *h, int64_t now)
{
	const struct ith_profile *p = h->profile;
	char when[32], left[32];
	struct stat sb;

	printf("%s: %s\n", h->name, h->state);
	if (h->has_current) {
		printf("  token:       %s\n", h->id);
		ith_format_rfc3339(h->expires_at, when, sizeof(when));
		ith_format_duration(h->seconds_left, left, sizeof(left));
		printf("  expires:     %s (%s left)\n", when, left);
		ith_format_rfc3339(h->renew_at, when, sizeof(when));
		ith_format_duration(h->renew_at - now, left, sizeof(left));
		printf("  renewal:     %s (in %s)\n", when, left);
	}
	if (h->next_id[0])
		printf("  next:        %s (activating for %llds)\n", h->next_id, (long long)h->next_age);
	printf("  rotations:   %llu, failures: %llu, hook failures: %llu\n", (unsigned long long)h->rotations,
		(unsigned long long)h->failures, (unsigned long long)h->hook_failures);
	if (h->retired)
		printf("  retired:     %zu awaiting revocation\n", h->retired);
	for (size_t i = 0; p && i < p->nsinks; i++)
		printf("  sink:        %s (%s)\n", p->sinks[i].path, lstat(p->sinks[i].path, &sb) == 0 ? "present" : "missing");
	if (h->last_error[0])
		printf("  last error:  %s\n", h->last_error);
	if (h->hook_pending)
		printf("  hook:        pending (on_rotate has not run for the current token yet; the next rotate runs it)\n");
	if (h->last_hook_error[0])
		printf("  last hook:   %s\n", h->last_hook_error);
}

/* Line protocol: escape a tag value (commas, equals signs, spaces). */
static void lp_tag(struct ith_strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == ',' || *s == '=' || *s == ' ' || *s == '\\')
			ith_strbuf_add(sb, "\\", 1);
		ith_strbuf_add(sb, s, 1);
	}
}

/* Line protocol: a double-quoted string field; control characters become blanks. */
static void lp_string(struct ith_strbuf *sb, const char *s)
{
	ith_strbuf_add(sb, "\"", 1);
	for (; *s; s++) {
		char c = (unsigned char)*s < 0x20 ? ' ' : *s;
		if (c == '"' || c == '\\')
			ith_strbuf_add(sb, "\\", 1);
		ith_strbuf_add(sb, &c, 1);
	}
	ith_strbuf_add(sb, "\"", 1);
}

static void health_influx(const struct health *h, struct ith_strbuf *sb)
{
	ith_strbuf_addstr(sb, "influx_token_helper,name=");
	lp_tag(sb, h->name);
	if (h->cluster_id[0]) {  /* an empty tag value is not line protocol */
		ith_strbuf_addstr(sb, ",cluster_id=");
		lp_tag(sb, h->cluster_id);
	}
	ith_strbuf_addstr(sb, " ");
	if (h->has_current)
		ith_strbuf_addf(sb, "expires_at=%lldi,seconds_left=%lldi,age_seconds=%lldi,",
			(long long)h->expires_at, (long long)h->seconds_left, (long long)h->age_seconds);
	ith_strbuf_addf(sb, "rotations=%llui,failures=%llui,hook_failures=%llui,retired=%zui,ok=%s,state=",
		(unsigned long long)h->rotations, (unsigned long long)h->failures,
		(unsigned long long)h->hook_failures, h->retired, strcmp(h->state, "ok") ? "false" : "true");
	lp_string(sb, h->state);
	ith_strbuf_addstr(sb, ",last_error=");
	lp_string(sb, h->last_error);
	ith_strbuf_addstr(sb, ",last_hook_error=");
	lp_string(sb, h->last_hook_error);
	ith_strbuf_addstr(sb, "\n");
}

/* Prometheus text exposition: a label value (backslash, double quote, newline escaped). */
static void prom_label(struct ith_strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			ith_strbuf_add(sb, "\\", 1);
		if (*s == '\n')
			ith_strbuf_addstr(sb, "\\n");
		else
			ith_strbuf_add(sb, s, 1);
	}
}

static void prom_series(struct ith_strbuf *sb, const char *metric, const struct health *h, const char *state)
{
	ith_strbuf_addf(sb, "influx_token_helper_%s{profile=\"", metric);
	prom_label(sb, h->name);
	ith_strbuf_addstr(sb, "\",cluster=\"");
	prom_label(sb, h->cluster_id);
	if (state)
		ith_strbuf_addf(sb, "\",state=\"%s", state);
	ith_strbuf_addstr(sb, "\"} ");
}

/*
 * The same health as --format influx, one metric family at a time (HELP and
 * TYPE once, then a sample per profile), labels profile and cluster. Never
 * a secret; error texts are left to `status` (no strings in Prometheus).
 */
static void health_prometheus(const struct health *hs, size_t n, struct ith_strbuf *sb)
{
	static const char *const states[] = { "ok", "renew-due", "activating", "failing", "expired", "missing", "error" };
	static const struct {
		const char *name, *type, *help;
		int what;
	} fams[] = {
		{ "expiry_timestamp_seconds", "gauge", "When the current token expires (Unix time).", 0 },
		{ "seconds_left", "gauge", "Seconds until the current token expires.", 1 },
		{ "age_seconds", "gauge", "Seconds since the current token was created.", 2 },
		{ "renewal_timestamp_seconds", "gauge", "When the current token's renewal is due (Unix time).", 3 },
		{ "rotations_total", "counter", "Switches to a new token.", 4 },
		{ "failures_total", "counter", "Failed rotation attempts.", 5 },
		{ "hook_failures_total", "counter", "on_rotate hooks that failed.", 6 },
		{ "retired_tokens", "gauge", "Old tokens in their grace, awaiting revocation.", 7 },
		{ "ok", "gauge", "1 when the profile is healthy (state ok), else 0.", 8 },
		{ "state", "gauge", "1 for the profile's state, 0 for the others.", 9 },
	};

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		bool any = false;
		for (size_t i = 0; i < n; i++)
			any |= fams[f].what > 3 || hs[i].has_current;
		if (!any)
			continue;
		ith_strbuf_addf(sb, "# HELP influx_token_helper_%s %s\n# TYPE influx_token_helper_%s %s\n", fams[f].name,
			fams[f].help, fams[f].name, fams[f].type);
		for (size_t i = 0; i < n; i++) {
			const struct health *h = &hs[i];
			if (fams[f].what <= 3 && !h->has_current)
				continue;
			if (fams[f].what == 9) {
				for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
					prom_series(sb, fams[f].name, h, states[k]);
					ith_strbuf_addf(sb, "%d\n", !strcmp(h->state, states[k]));
				}
				continue;
			}
			prom_series(sb, fams[f].name, h, NULL);
			switch (fams[f].what) {
			case 0: ith_strbuf_addf(sb, "%lld\n", (long long)h->expires_at); break;
			case 1: ith_strbuf_addf(sb, "%lld\n", (long long)h->seconds_left); break;
			case 2: ith_strbuf_addf(sb, "%lld\n", (long long)h->age_seconds); break;
			case 3: ith_strbuf_addf(sb, "%lld\n", (long long)h->renew_at); break;
			case 4: ith_strbuf_addf(sb, "%llu\n", (unsigned long long)h->rotations); break;
			case 5: ith_strbuf_addf(sb, "%llu\n", (unsigned long long)h->failures); break;
			case 6: ith_strbuf_addf(sb, "%llu\n", (unsigned long long)h->hook_failures); break;
			case 7: ith_strbuf_addf(sb, "%zu\n", h->retired); break;
			default: ith_strbuf_addf(sb, "%d\n", !strcmp(h->state, "ok")); break;
			}
		}
	}
}

int cli_prometheus_textfile(struct cli *cli)
{
	const char *path = cli->cfg.prometheus_textfile;
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct health *hs;
	int64_t now = ith_now();
	int r;

	if (!path || !cli->ctx_ready)
		return 0;
	hs = ith_xcalloc(cli->cfg.nprofiles, sizeof(*hs));
	for (size_t i = 0; i < cli->cfg.nprofiles; i++)
		health_of_profile(cli, &cli->cfg.profiles[i], now, false, &hs[i]);
	health_prometheus(hs, cli->cfg.nprofiles, &sb);
	ith_strbuf_addstr(&sb, "");
	/* world-readable: node_exporter reads it; no secret in it */
	r = ith_write_atomic(path, sb.buf, sb.len, 0644, (gid_t)-1, ith_legacy_err());
	if (r < 0)
		ith_log(&cli->ctx, ITH_LOG_WARN, "prometheus_textfile: %s", ith_errmsg());
	ith_strbuf_release(&sb);
	free(hs);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The profile names published in DIR (*.json), sorted. */
static int published_names(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t k = 0, alloc = 0;

	if (!d) {
		if (errno == ENOENT) {  /* nothing published yet: no lines, not an error */
			*out = NULL;
			*n = 0;
			return 0;
		}
		return ith_error(errno == EACCES ? ITH_E_PERM : ITH_E_CONFIG, "status --from: cannot open '%s': %s", dir,
			strerror(errno));
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		char *name = ith_xstrndup(e->d_name, len - 5);
		if (!ith_valid_profile_name(name)) {
			free(name);
			continue;
		}
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

/* Prints the health of n profiles in fmt (text, json, influx, prometheus). */
static void status_print(struct cli *cli, const struct health *hs, size_t n, const char *fmt, bool from,
	int64_t now)
{
	struct ith_strbuf lines = ITH_STRBUF_INIT;
	json_object *root = NULL, *arr = NULL;

	if (!strcmp(fmt, "json")) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "instance", json_object_new_string(cli->ctx.instance));
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, health_json(&hs[i]));
		json_object_object_add(root, "profiles", arr);
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else if (!strcmp(fmt, "influx")) {
		for (size_t i = 0; i < n; i++)
			health_influx(&hs[i], &lines);
		fputs(lines.buf ? lines.buf : "", stdout);
	} else if (!strcmp(fmt, "prometheus")) {
		health_prometheus(hs, n, &lines);
		fputs(lines.buf ? lines.buf : "", stdout);
	} else {
		for (size_t i = 0; i < n; i++)
			health_text(&hs[i], now);
		if (!from)
			printf("instance: %s\n", cli->ctx.instance[0] ? cli->ctx.instance : "(none yet)");
	}
	ith_strbuf_release(&lines);
}

/*
 * The profiles to report on: the NAMEs given, or all, from the config (and
 * the state, or its public copies when the state is not ours to read).
 * Returns 0, or the exit status.
 */
static int status_profiles(struct cli *cli, int argc, char **argv, const struct ith_profile ***profiles,
	size_t *n, bool *public)
{
	int rc, r;

	if ((rc = cli_load(cli, CLI_CONFIG)) || (rc = cli_profiles(cli, argc, argv, profiles, n)))
		return rc;
	r = ith_ctx_init(&cli->ctx, &cli->cfg, true, NULL, NULL);
	if (r == 0) {
		cli->ctx_ready = true;
	} else if ((r == ITH_ERR_UNSAFE || r == ITH_ERR_ACCESS) && cli->cfg.status_dir) {
		*public = true;  /* not ours to read: the published, secret-free copies */
	} else {
		free(*profiles);
		return cli_fail(r, ith_legacy_err());
	}
	return 0;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "from", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ith_profile **profiles = NULL;
	const char *fmt = "text", *from = NULL;
	char **names = NULL;
	struct health *hs;
	bool public = false;
	size_t n = 0;
	int64_t now = ith_now();
	int c, rc, r;

	while ((c = getopt_long(argc, argv, "f:F:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'F': from = optarg; break;
		case 'h': return cli_command_help("status");
		default: return cli_usage_error("status", "unknown option");
		}
	}
	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "influx") && strcmp(fmt, "prometheus"))
		return cli_usage_error("status", "unknown format '%s' (text, json, influx, prometheus)", fmt);
	if (from) {
		if (optind < argc) {
			n = (size_t)(argc - optind);
			names = ith_xcalloc(n, sizeof(*names));
			for (size_t i = 0; i < n; i++)
				names[i] = ith_xstrdup(argv[optind + (int)i]);
		} else if ((r = published_names(from, &names, &n)) < 0) {
			return cli_fail(r, ith_legacy_err());
		}
	} else if ((rc = status_profiles(cli, argc - optind, argv + optind, &profiles, &n, &public))) {
		return rc;
	}
	hs = ith_xcalloc(n, sizeof(*hs));
	for (size_t i = 0; i < n; i++) {
		if (from)
			health_of_file(from, names[i], now, &hs[i]);
		else
			health_of_profile(cli, profiles[i], now, public, &hs[i]);
	}
	/* Unhealthy profiles are data, not failures: exit 0 so inputs.exec keeps collecting. */
	status_print(cli, hs, n, fmt, from != NULL, now);
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(hs);
	free(profiles);
	return 0;
}
