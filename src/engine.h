/*
 * engine.h - the token lifecycle (docs/design.md "Token lifecycle"): serving a
 * cached token, renewing it ahead of expiry, publishing to sinks, retiring
 * and revoking old tokens, sweeping orphans, decommissioning a profile.
 * The executor: what to do is the planner's (plan.h), when is the
 * schedule's (schedule.h); engine.c loads, calls and saves.
 *
 * One struct ith_ctx per process: the config, this instance's id, and the
 * API handle, opened only when a call needs the network (a cached `get`
 * never opens it). Every change to a profile happens with its lock held and
 * is recorded in its state file before and after each API call that creates.
 *
 * Calling sequence:
 *     struct ith_ctx ctx;
 *     r = ith_ctx_init(&ctx, &cfg, readonly, log_fn, ud, &err);
 *     r = ith_get(&ctx, profile, min_ttl, &tok, &stale, &err);
 *     r = ith_rotate(&ctx, profile, ITH_ROTATE_FORCE, &res, &err);
 *     ith_ctx_release(&ctx);
 *
 * Error handling: a negative cause with the message in the caller's err
 * (error.h); a failure that is only warned about (a sink, the hook, the
 * status copy) goes to the log instead. Per-profile failures are also counted in
 * the state (failures, last_error) for `status`. Narration of what was done
 * goes through the log callback, never a secret.
 */
#ifndef ITH_ENGINE_H
#define ITH_ENGINE_H

#include <stdarg.h>

#include "api.h"
#include "config.h"
#include "state.h"

enum ith_log_level { ITH_LOG_WARN = 0, ITH_LOG_INFO = 1, ITH_LOG_DEBUG = 2 };
typedef void (*ith_log_fn)(void *ud, enum ith_log_level lvl, const char *msg);

struct ith_ctx {
	const struct ith_config *cfg;
	char instance[ITH_UUID_LEN + 1];   /* "" in a read-only context with no instance yet */
	bool instance_regenerated;
	struct ith_api *api;
	struct ith_remote *remote;          /* the remote sinks' client (remote.h), opened on first use */
	struct ith_secret mgmt;
	ith_log_fn log;
	void *log_ud;
	int64_t lock_timeout_ms;
};

/* readonly: do not create the state directory or the instance id (status,
 * --dry-run); a missing one then reads as an empty state. */
int ith_ctx_init(struct ith_ctx *ctx, const struct ith_config *cfg, bool readonly, ith_log_fn log, void *ud,
	struct ith_strbuf *err);
