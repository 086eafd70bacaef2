#include "health.h"

#include "error.h"
#include "time.h"
#include "schedule.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[ITH_HEALTH_NSTATES] = {
	"ok", "renew-due", "activating", "failing", "expired", "missing", "error", "publish-failing",
};

const char *ith_health_state_name(enum ith_health_state s)
{
	return (unsigned)s < ITH_HEALTH_NSTATES ? state_names[s] : "error";
}

/* ---- the model ---- */

void ith_health_init(struct ith_health *h, const char *name, const char *cluster_id, const struct ith_profile *p)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", cluster_id);
	h->profile = p;
	h->state = ITH_HEALTH_OK;
}

void ith_health_set_error(struct ith_health *h, const char *msg)
{
	h->state = ITH_HEALTH_ERROR;
	snprintf(h->last_error, sizeof(h->last_error), "%s", msg);
}

static enum ith_health_state state_of(const struct ith_state *st, int64_t renew_at, int64_t now)
{
	if (!st->has_current)
		return st->has_next ? ITH_HEALTH_ACTIVATING : ITH_HEALTH_MISSING;
	if (ith_expired(st->current.expires_at, now))
		return ITH_HEALTH_EXPIRED;
	/* a valid token its consumers may not have: worse than a failed renewal (the published token still works) */
	if (st->publish.since)
		return ITH_HEALTH_PUBLISH_FAILING;
	if (st->last_error[0])
		return ITH_HEALTH_FAILING;
	if (st->has_next)
		return ITH_HEALTH_ACTIVATING;
	if (renew_at && ith_renewal_due_at(renew_at, now))
		return ITH_HEALTH_RENEW_DUE;
	return ITH_HEALTH_OK;
}

void ith_health_from_state(struct ith_health *h, const struct ith_state *st, int64_t renew_at, int64_t now)
{
	h->state = state_of(st, renew_at, now);
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
	h->publish_since = st->publish.since;
	h->publish_failed_sinks = st->publish.since ? st->publish.sinks : 0;
	memcpy(h->publish_sink, st->publish.sink, sizeof(h->publish_sink));
	memcpy(h->publish_error, st->publish.error, sizeof(h->publish_error));
}


/* ---- text and json ---- */

static void text_times(const struct ith_health *h, int64_t now, struct ith_strbuf *sb)
{
	char when[32], left[32];

	ith_strbuf_addf(sb, "  token:       %s\n", h->id);
	ith_format_rfc3339(h->expires_at, when, sizeof(when));
	ith_format_duration(h->seconds_left, left, sizeof(left));
	ith_strbuf_addf(sb, "  expires:     %s (%s left)\n", when, left);
	ith_format_rfc3339(h->renew_at, when, sizeof(when));
	ith_format_duration(h->renew_at - now, left, sizeof(left));
	ith_strbuf_addf(sb, "  renewal:     %s (in %s)\n", when, left);
}

static void text_publish(const struct ith_health *h, int64_t now, struct ith_strbuf *sb)
{
	char when[32], ago[32];

	ith_format_rfc3339(h->publish_since, when, sizeof(when));
	ith_format_duration(now - h->publish_since, ago, sizeof(ago));
	ith_strbuf_addf(sb, "  publish:     failing since %s (%s), %u sink%s: %s: %s\n", when, ago,
		h->publish_failed_sinks, h->publish_failed_sinks == 1 ? "" : "s", h->publish_sink, h->publish_error);
}

