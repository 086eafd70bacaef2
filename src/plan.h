/*
 * plan.h - what a rotate or a get of one profile is to do, decided once.
 *
 * The planner is pure: no I/O, no clock, no log, no allocation. It reads the
 * profile, the state, the server's view the caller already has and the time,
 * and returns the steps in order. `rotate --dry-run` prints them; `rotate`
 * executes them (src/engine.c); `get` asks at each of its stages (before the
 * lock, under it, after a renewal that worked or failed) and does what the
 * answer says; `exec` asks which token to hand out (ITH_GET_SUPERVISED,
 * through engine.h ith_serving_token). Every moment it compares with now
 * (renewal, activation, sweep close, grace end) is schedule.h's.
 *
 * Per sink, ith_plan_publish says whether the SINKS step publishes it, and
 * for a remote sink ith_plan_remote_verdict says what a publish does with
 * what it finds there (the conflict rule; vault.c and k8s.c ask it through
 * remote.h ith_remote_judge).
 *
 * A step states its intent and the condition it runs under (when): a create
 * may fail, an activation may not be reached in time, a patch may find the
 * token gone; the executor checks each condition against what happened.
 *
 * Calling sequence:
 *     struct ith_plan_in in = { .p = p, .st = &st, .instance = id, .want = &want,
 *                               .flags = ITH_PLAN_WAIT, .now = now, .inflight_window = w };
 *     struct ith_plan pl;
 *     ith_plan_rotate(&in, &pl);
 *     for (size_t i = 0; i < pl.n; i++) ... pl.v[i] ...
 */
#ifndef ITH_PLAN_H
#define ITH_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "state-model.h"
#include "token.h"

/* The same values as ITH_ROTATE_* (engine.h); FROM_GET: a get renews (it never waits on a probe). */
enum { ITH_PLAN_FORCE = 1, ITH_PLAN_WAIT = 2, ITH_PLAN_DRY_RUN = 4, ITH_PLAN_FROM_GET = 0x100 };

/* Where a get stands when it asks. */
enum ith_get_stage {
	ITH_GET_CACHED,        /* state read without the lock */
	ITH_GET_LOCKED,        /* lock held, state reloaded */
	ITH_GET_RENEWED,       /* lock held, renewal done (or not needed) */
	ITH_GET_RENEW_FAILED,  /* lock held, the renewal failed: the API is down or refusing */
	ITH_GET_SUPERVISED,    /* state read without the lock by a supervisor whose scheduler renews (exec):
	                        * serve what is valid now, never renew */
};

/* What the caller knows of the next token's activation on the data plane. */
enum ith_probe_known { ITH_PROBE_UNKNOWN, ITH_PROBE_ACTIVE, ITH_PROBE_NOT_YET, ITH_PROBE_FAILED };

struct ith_plan_in {
	const struct ith_profile *p;
	const struct ith_state *st;
	const char *instance;
	const struct ith_perms *want;   /* the profile's permissions */
	int flags;                      /* ITH_PLAN_* */
	int64_t now;
	int64_t inflight_window;        /* how long after its start a create may still commit (ith_inflight_window) */
	enum ith_probe_known probe;     /* the next token, when known */
	/* get only */
	int64_t min_ttl;                /* < 0: until the renewal is due */
	enum ith_get_stage stage;
};

enum ith_step_kind {
	ITH_STEP_SWEEP,     /* list this instance's tokens, revoke the profile's orphans (dry run: list only) */
	ITH_STEP_DROP,      /* the pending next token gives way to a new one: retired (at), revoked by REVOKE */
	ITH_STEP_PATCH,     /* set the slot's token's permissions to want, same secret */
	ITH_STEP_CREATE,    /* make the next token (the intent saved first) */
	ITH_STEP_ACTIVATE,  /* is the next token active yet: none / delay / probe */
	ITH_STEP_PROMOTE,   /* next becomes current; the current is retired for its grace */
	ITH_STEP_SINKS,     /* write the current token to the sinks that differ */
	ITH_STEP_REVOKE,    /* revoke the retired tokens whose grace is over by then */
	ITH_STEP_HOOK,      /* run on_rotate, after the state is saved */
	ITH_STEP_SERVE,     /* get: hand out the slot's token */
	ITH_STEP_RENEW,     /* get: take the lock and rotate */
	ITH_STEP_FAIL,      /* get: no valid token to hand out */
};

/* The condition on the steps before it under which a step runs. */
enum ith_step_when {
	ITH_WHEN_ALWAYS,
	ITH_WHEN_NEVER,      /* stated, not done: the current token's patch when a create replaces it */
	ITH_WHEN_GONE,       /* the patch of the current token found it gone from the server */
	ITH_WHEN_NEXT_GONE,  /* the patch of the next token found it gone from the server (it is dropped) */
	ITH_WHEN_NEXT,       /* a next token exists by then (the create worked) */
	ITH_WHEN_ACTIVE,     /* the activation was reached */
	ITH_WHEN_HOOK_OWED,  /* the hook is owed for the current token by then (the promote owes it) */
};