/* Open (once) the API handle: loads the management token. */
int ith_ctx_api(struct ith_ctx *ctx, struct ith_api **out, struct ith_strbuf *err);
void ith_ctx_release(struct ith_ctx *ctx);
void ith_log(const struct ith_ctx *ctx, enum ith_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- operations ---- */
enum {
	ITH_ROTATE_FORCE = 1,     /* renew now, due or not */
	ITH_ROTATE_WAIT = 2,      /* wait (bounded by activation_timeout) for the new token to activate */
	ITH_ROTATE_DRY_RUN = 4,   /* only describe the plan in res->plan: no change, no changing call */
};

struct ith_rotate_result {
	bool created, rotated, patched;
	char new_id[ITH_UUID_LEN + 1], old_id[ITH_UUID_LEN + 1];
	unsigned revoked, sinks_written;
	bool sinks_failed;        /* the run failed writing a sink (what failed, for get's warning) */
	bool pending;             /* a next token waits for its activation */
	struct ith_strbuf plan;   /* dry run: one line per step */
};
void ith_rotate_result_release(struct ith_rotate_result *res);

/*
 * The lifecycle step for one profile, lock held throughout: sweep orphans
 * after a create (or a recorded, unfinished one), reconcile permissions by
 * PATCH, create the next token when renewal is due (or forced, or when a
 * pending next gives way: expired, or not active by its own renewal
 * moment), promote it once active (publishing to sinks, retiring the old one
 * for its grace), revoke retired tokens whose grace is over. A run that
 * leaves no valid current token for the consumers fails with
 * ITH_ERR_NO_VALID_TOKEN (res->pending: a next token is still activating),
 * except for a get's renewal (ITH_PLAN_FROM_GET), which decides itself.
 */
int ith_rotate(struct ith_ctx *ctx, const struct ith_profile *p, int flags, struct ith_rotate_result *res,
	struct ith_strbuf *err);

/*
 * A token valid for at least min_ttl seconds (min_ttl < 0: until its renewal
 * is due), rotating first when needed. With the API failing and the cached
 * token still valid, it is returned with *stale set and a warning logged.
 */
int ith_get(struct ith_ctx *ctx, const struct ith_profile *p, int64_t min_ttl, struct ith_state_token *out,
	bool *stale, struct ith_strbuf *err);

/* Revoke every token of the profile (current, next, retired, orphans),
 * remove its sinks and state. dry_run: describe it in *plan (may be NULL
 * otherwise), using only a read-only list call. */
int ith_revoke_profile(struct ith_ctx *ctx, const struct ith_profile *p, bool dry_run, struct ith_strbuf *plan,
	unsigned *revoked, struct ith_strbuf *err);
/*
 * The same for a profile name the configuration no longer has (a valid
 * profile name): revoke this instance's live tokens that carry its
 * ownership marker (one list call) and those its leftover state holds, then
 * remove that state. Its sinks are not known any more and are left alone.
 * *known: the marker (on live or revoked tokens) or a state was found at all.
 * dry_run: describe it in *plan, with the list call only.
 */
int ith_revoke_unconfigured(struct ith_ctx *ctx, const char *name, bool dry_run, struct ith_strbuf *plan,
	unsigned *revoked, bool *known, struct ith_strbuf *err);

/* This instance's tokens on the cluster, any profile (the rest of the
 * inventory is streamed past and counted in stats, which may be NULL);
 * skipped list elements are noted at debug level. Every profile's current
 * and next token are made known to api first (ith_api_redact_add), so that
 * an element the parser quotes in an error shows none of them. */
int ith_list_ours(struct ith_ctx *ctx, struct ith_api *api, struct ith_token_list *out, struct ith_list_stats *stats,
	struct ith_strbuf *err);

/* Tokens on the cluster carrying this instance's marker, classified. */
/* former: revoked or expired and no longer in the state (nothing to do);
 * orphan: live, ours, but unknown to the state (the next rotate after a
 * failed create sweeps it). */
enum ith_token_role { ITH_ROLE_CURRENT, ITH_ROLE_NEXT, ITH_ROLE_RETIRED, ITH_ROLE_ORPHAN, ITH_ROLE_FORMER,
	ITH_ROLE_UNKNOWN_PROFILE };
struct ith_owned {
	struct ith_token tok;
	char profile[ITH_PROFILE_MAX + 1];
	enum ith_token_role role;
	bool revoked, expired;
};
int ith_list_owned(struct ith_ctx *ctx, struct ith_owned **out, size_t *n, struct ith_strbuf *err);
void ith_owned_release(struct ith_owned *v, size_t n);
const char *ith_role_name(enum ith_token_role r);

/* ---- for long-running callers (watch, exec) ---- */

/*
 * The next moment a rotate of the profile has something to do: its state
 * file loaded, then asked of the schedule (schedule.h ith_next_due, with
 * this context's instance and in-flight window). A state that cannot be
 * read is due now, *what "state check": the rotation reports it. <= now:
 * due now.
 */
int64_t ith_profile_due(const struct ith_ctx *ctx, const struct ith_profile *p, int64_t now, int64_t last_run,
	const char **what);
/*
 * The token a supervisor (exec) hands out now, from the state as it is: the
 * planner's answer to a get that renews nothing itself (the scheduler
 * renews): the current token while valid, else a valid next one. No lock,
 * no network. ITH_ERR_NO_VALID_TOKEN when there is none.
 */
int ith_serving_token(const struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state_token *out,
	struct ith_strbuf *err);
/* check: read each remote sink (vault, kubernetes) of p, changing nothing: *checked of them, *stale not holding
 * the state's current token (each logged, with the repair). No current token: nothing checked. */
int ith_check_remote_sinks(struct ith_ctx *ctx, const struct ith_profile *p, unsigned *checked, unsigned *stale,
	struct ith_strbuf *err);
/* Rewrite the profile's sinks from the cached current token when it is still
 * valid (the API may be down): no network. ITH_ERR_LOCK_BUSY when a rotation holds
 * the lock. */
int ith_publish_cached(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_strbuf *err);

#endif
