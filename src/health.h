/*
 * health.h - each profile's health, as `status` reports it and as the
 * prometheus_textfile holds it, and its encodings. Never a secret.
 *
 * The model (struct ith_health) is built from a profile's state and the
 * time, with the renewal time computed by the caller (schedule.h's, or the
 * one a published copy carries); its state is one of
 *     ok, renew-due, activating, failing, expired, missing, error,
 *     publish-failing
 * (publish-failing: the current token is valid but a sink failed to take
 * it, so its consumers may not have it; ranked above failing and below
 * expired, see state_of in health.c).
 * The encoders render one or more models into a strbuf, without I/O:
 *     text        the human form (sink presence through a callback)
 *     json        {"instance", "profiles": [...]}
 *     influx      line protocol for Telegraf's inputs.exec, one line each
 *                 (publish_failing=1i and publish_failed_sinks only while a
 *                 publish fails: the line is otherwise byte for byte as before)
 *     prometheus  text exposition: HELP and TYPE once per family
 *
 * Calling sequence:
 *     struct ith_health h;
 *     ith_health_init(&h, name, cluster_id, p);    (health-load.h reads a
 *                                                    state file into it)
 *     ith_health_from_state(&h, &st, renew_at, now);
 *     ith_health_influx(&h, &sb);  ... print sb ...
 *
 * Error handling: none; nothing here fails (a model in the state "error"
 * carries its message as its last_error). Tier 3: no I/O.
 */
#ifndef ITH_HEALTH_H
#define ITH_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "state-model.h"
#include "id.h"
#include "strbuf.h"

enum ith_health_state {
	ITH_HEALTH_OK, ITH_HEALTH_RENEW_DUE, ITH_HEALTH_ACTIVATING, ITH_HEALTH_FAILING,
	ITH_HEALTH_EXPIRED, ITH_HEALTH_MISSING, ITH_HEALTH_ERROR,
	ITH_HEALTH_PUBLISH_FAILING,  /* last: the earlier values (and the order of the state series) stay */
};
#define ITH_HEALTH_NSTATES 8
/* "ok", "renew-due", ... as reported. */
const char *ith_health_state_name(enum ith_health_state s);

struct ith_health {
	char name[ITH_PROFILE_MAX + 1];
	char cluster_id[ITH_UUID_LEN + 1];
	const struct ith_profile *profile;  /* NULL for a published copy read without config */
	enum ith_health_state state;
	bool has_current;
	char id[ITH_UUID_LEN + 1], next_id[ITH_UUID_LEN + 1];
	int64_t expires_at, seconds_left, age_seconds, renew_at, next_age;
	uint64_t rotations, failures, hook_failures;
	size_t retired;
	char last_error[256], last_hook_error[256];
	bool hook_pending;  /* on_rotate has not yet run for the current token */
	/* the state's publish failure (state-model.h struct ith_publish_failure): since 0 = publishing is fine */
	int64_t publish_since;
	unsigned publish_failed_sinks;
	char publish_sink[256], publish_error[256];
};

/* An empty model (state ok, no token) for name; p may be NULL. */
void ith_health_init(struct ith_health *h, const char *name, const char *cluster_id, const struct ith_profile *p);
/* State "error", msg as the last error. */
void ith_health_set_error(struct ith_health *h, const char *msg);
/* Pure: the model from a state; renew_at is when the current token's renewal is due (0: unknown). */
void ith_health_from_state(struct ith_health *h, const struct ith_state *st, int64_t renew_at, int64_t now);

/* Encoders: append to sb. present(path) tells whether a sink file exists (NULL: sinks not shown). */
typedef bool (*ith_path_present_fn)(const char *path);
void ith_health_text(const struct ith_health *h, int64_t now, ith_path_present_fn present, struct ith_strbuf *sb);
void ith_health_json(const char *instance, const struct ith_health *hs, size_t n, struct ith_strbuf *sb);
void ith_health_influx(const struct ith_health *h, struct ith_strbuf *sb);
void ith_health_prometheus(const struct ith_health *hs, size_t n, struct ith_strbuf *sb);

/*
 * Escaping, exposed for tests. Line protocol (as Telegraf parses it): a
 * measurement escapes commas and spaces; tag keys, tag values and field keys
 * also equals signs; all three escape backslashes (Telegraf does not
 * unescape `\\` in tag values, but an unescaped trailing one would escape
 * the separator after it) and turn control characters (a newline ends the
 * line) into an escaped blank. A string field value is double-quoted with
 * `"` and `\` escaped and control characters as blanks. Prometheus: a label
 * value escapes backslash, double quote and newline; a HELP text backslash
 * and newline; a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*.
 */
enum ith_lp_part { ITH_LP_MEASUREMENT, ITH_LP_KEY };  /* ITH_LP_KEY: tag key, tag value, field key */
void ith_lp_escape(struct ith_strbuf *sb, const char *s, enum ith_lp_part part);
void ith_lp_string(struct ith_strbuf *sb, const char *s);
void ith_prom_label(struct ith_strbuf *sb, const char *s);
void ith_prom_help(struct ith_strbuf *sb, const char *s);
bool ith_prom_valid_name(const char *s);

#endif