void ith_health_text(const struct ith_health *h, int64_t now, ith_path_present_fn present, struct ith_strbuf *sb)
{
	const struct ith_profile *p = present ? h->profile : NULL;

	ith_strbuf_addf(sb, "%s: %s\n", h->name, ith_health_state_name(h->state));
	if (h->has_current)
		text_times(h, now, sb);
	if (h->next_id[0])
		ith_strbuf_addf(sb, "  next:        %s (activating for %llds)\n", h->next_id, (long long)h->next_age);
	ith_strbuf_addf(sb, "  rotations:   %llu, failures: %llu, hook failures: %llu\n",
		(unsigned long long)h->rotations, (unsigned long long)h->failures, (unsigned long long)h->hook_failures);
	if (h->retired)
		ith_strbuf_addf(sb, "  retired:     %zu awaiting revocation\n", h->retired);
	for (size_t i = 0; p && i < p->nsinks; i++) {
		char label[512];
		if (ith_sink_is_remote(&p->sinks[i]))  /* status makes no network call */
			ith_strbuf_addf(sb, "  sink:        %s\n", ith_sink_label(&p->sinks[i], label, sizeof(label)));
		else
			ith_strbuf_addf(sb, "  sink:        %s (%s)\n", p->sinks[i].path,
				present(p->sinks[i].path) ? "present" : "missing");
	}
	if (h->publish_since)
		text_publish(h, now, sb);
	if (h->last_error[0])
		ith_strbuf_addf(sb, "  last error:  %s\n", h->last_error);
	if (h->hook_pending)
		ith_strbuf_addstr(sb, "  hook:        pending (on_rotate has not run for the current token yet; "
			"the next rotate runs it)\n");
	if (h->last_hook_error[0])
		ith_strbuf_addf(sb, "  last hook:   %s\n", h->last_hook_error);
}

static void json_add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *health_json(const struct ith_health *h)
{
	json_object *o = json_object_new_object();
	char when[32];

	json_add(o, "name", json_object_new_string(h->name));
	json_add(o, "state", json_object_new_string(ith_health_state_name(h->state)));
	if (h->has_current) {
		json_add(o, "id", json_object_new_string(h->id));
		ith_format_rfc3339(h->expires_at, when, sizeof(when));
		json_add(o, "expires_at", json_object_new_string(when));
		json_add(o, "seconds_left", json_object_new_int64(h->seconds_left));
		json_add(o, "age_seconds", json_object_new_int64(h->age_seconds));
		ith_format_rfc3339(h->renew_at, when, sizeof(when));
		json_add(o, "renew_at", json_object_new_string(when));
	}
	if (h->next_id[0])
		json_add(o, "next_id", json_object_new_string(h->next_id));
	json_add(o, "rotations", json_object_new_int64((int64_t)h->rotations));
	json_add(o, "failures", json_object_new_int64((int64_t)h->failures));
	json_add(o, "hook_failures", json_object_new_int64((int64_t)h->hook_failures));
	json_add(o, "retired", json_object_new_int64((int64_t)h->retired));
	json_add(o, "last_error", json_object_new_string(h->last_error));
	json_add(o, "last_hook_error", json_object_new_string(h->last_hook_error));
	json_add(o, "hook_pending", json_object_new_boolean(h->hook_pending));
	json_add(o, "publish_failing", json_object_new_boolean(h->publish_since != 0));
	json_add(o, "publish_failed_sinks", json_object_new_int64((int64_t)h->publish_failed_sinks));
	if (h->publish_since) {
		ith_format_rfc3339(h->publish_since, when, sizeof(when));
		json_add(o, "publish_failing_since", json_object_new_string(when));
		json_add(o, "publish_failing_sink", json_object_new_string(h->publish_sink));
		json_add(o, "publish_error", json_object_new_string(h->publish_error));
	}
	return o;
}

void ith_health_json(const char *instance, const struct ith_health *hs, size_t n, struct ith_strbuf *sb)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();

	json_add(root, "instance", json_object_new_string(instance));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, health_json(&hs[i]));
	json_add(root, "profiles", arr);
	ith_strbuf_addstr(sb, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
		JSON_C_TO_STRING_NOSLASHESCAPE));
	ith_strbuf_addstr(sb, "\n");
	json_object_put(root);
}

/* ---- line protocol ---- */

void ith_lp_escape(struct ith_strbuf *sb, const char *s, enum ith_lp_part part)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20) {  /* a newline would end the line */
			ith_strbuf_addstr(sb, "\\ ");
			continue;
		}
		if (*s == ',' || *s == ' ' || *s == '\\' || (*s == '=' && part == ITH_LP_KEY))
			ith_strbuf_add(sb, "\\", 1);
		ith_strbuf_add(sb, s, 1);
	}
}

void ith_lp_string(struct ith_strbuf *sb, const char *s)
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

