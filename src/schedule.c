#include "schedule.h"
#include "id.h"

#include <stdio.h>
#include <string.h>

/* Seconds beyond the request timeout for a server to finish a request. */
#define ITH_INFLIGHT_MARGIN 5
/* activation "probe" within one run: the longest pause between probes. */
#define ITH_PROBE_PAUSE_MAX 10.0

/* ---- renewal ---- */

bool ith_short_lived(int64_t expires_at, int64_t born, int64_t renew_before)
{
	return expires_at - born <= renew_before;
}

int64_t ith_phase(const char *instance, const char *profile, int64_t period)
{
	char key[ITH_UUID_LEN + ITH_PROFILE_MAX + 2];

	if (period <= 0)
		return 0;
	snprintf(key, sizeof(key), "%s:%s", instance, profile);
	return (int64_t)(ith_hash64(key) % (uint64_t)period);
}

/* floor(a / b) for b > 0, whatever the sign of a. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/*
 * The window's edge (expires_at - renew_before) of a token made at born; for
 * one that lives no longer than renew_before (a server that caps lifetimes
 * below it), half its life: never at once, in a loop.
 */
static int64_t window_edge(int64_t expires_at, int64_t born, int64_t renew_before)
{
	return ith_short_lived(expires_at, born, renew_before) ? born + (expires_at - born) / 2 :
		expires_at - renew_before;
}

int64_t ith_renew_at(int64_t expires_at, int64_t created, int64_t period, int64_t renew_before, int64_t phase)
{
	int64_t edge = expires_at - renew_before, at;

	if (period <= 0)
		return edge;
	at = floor_div(edge - phase, period) * period + phase;
	/*
	 * A token made on or after that phase point lives shorter than asked
	 * (the server shortened it): renewing at once would only make another
	 * such token, so it is renewed at its window's edge instead.
	 */
	if (created && at <= created)
		return window_edge(expires_at, created, renew_before);
	return at;
}

/* When a token of the state was made: our clock at its create (started_at), else the server's created_at. */
static int64_t born_at(const struct ith_state_token *t)
{
	return t->started_at ? t->started_at : t->created_at;
}

int64_t ith_token_renew_at(const struct ith_state_token *t, const struct ith_profile *p, const char *instance)
{
	int64_t period = p->lifetime - p->renew_before;

	return ith_renew_at(t->expires_at, born_at(t), period, p->renew_before, ith_phase(instance, p->name, period));
}

bool ith_renewal_due_at(int64_t renew_at, int64_t now)
{
	return now >= renew_at;
}

bool ith_renewal_due(const struct ith_state *st, const struct ith_profile *p, const char *instance, int64_t now)
{
	if (!st->has_current)
		return true;
	return ith_renewal_due_at(ith_token_renew_at(&st->current, p, instance), now);
}

/* ---- a pending next token ---- */

int64_t ith_next_stale_at(const struct ith_state_token *next, const struct ith_profile *p)
{
	return window_edge(next->expires_at, born_at(next), p->renew_before);
}

int64_t ith_activation_end(const struct ith_state_token *next, const struct ith_profile *p)
{
	return next->started_at + p->activation_timeout;
}

int64_t ith_delay_active_at(const struct ith_state_token *next, const struct ith_profile *p)
{
	return ith_activation_end(next, p) + 1;
}

double ith_probe_pause_next(double pause)
{
	return pause * 2 > ITH_PROBE_PAUSE_MAX ? ITH_PROBE_PAUSE_MAX : pause * 2;
}

/* ---- the create intent's sweep ---- */

int64_t ith_inflight_window(const struct ith_config *cfg)
{
	return cfg->deadline + cfg->timeout + ITH_INFLIGHT_MARGIN;
}

int64_t ith_sweep_close_at(int64_t pending_since, int64_t inflight_window)
{
	/* a request may still commit within the window's last second: closed only after it */
	return pending_since + inflight_window + 1;
}

bool ith_sweep_closes(int64_t close_at, int64_t now)
{
	return now >= close_at;
}

/* ---- grace ---- */

int64_t ith_grace_end(const struct ith_profile *p, int64_t now)
{
	return now + p->grace;
}

bool ith_expired(int64_t expires_at, int64_t now)
{
	return expires_at <= now;
}

