/*
 * schedule.h - every timing rule, in one place: when a token is renewed
 * (phase-locked renewal), when a pending next token is active (activation
 * delay) or stops being waited for (its probe's end, its own renewal
 * moment), when an open create intent's sweep window closes, when a retired
 * token's grace ends, the next moment a profile has something due, and the
 * long-running scheduler's own moments (watch and exec: the refresh, the
 * retry backoff with its jitter, the pause after a cycle, how long to sleep).
 *
 * Pure: no I/O, no clock read, no log, no allocation. Time is always a
 * parameter (now: unix seconds; the scheduler's moments are wall-clock
 * seconds with fractions), and the jitter's random draws come from a source
 * the caller gives (the scheduler: random(); the tests: a seeded one). The
 * planner (plan.c), the health model (health.c), the executor (engine.c)
 * and the scheduler of watch and exec (helper/sched.c) all ask here; none
 * writes a formula of its own.
 *
 * Calling sequence (examples):
 *     at = ith_token_renew_at(&st.current, p, instance);
 *     due = ith_renewal_due(&st, p, instance, now);
 *     st.retired[i].revoke_after = ith_grace_end(p, now);  ... ith_grace_over(revoke_after, now)
 *     close = ith_sweep_close_at(st.pending_since, ith_inflight_window(cfg)); ... ith_sweep_closes(close, now)
 *     when = ith_next_due(&st, p, instance, window, now, last_run, &what);
 *     when = ith_cycle_due(when, now, last_cycle, retry_at, not_before, &what);   (the scheduler)
 *     retry_at = now + ith_retry_backoff(failures, draw, ud);
 *
 * Error handling: none; every function is total (a period <= 0 means no
 * phase; a pending next without started_at is timed from its creation).
 */
#ifndef ITH_SCHEDULE_H
#define ITH_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "state-model.h"

/* ---- renewal ----
 *
 * Phase-locked renewal: each (instance, profile) has a stable phase over the
 * renewal period P = lifetime - renew_before. A token is due at the latest
 * moment t = phase (mod P) that is not after expires_at - renew_before, so a
 * host renews exactly once per P and a fleet installed in the same minute
 * spreads its renewals evenly over P after the first cycle (a host's first
 * token may be renewed early, once). A token the server made shorter than
 * asked, so that this moment falls before its creation, is due at
 * expires_at - renew_before instead; one that lives no longer than
 * renew_before at all, at half its life.
 */
/* Stable per (instance, profile), in [0, period). */
int64_t ith_phase(const char *instance, const char *profile, int64_t period);
/* A token made at born that lives no longer than renew_before: renewed at half its life. */
bool ith_short_lived(int64_t expires_at, int64_t born, int64_t renew_before);
/* created: when the token was made (0: unknown); period: P; phase: ith_phase. */
int64_t ith_renew_at(int64_t expires_at, int64_t created, int64_t period, int64_t renew_before, int64_t phase);
/* The same for a token of the profile held in the state (made at started_at, else created_at). */
int64_t ith_token_renew_at(const struct ith_state_token *t, const struct ith_profile *p, const char *instance);
/* A renewal moment reached: now >= renew_at. */
bool ith_renewal_due_at(int64_t renew_at, int64_t now);
/* Due: no current token, or its renewal moment reached. */
bool ith_renewal_due(const struct ith_state *st, const struct ith_profile *p, const char *instance,
	int64_t now);

/* ---- a pending next token ---- */

/*
 * When a pending next token that is still not active stops being worth
 * waiting for: its own renewal moment's window edge (expiresAt -
 * renew_before; half its life for a token that lives no longer than
 * renew_before), when it would be due for renewal the moment it were
 * promoted. From then it is dropped and a new one is made, so that neither
 * an expired nor a never-activating next blocks the renewal for ever.
 */
int64_t ith_next_stale_at(const struct ith_state_token *next, const struct ith_profile *p);
/* The end of activation_timeout after the next token's start: a probe's waiting ends then. */
int64_t ith_activation_end(const struct ith_state_token *next, const struct ith_profile *p);
/* activation "delay": active from then on. started_at has one-second resolution: the full delay, and a second. */
int64_t ith_delay_active_at(const struct ith_state_token *next, const struct ith_profile *p);
/* activation "probe" within one run: the first pause between probes, and the next after pause (doubling to 10 s). */
#define ITH_PROBE_PAUSE_FIRST 0.5
double ith_probe_pause_next(double pause);

/* ---- the create intent's sweep ---- */

/* How long after its start a create may still commit: its retries all start
 * within the command's deadline, each may take the request timeout, plus a
 * margin for the server to finish. */
int64_t ith_inflight_window(const struct ith_config *cfg);
/* The first moment at which no request of a create started at pending_since
 * can be alive: a sweep from then closes the intent. */