static void lp_tag(struct ith_strbuf *sb, const char *key, const char *value)
{
	ith_strbuf_addstr(sb, ",");
	ith_lp_escape(sb, key, ITH_LP_KEY);
	ith_strbuf_addstr(sb, "=");
	ith_lp_escape(sb, value, ITH_LP_KEY);
}

/* "key=", with a comma before every field but the first (which follows the blank after the tags). */
static void lp_key(struct ith_strbuf *sb, const char *key)
{
	if (sb->len && sb->buf[sb->len - 1] != ' ')
		ith_strbuf_addstr(sb, ",");
	ith_lp_escape(sb, key, ITH_LP_KEY);
	ith_strbuf_addstr(sb, "=");
}

static void lp_int(struct ith_strbuf *sb, const char *key, long long v)
{
	lp_key(sb, key);
	ith_strbuf_addf(sb, "%lldi", v);
}

static void lp_uint(struct ith_strbuf *sb, const char *key, unsigned long long v)
{
	lp_key(sb, key);
	ith_strbuf_addf(sb, "%llui", v);
}

static void lp_str(struct ith_strbuf *sb, const char *key, const char *v)
{
	lp_key(sb, key);
	ith_lp_string(sb, v);
}

void ith_health_influx(const struct ith_health *h, struct ith_strbuf *sb)
{
	ith_lp_escape(sb, "influx_token_helper", ITH_LP_MEASUREMENT);
	lp_tag(sb, "name", h->name);
	if (h->cluster_id[0])  /* an empty tag value is not line protocol */
		lp_tag(sb, "cluster_id", h->cluster_id);
	ith_strbuf_addstr(sb, " ");
	if (h->has_current) {
		lp_int(sb, "expires_at", h->expires_at);
		lp_int(sb, "seconds_left", h->seconds_left);
		lp_int(sb, "age_seconds", h->age_seconds);
	}
	if (h->publish_since) {  /* only while failing: the line's bytes stay as they were when publishing is fine */
		lp_int(sb, "publish_failing", 1);
		lp_uint(sb, "publish_failed_sinks", h->publish_failed_sinks);
	}
	lp_uint(sb, "rotations", h->rotations);
	lp_uint(sb, "failures", h->failures);
	lp_uint(sb, "hook_failures", h->hook_failures);
	lp_uint(sb, "retired", h->retired);
	lp_key(sb, "ok");
	ith_strbuf_addstr(sb, h->state == ITH_HEALTH_OK ? "true" : "false");
	lp_str(sb, "state", ith_health_state_name(h->state));
	lp_str(sb, "last_error", h->last_error);
	lp_str(sb, "last_hook_error", h->last_hook_error);
	ith_strbuf_addstr(sb, "\n");
}

/* ---- prometheus ---- */

void ith_prom_label(struct ith_strbuf *sb, const char *s)
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

void ith_prom_help(struct ith_strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			ith_strbuf_addstr(sb, "\\\\");
		else if (*s == '\n')
			ith_strbuf_addstr(sb, "\\n");
		else
			ith_strbuf_add(sb, s, 1);
	}
}

bool ith_prom_valid_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == ':'))
			return false;
	return true;
}

enum prom_value { PV_EXPIRY, PV_LEFT, PV_AGE, PV_RENEWAL, PV_ROTATIONS, PV_FAILURES, PV_HOOK_FAILURES, PV_RETIRED,
	PV_OK, PV_STATE, PV_PUBLISH_FAILING, PV_PUBLISH_FAILED_SINKS };

/* The families, in the order written; the first four only for profiles with a current token. */
static const struct prom_family {
	const char *name, *type, *help;
	enum prom_value what;
} prom_families[] = {
	{ "expiry_timestamp_seconds", "gauge", "When the current token expires (Unix time).", PV_EXPIRY },
	{ "seconds_left", "gauge", "Seconds until the current token expires.", PV_LEFT },
	{ "age_seconds", "gauge", "Seconds since the current token was created.", PV_AGE },
	{ "renewal_timestamp_seconds", "gauge", "When the current token's renewal is due (Unix time).", PV_RENEWAL },
	{ "rotations_total", "counter", "Switches to a new token.", PV_ROTATIONS },
	{ "failures_total", "counter", "Failed rotation attempts.", PV_FAILURES },
	{ "hook_failures_total", "counter", "on_rotate hooks that failed.", PV_HOOK_FAILURES },
	{ "retired_tokens", "gauge", "Old tokens in their grace, awaiting revocation.", PV_RETIRED },
	{ "ok", "gauge", "1 when the profile is healthy (state ok), else 0.", PV_OK },
	{ "state", "gauge", "1 for the profile's state, 0 for the others.", PV_STATE },
	{ "publish_failing", "gauge", "1 while a sink fails to take the current token (its consumers may not have it), "
		"else 0.", PV_PUBLISH_FAILING },
	{ "publish_failed_sinks", "gauge", "Sinks that failed on the last publish.", PV_PUBLISH_FAILED_SINKS },
};
#define PROM_PREFIX "influx_token_helper_"