int64_t ith_decommission_at(const struct ith_profile *p, int64_t removed_at)
{
	return removed_at + p->grace;
}

bool ith_grace_over(int64_t revoke_after, int64_t now)
{
	return revoke_after <= now;
}

void ith_grace_hold(struct ith_state *st, const struct ith_profile *p, const char *id)
{
	if (!p->nsinks)
		return;  /* nothing to publish: the grace runs from the promotion */
	for (size_t i = 0; i < st->nretired; i++)
		if (!strcmp(st->retired[i].id, id))
			st->retired[i].after_publish = true;
}

unsigned ith_grace_start(struct ith_state *st, const struct ith_profile *p, int64_t now)
{
	unsigned n = 0;

	for (size_t i = 0; i < st->nretired; i++)
		if (st->retired[i].after_publish) {
			st->retired[i].after_publish = false;
			st->retired[i].revoke_after = ith_grace_end(p, now);
			n++;
		}
	return n;
}

/* When retired token r is to be revoked: its grace end; held, its expiry (no consumer can use it from then),
 * INT64_MAX when it has none. */
static int64_t retired_due_at(const struct ith_retired *r)
{
	if (r->after_publish)
		return r->expires_at ? r->expires_at : INT64_MAX;
	return r->revoke_after;
}

bool ith_retired_due(const struct ith_retired *r, int64_t now)
{
	return ith_grace_over(retired_due_at(r), now);
}

/* ---- the next moment a profile has something due ---- */

/* A pending next's activation check (its first: the run that made it). */
static int64_t activation_due(const struct ith_state *st, const struct ith_profile *p, int64_t now, int64_t last_run)
{
	int64_t base, step;

	if (p->activation == ITH_ACT_DELAY)
		return ith_delay_active_at(&st->next, p);
	if (p->activation != ITH_ACT_PROBE)
		return now;
	/* probe again after a quarter of its age at the last look: 1 s to 10 s after that look */
	base = last_run > st->next.started_at ? last_run : st->next.started_at;
	step = (base - st->next.started_at) / 4;
	return base + (step < 1 ? 1 : step > 10 ? 10 : step);
}

int64_t ith_next_due(const struct ith_state *st, const struct ith_profile *p, const char *instance,
	int64_t inflight_window, int64_t now, int64_t last_run, const char **what)
{
	int64_t due, t;
	const char *why;

	if (!st->has_current && !st->has_next) {
		*what = "first token";
		return now;
	}
	if (st->has_next) {
		due = activation_due(st, p, now, last_run);
		why = "activation check";
		if ((t = ith_next_stale_at(&st->next, p)) < due) {
			due = t;
			why = "replacing the pending token";
		}
	} else {
		due = ith_token_renew_at(&st->current, p, instance);
		why = "renewal";
	}
	/* an open create intent: the sweep that closes it */
	if (st->pending_since && (t = ith_sweep_close_at(st->pending_since, inflight_window)) < due) {
		due = t;
		why = "sweep";
	}
	for (size_t i = 0; i < st->nretired; i++)
		if ((t = retired_due_at(&st->retired[i])) < due) {
			due = t;
			why = "grace end";
		}
	*what = why;
	return due;
}

/* ---- the scheduler of watch and exec ---- */

double ith_retry_backoff(unsigned failures, ith_draw_fn draw, void *ud)
{
	double d = ITH_BACKOFF_FIRST;

	for (unsigned i = 1; i < failures && d < ITH_BACKOFF_MAX; i++)
		d *= 2;
	if (d > ITH_BACKOFF_MAX)
		d = ITH_BACKOFF_MAX;
	return d / 2 + (d / 2) * draw(ud);
}

double ith_cycle_due(double due, double now, double last_cycle, double retry_at, double not_before,
	const char **what)
{
	if (last_cycle + ITH_REFRESH < due && due > now) {
		/* nothing else due now: a refresh (at once after a start or a reload) */
		due = last_cycle + ITH_REFRESH;
		*what = "refresh";
	}
	if (retry_at > due) {
		due = retry_at;
		*what = "retry";
	}
	if (not_before > due)
		due = not_before;
	return due;
}

double ith_sleep_for(double due, double now, double cap)
{
	double wait = due - now + ITH_WAKE_SLACK;

	return wait < cap ? wait : cap;
}