enum ith_slot { ITH_SLOT_CURRENT, ITH_SLOT_NEXT };
enum ith_create_why { ITH_CREATE_NONE_YET, ITH_CREATE_FORCED, ITH_CREATE_DUE, ITH_CREATE_GONE, ITH_CREATE_REPLACE };
/* DROP: why the pending next gives way (expired; not active by its own renewal moment; --force). */
enum ith_drop_why { ITH_DROP_EXPIRED, ITH_DROP_STALE, ITH_DROP_FORCED };
/* ACTIVATE: what is known now. */
enum ith_reach { ITH_REACH_YES, ITH_REACH_NOT_YET, ITH_REACH_CHECK, ITH_REACH_DEFERRED };
/* FAIL: why. */
enum ith_fail_why { ITH_FAIL_NO_VALID, ITH_FAIL_RENEW };

struct ith_step {
	enum ith_step_kind kind;
	enum ith_step_when when;
	enum ith_slot slot;          /* PATCH, SERVE */
	enum ith_create_why why;     /* CREATE */
	enum ith_drop_why drop;      /* DROP */
	enum ith_activation act;     /* ACTIVATE */
	enum ith_reach reach;        /* ACTIVATE: reached now, not yet, to be checked, left to rotate (get) */
	enum ith_fail_why fail;      /* FAIL */
	int64_t at;                  /* SWEEP: the intent closes if the sweep ends at or after it (ith_sweep_close_at);
	                              * ACTIVATE delay: active from then (0: from the create);
	                              * DROP: revoke the dropped next from then (now: at once; it was never
	                              * handed out, or it expired) */
	bool wait;                   /* ACTIVATE: wait for it, bounded by activation_timeout and the deadline */
	bool retire_current;         /* PROMOTE: a current token is retired */
	bool force;                  /* RENEW: rotate though the renewal is not due (min-ttl) */
	bool busy_serves;            /* RENEW: a rotation holding the lock: serve the current token instead */
	bool stale;                  /* SERVE: after a failed renewal */
	bool short_ttl;              /* SERVE: valid for less than min_ttl */
	uint64_t retired;            /* REVOKE: bit i: retired[i] is over its grace now */
	bool dropped_next;           /* REVOKE: the next token dropped at once (DROP) too */
};

#define ITH_PLAN_MAX 12

struct ith_plan {
	struct ith_step v[ITH_PLAN_MAX];
	size_t n;
	bool due;            /* the renewal is due (or forced) */
	bool needs_api;      /* a step before the activation needs the management API */
	int64_t renew_at;    /* the current token's renewal moment (0: no current token) */
};

void ith_plan_rotate(const struct ith_plan_in *in, struct ith_plan *out);
/* One step: SERVE, RENEW or FAIL, for in->stage. */
void ith_plan_get(const struct ith_plan_in *in, struct ith_plan *out);

/*
 * The SINKS step, per sink: what to do with sink key (output.h
 * ith_sink_key) holding the current token. A local sink (output.h
 * !ith_sink_is_remote: file, env, template) is always compared by content and
 * written when it differs, record or not (a reboot empties /run). A remote
 * sink is published when its record (the token id last published there,
 * state-model.h) differs from the current token, or on --force; otherwise
 * nothing, not even a read. Without a current token: nothing.
 */
enum ith_publish_action { ITH_PUBLISH_SKIP, ITH_PUBLISH_COMPARE, ITH_PUBLISH_WRITE };
enum ith_publish_action ith_plan_publish(const struct ith_state *st, const char *key, bool local, int flags);

/*
 * A remote sink's publish conflict rule, once for every remote sink (vault.c,
 * k8s.c): what is there now (read just before a write, or again after a
 * check-and-set/resourceVersion conflict) against the current token t. Not
 * ours (no marker of this instance): FOREIGN, never written over. Our token
 * t itself (same id, same token): DONE. Another token of ours that expires
 * later than t (0: never): CONFLICT, another rotator is ahead. Else WRITE.
 */
struct ith_remote_seen {
	bool exists;           /* something is at the place */
	bool ours;             /* it carries our marker of this instance */
	const char *token_id;  /* the token id published there ("" or NULL: none) */
	bool same_token;       /* its token is t's token */
	int64_t expires_at;    /* its token's expiry (0: never) */
};
enum ith_remote_verdict { ITH_REMOTE_WRITE, ITH_REMOTE_DONE, ITH_REMOTE_FOREIGN, ITH_REMOTE_CONFLICT };
enum ith_remote_verdict ith_plan_remote_verdict(const struct ith_remote_seen *seen, const struct ith_state_token *t);

/* The first step of kind (NULL: none). */
const struct ith_step *ith_plan_find(const struct ith_plan *pl, enum ith_step_kind kind);

/* "sweep(intent closes) | patch(current, replaced by create) | create(due) | ..." for tests and logs. */
void ith_plan_format(const struct ith_plan *pl, const struct ith_state *st, int64_t now, struct ith_strbuf *out);

#endif