static bool prom_applies(const struct prom_family *f, const struct ith_health *h)
{
	return f->what > PV_RENEWAL || h->has_current;
}

static void prom_series(struct ith_strbuf *sb, const char *metric, const struct ith_health *h, const char *state)
{
	ith_strbuf_addf(sb, PROM_PREFIX "%s{profile=\"", metric);
	ith_prom_label(sb, h->name);
	ith_strbuf_addstr(sb, "\",cluster=\"");
	ith_prom_label(sb, h->cluster_id);
	if (state) {
		ith_strbuf_addstr(sb, "\",state=\"");
		ith_prom_label(sb, state);
	}
	ith_strbuf_addstr(sb, "\"} ");
}

static void prom_value(struct ith_strbuf *sb, enum prom_value what, const struct ith_health *h)
{
	switch (what) {
	case PV_EXPIRY: ith_strbuf_addf(sb, "%lld\n", (long long)h->expires_at); break;
	case PV_LEFT: ith_strbuf_addf(sb, "%lld\n", (long long)h->seconds_left); break;
	case PV_AGE: ith_strbuf_addf(sb, "%lld\n", (long long)h->age_seconds); break;
	case PV_RENEWAL: ith_strbuf_addf(sb, "%lld\n", (long long)h->renew_at); break;
	case PV_ROTATIONS: ith_strbuf_addf(sb, "%llu\n", (unsigned long long)h->rotations); break;
	case PV_FAILURES: ith_strbuf_addf(sb, "%llu\n", (unsigned long long)h->failures); break;
	case PV_HOOK_FAILURES: ith_strbuf_addf(sb, "%llu\n", (unsigned long long)h->hook_failures); break;
	case PV_RETIRED: ith_strbuf_addf(sb, "%zu\n", h->retired); break;
	case PV_PUBLISH_FAILING: ith_strbuf_addf(sb, "%d\n", h->publish_since != 0); break;
	case PV_PUBLISH_FAILED_SINKS: ith_strbuf_addf(sb, "%u\n", h->publish_failed_sinks); break;
	default: ith_strbuf_addf(sb, "%d\n", h->state == ITH_HEALTH_OK); break;
	}
}

static void prom_samples(struct ith_strbuf *sb, const struct prom_family *f, const struct ith_health *h)
{
	if (f->what != PV_STATE) {
		prom_series(sb, f->name, h, NULL);
		prom_value(sb, f->what, h);
		return;
	}
	for (int k = 0; k < ITH_HEALTH_NSTATES; k++) {
		prom_series(sb, f->name, h, state_names[k]);
		ith_strbuf_addf(sb, "%d\n", (int)h->state == k);
	}
}

void ith_health_prometheus(const struct ith_health *hs, size_t n, struct ith_strbuf *sb)
{
	for (size_t f = 0; f < sizeof(prom_families) / sizeof(prom_families[0]); f++) {
		const struct prom_family *fam = &prom_families[f];
		bool any = false;

		for (size_t i = 0; i < n; i++)
			any |= prom_applies(fam, &hs[i]);
		if (!any)
			continue;
		ith_strbuf_addf(sb, "# HELP " PROM_PREFIX "%s ", fam->name);
		ith_prom_help(sb, fam->help);
		ith_strbuf_addf(sb, "\n# TYPE " PROM_PREFIX "%s %s\n", fam->name, fam->type);
		for (size_t i = 0; i < n; i++)
			if (prom_applies(fam, &hs[i]))
				prom_samples(sb, fam, &hs[i]);
	}
}