int64_t ith_sweep_close_at(int64_t pending_since, int64_t inflight_window);
/* Does a sweep at now close the intent (close_at: ith_sweep_close_at)? */
bool ith_sweep_closes(int64_t close_at, int64_t now);

/* ---- expiry ---- */

/* Has a token that expires at expires_at expired at now? (A token is valid
 * up to, not at, its expiry second.) */
bool ith_expired(int64_t expires_at, int64_t now);

/* ---- grace ---- */

/* A token retired (or dropped after it may have been handed out) at now is revoked from then. */
int64_t ith_grace_end(const struct ith_profile *p, int64_t now);
/* A host gone from its hosts_file since removed_at is decommissioned from then (its profile's grace later). */
int64_t ith_decommission_at(const struct ith_profile *p, int64_t removed_at);
/* Is a token to be revoked from revoke_after over its grace at now? */
bool ith_grace_over(int64_t revoke_after, int64_t now);
/*
 * Grace after publish: a current token retired by a promotion keeps its
 * grace on hold ("revoke after: not yet", struct ith_retired after_publish)
 * while its successor is not yet published to every sink; the publish of
 * all sinks starts it (revoke_after = ith_grace_end at that moment). A
 * profile without sinks starts it at the promotion, as before.
 *   ith_grace_hold     at the promotion: put retired token id on hold (when p has sinks)
 *   ith_grace_start    every sink holds the current token now: the grace of the held ones starts;
 *                      returns how many started
 *   ith_retired_due    is retired token r to be revoked at now (while on hold: only once it has expired,
 *                      when no consumer can use it any more; a long publish failure must not pile them up)
 */
void ith_grace_hold(struct ith_state *st, const struct ith_profile *p, const char *id);
unsigned ith_grace_start(struct ith_state *st, const struct ith_profile *p, int64_t now);
bool ith_retired_due(const struct ith_retired *r, int64_t now);

/* ---- the next moment a profile has something due ----
 *
 * From its state: the first token, the renewal (ith_token_renew_at), the
 * activation check of a pending next (delay: ith_delay_active_at; probe: 1 s
 * after the caller's last run of the profile, last_run, backing off to 10 s
 * with the token's age; none: now), the moment a pending next gives way
 * (ith_next_stale_at), the sweep of an open create intent
 * (ith_sweep_close_at), the grace end of a retired token (none while on
 * hold: the publish retry is the scheduler's backoff). Every moment is
 * computed from the state and last_run, never from now alone, so one that is
 * due stays due until a run has happened. <= now: due now. *what names it,
 * for logs. inflight_window: ith_inflight_window.
 */
int64_t ith_next_due(const struct ith_state *st, const struct ith_profile *p, const char *instance,
	int64_t inflight_window, int64_t now, int64_t last_run, const char **what);

/* ---- the scheduler of watch and exec (wall-clock seconds) ---- */

/* As the packaged timer: a cycle at least this often; with nothing due it
 * only rewrites sinks that changed (a tmpfs emptied, a reload) and the
 * metrics textfile, with no network. */
#define ITH_REFRESH 300.0
/* Backoff after failures: from 5 s, doubling to 5 min, with "equal jitter" (half fixed, half random). */
#define ITH_BACKOFF_FIRST 5.0
#define ITH_BACKOFF_MAX 300.0
/* Every profile has a rotation running: the scheduler looks again this much later (or when one ends). */
#define ITH_IDLE_WAIT 3600.0
/* After a successful cycle: no second one within a second. */
#define ITH_CYCLE_GAP 1.0
/* Due times are whole seconds, the engine's clock too: wake this much after one. */
#define ITH_WAKE_SLACK 0.05
/* watch's longest sleep: the state is re-read (no network) at least this often, so a
 * rotation made by another process (a timer, an admin's rotate --force) is taken into account. */
#define ITH_WATCH_MAX_SLEEP 60.0
/* exec's longest sleep: how often it looks at the state file for a switch (stat only, unless it changed). */
#define ITH_EXEC_POLL 1.0

/* A random draw, uniform in [0, 1]: the jitter's source. */
typedef double (*ith_draw_fn)(void *ud);
/* The wait before retrying after the failures-th failure in a row (>= 1): one draw of draw(ud). */
double ith_retry_backoff(unsigned failures, ith_draw_fn draw, void *ud);
/*
 * When the scheduler runs the profile's next cycle: due (ith_next_due; now
 * when its state could not be read), a refresh ITH_REFRESH after its last
 * cycle (last_cycle; 0: none yet) when nothing is due sooner, not before a
 * failure's retry_at, nor before the not_before of a success
 * (ITH_CYCLE_GAP). *what: "refresh" or "retry" when one of these decides,
 * else left as it is.
 */
double ith_cycle_due(double due, double now, double last_cycle, double retry_at, double not_before,
	const char **what);
/* How long to sleep for a moment due, waking ITH_WAKE_SLACK after it, and no longer than cap. */
double ith_sleep_for(double due, double now, double cap);

#endif
