#include "plan.h"
#include "schedule.h"

#include <string.h>

/* A rotate has at most 9 steps (ITH_PLAN_MAX leaves room); past the end the last slot is reused. */
static struct ith_step *add(struct ith_plan *pl, enum ith_step_kind kind, enum ith_step_when when)
{
	struct ith_step *s = &pl->v[pl->n < ITH_PLAN_MAX ? pl->n++ : ITH_PLAN_MAX - 1];

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->when = when;
	return s;
}

const struct ith_step *ith_plan_find(const struct ith_plan *pl, enum ith_step_kind kind)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].kind == kind)
			return &pl->v[i];
	return NULL;
}

static bool valid(const struct ith_state_token *t, int64_t now)
{
	return !ith_expired(t->expires_at, now);
}

/*
 * Does the pending next token give way to a new one? It does once it has
 * expired (a 401 from an expired token would read as "not active yet" for
 * ever), once it is still not active at its own renewal moment, and on
 * --force. Adds the DROP step. A next token is handed out (by get) only
 * while no current token is valid: then it keeps its grace; otherwise it is
 * revoked at once.
 */
static bool plan_drop(const struct ith_plan_in *in, struct ith_plan *pl)
{
	const struct ith_state *st = in->st;
	enum ith_drop_why why;
	struct ith_step *s;

	if (!st->has_next)
		return false;
	if (!valid(&st->next, in->now))
		why = ITH_DROP_EXPIRED;
	else if (in->now >= ith_next_stale_at(&st->next, in->p))
		why = ITH_DROP_STALE;
	else if (in->flags & ITH_PLAN_FORCE)
		why = ITH_DROP_FORCED;
	else
		return false;
	s = add(pl, ITH_STEP_DROP, ITH_WHEN_ALWAYS);
	s->drop = why;
	s->at = why == ITH_DROP_EXPIRED || (st->has_current && valid(&st->current, in->now)) ? in->now :
		ith_grace_end(in->p, in->now);
	return true;
}

static enum ith_create_why create_why(const struct ith_plan_in *in)
{
	if (!in->st->has_current)
		return ITH_CREATE_NONE_YET;
	if (in->flags & ITH_PLAN_FORCE)
		return ITH_CREATE_FORCED;
	return ith_renewal_due(in->st, in->p, in->instance, in->now) ? ITH_CREATE_DUE : ITH_CREATE_REPLACE;
}

/*
 * Before the switch: sweep an open create intent, drop a pending next that
 * gives way, reconcile permissions, create when due. *keep: a pending next
 * stays. Returns whether a next token may exist by the activation (pending,
 * due to be created, or created should the current or the next be gone).
 */
static bool plan_server(const struct ith_plan_in *in, struct ith_plan *pl, bool *keep)
{
	const struct ith_state *st = in->st;
	bool dropped, create, gone = false;

	if (st->pending_since)
		add(pl, ITH_STEP_SWEEP, ITH_WHEN_ALWAYS)->at = ith_sweep_close_at(st->pending_since, in->inflight_window);
	dropped = plan_drop(in, pl);
	*keep = st->has_next && !dropped;   /* a pending next is the renewal already */
	create = (pl->due || dropped) && !*keep;
	if (st->has_current && !ith_perms_equal(in->want, &st->current.perms)) {
		/* a token about to be replaced is not patched: its successor gets want */
		add(pl, ITH_STEP_PATCH, create ? ITH_WHEN_NEVER : ITH_WHEN_ALWAYS)->slot = ITH_SLOT_CURRENT;
		gone = !create && !*keep;
	}
	if (*keep && !ith_perms_equal(in->want, &st->next.perms)) {
		add(pl, ITH_STEP_PATCH, ITH_WHEN_ALWAYS)->slot = ITH_SLOT_NEXT;
		/* a next token the server lost is dropped by the patch, and replaced */
		add(pl, ITH_STEP_CREATE, ITH_WHEN_NEXT_GONE)->why = create_why(in);
	}
	if (create)
		add(pl, ITH_STEP_CREATE, ITH_WHEN_ALWAYS)->why = create_why(in);
	else if (gone)  /* the server no longer has it: renew now rather than fail on every run */
		add(pl, ITH_STEP_CREATE, ITH_WHEN_GONE)->why = ITH_CREATE_GONE;
	pl->needs_api = pl->n > 0 || st->has_next;
	return *keep || create || gone;
}

/* Is the next token active: known now, or to be checked by the executor. */
static void plan_activation(const struct ith_plan_in *in, bool keep, struct ith_step *s)
{
	const struct ith_state *st = in->st;

	s->act = in->p->activation;
	s->wait = (in->flags & ITH_PLAN_WAIT) != 0;
	if (s->act == ITH_ACT_PROBE && (in->flags & ITH_PLAN_FROM_GET) && st->has_current &&
	    valid(&st->current, in->now)) {
		s->reach = ITH_REACH_DEFERRED;  /* get never waits on a probe while it can serve */
		return;
	}
	if (!keep) {
		s->reach = s->act == ITH_ACT_NONE ? ITH_REACH_YES : ITH_REACH_CHECK;
		return;
	}
	switch (s->act) {
	case ITH_ACT_NONE:
		s->reach = ITH_REACH_YES;
		break;
	case ITH_ACT_DELAY:
		s->at = ith_delay_active_at(&st->next, in->p);
		s->reach = in->now >= s->at ? ITH_REACH_YES : ITH_REACH_NOT_YET;
		break;
	case ITH_ACT_PROBE:
		s->reach = in->probe == ITH_PROBE_ACTIVE ? ITH_REACH_YES :
			in->probe == ITH_PROBE_UNKNOWN ? ITH_REACH_CHECK : ITH_REACH_NOT_YET;
		break;
	}
}

/*
 * Retired tokens over their grace now. Each keeps the revoke_after it was
 * retired with: lowering grace (even to 0) does not cut an earlier grace
 * short, and the executor revokes by revoke_after alone.
 */
static uint64_t retired_over(const struct ith_plan_in *in)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < in->st->nretired && i < 64; i++)
		if (ith_retired_due(&in->st->retired[i], in->now))  /* never while its successor is unpublished */
			mask |= UINT64_C(1) << i;
	return mask;
}

void ith_plan_rotate(const struct ith_plan_in *in, struct ith_plan *out)
{
	const struct ith_state *st = in->st;
	const struct ith_step *drop;
	bool next, keep, promote = false, drop_now;

	memset(out, 0, sizeof(*out));
	out->due = (in->flags & ITH_PLAN_FORCE) || ith_renewal_due(st, in->p, in->instance, in->now);
	out->renew_at = st->has_current ? ith_token_renew_at(&st->current, in->p, in->instance) : 0;
	next = plan_server(in, out, &keep);
	drop = ith_plan_find(out, ITH_STEP_DROP);
	drop_now = drop && ith_grace_over(drop->at, in->now);
	if (next) {
		struct ith_step *a = add(out, ITH_STEP_ACTIVATE, keep ? ITH_WHEN_ALWAYS : ITH_WHEN_NEXT);
		plan_activation(in, keep, a);
		if (a->reach != ITH_REACH_DEFERRED)
			add(out, ITH_STEP_PROMOTE, ITH_WHEN_ACTIVE)->retire_current = st->has_current;
		promote = a->reach != ITH_REACH_DEFERRED;
	}
	if (st->has_current || promote)
		add(out, ITH_STEP_SINKS, ITH_WHEN_ALWAYS);
	if (st->nretired || (promote && st->has_current) || drop_now) {
		struct ith_step *r = add(out, ITH_STEP_REVOKE, ITH_WHEN_ALWAYS);
		r->retired = retired_over(in);
		r->dropped_next = drop_now;
	}
	if (promote && in->p->on_rotate.n)
		add(out, ITH_STEP_HOOK, ITH_WHEN_HOOK_OWED);
	else if (st->hook_pending[0] && st->has_current && !strcmp(st->hook_pending, st->current.id))
		add(out, ITH_STEP_HOOK, ITH_WHEN_ALWAYS);
}

enum ith_publish_action ith_plan_publish(const struct ith_state *st, const char *key, bool local, int flags)
{
	const char *had;

	if (!st->has_current)
		return ITH_PUBLISH_SKIP;
	if (local)  /* a reboot empties /run: a local sink comes back from its content alone, with no network */
		return ITH_PUBLISH_COMPARE;
	had = ith_state_published(st, key);
	if (!(flags & ITH_PLAN_FORCE) && had && !strcmp(had, st->current.id))
		return ITH_PUBLISH_SKIP;  /* published there already: no call at all */
	return ITH_PUBLISH_WRITE;
}

enum ith_remote_verdict ith_plan_remote_verdict(const struct ith_remote_seen *seen, const struct ith_state_token *t)
{
	bool has = seen->token_id && seen->token_id[0];

	if (!seen->exists)
		return ITH_REMOTE_WRITE;
	if (!seen->ours)
		return ITH_REMOTE_FOREIGN;
	if (has && !strcmp(seen->token_id, t->id) && seen->same_token)
		return ITH_REMOTE_DONE;
	if (has && strcmp(seen->token_id, t->id) && t->expires_at != 0 &&
	    (seen->expires_at == 0 || seen->expires_at > t->expires_at))
		return ITH_REMOTE_CONFLICT;
	return ITH_REMOTE_WRITE;
}

/* Fresh: valid for min_ttl more (min_ttl < 0: its renewal not due yet). */
static bool fresh(const struct ith_plan_in *in)
{
	const struct ith_state *st = in->st;

	if (!st->has_current)
		return false;
	if (in->min_ttl >= 0)
		return st->current.expires_at - in->now >= in->min_ttl;
	return !ith_renewal_due(st, in->p, in->instance, in->now);
}

/* Short of min_ttl is said only once the lock is held (a served fresh token never is). */
static void serve(const struct ith_plan_in *in, struct ith_plan *pl, enum ith_slot slot, bool stale)
{
	const struct ith_state_token *t = slot == ITH_SLOT_CURRENT ? &in->st->current : &in->st->next;
	struct ith_step *s = add(pl, ITH_STEP_SERVE, ITH_WHEN_ALWAYS);

	s->slot = slot;
	s->stale = stale;
	s->short_ttl = in->stage != ITH_GET_CACHED && in->min_ttl >= 0 && t->expires_at - in->now < in->min_ttl;
}

void ith_plan_get(const struct ith_plan_in *in, struct ith_plan *out)
{
	const struct ith_state *st = in->st;
	bool cur = st->has_current && valid(&st->current, in->now), next = st->has_next && valid(&st->next, in->now);
	struct ith_step *s;

	memset(out, 0, sizeof(*out));
	out->due = ith_renewal_due(st, in->p, in->instance, in->now);
	out->renew_at = st->has_current ? ith_token_renew_at(&st->current, in->p, in->instance) : 0;
	if ((in->stage == ITH_GET_CACHED || in->stage == ITH_GET_LOCKED) && fresh(in)) {
		serve(in, out, ITH_SLOT_CURRENT, false);
	} else if (in->stage == ITH_GET_CACHED && !cur && next) {
		serve(in, out, ITH_SLOT_NEXT, false);  /* nothing current: the next token at once */
	} else if (in->stage == ITH_GET_CACHED || in->stage == ITH_GET_LOCKED) {
		s = add(out, ITH_STEP_RENEW, ITH_WHEN_ALWAYS);
		/* get never waits on a rotation in progress while it has something valid to give */
		s->busy_serves = in->stage == ITH_GET_CACHED && cur && in->min_ttl < 0;
		/* renewal not due by the window but the caller wants more: forced */
		s->force = st->has_current && !st->has_next && !out->due;
	} else if (cur) {
		serve(in, out, ITH_SLOT_CURRENT, in->stage == ITH_GET_RENEW_FAILED);
	} else if (next && (in->stage == ITH_GET_RENEWED || in->stage == ITH_GET_SUPERVISED)) {
		serve(in, out, ITH_SLOT_NEXT, false);
	} else {
		add(out, ITH_STEP_FAIL, ITH_WHEN_ALWAYS)->fail =
			in->stage == ITH_GET_RENEW_FAILED ? ITH_FAIL_RENEW : ITH_FAIL_NO_VALID;
	}
}

static const char *const step_names[] = { "sweep", "drop", "patch", "create", "activate", "promote", "sinks", "revoke",
	"hook", "serve", "renew", "fail" };
static const char *const when_names[] = { "", " [not done: replaced by the create]", " [if the patch finds it gone]",
	" [if the patch finds next gone]",
	" [if a next token exists]", " [once active]", " [if owed by then]" };

static void format_activate(const struct ith_step *s, int64_t now, struct ith_strbuf *out)
{
	static const char *const acts[] = { "none", "delay", "probe" };
	static const char *const reach[] = { "reached", "not yet", "to check", "left to rotate" };

	ith_strbuf_addf(out, "%s", acts[s->act]);
	if (s->act == ITH_ACT_DELAY && s->at)
		ith_strbuf_addf(out, " until now%+llds", (long long)(s->at - now));
	ith_strbuf_addf(out, ", %s%s", reach[s->reach], s->wait ? ", wait" : "");
}

static void format_step(const struct ith_step *s, const struct ith_state *st, int64_t now, struct ith_strbuf *out)
{
	static const char *const why[] = { "none yet", "forced", "renewal due", "current gone", "replaces next" };
	static const char *const drop[] = { "expired", "not active by its renewal", "forced" };
	const char *sep = "";

	ith_strbuf_addf(out, "%s(", step_names[s->kind]);
	switch (s->kind) {
	case ITH_STEP_SWEEP:
		ith_strbuf_addstr(out, ith_sweep_closes(s->at, now) ? "intent closes" : "intent stays open");
		break;
	case ITH_STEP_DROP:
		ith_strbuf_addf(out, "next, %s, revoke %s", drop[s->drop], ith_grace_over(s->at, now) ? "now" : "after grace");
		break;
	case ITH_STEP_PATCH:
	case ITH_STEP_SERVE:
		ith_strbuf_addf(out, "%s%s%s", s->slot == ITH_SLOT_CURRENT ? "current" : "next",
			s->stale ? ", stale" : "", s->short_ttl ? ", short of min-ttl" : "");
		break;
	case ITH_STEP_CREATE:
		ith_strbuf_addstr(out, why[s->why]);
		break;
	case ITH_STEP_ACTIVATE:
		format_activate(s, now, out);
		break;
	case ITH_STEP_PROMOTE:
		ith_strbuf_addstr(out, s->retire_current ? "retire current" : "first token");
		break;
	case ITH_STEP_REVOKE:
		for (size_t i = 0; i < st->nretired && i < 64; i++)
			if (s->retired & (UINT64_C(1) << i)) {
				ith_strbuf_addf(out, "%s%s", sep, st->retired[i].id);
				sep = ",";
			}
		if (s->dropped_next)
			ith_strbuf_addf(out, "%snext", sep);
		if (!s->retired && !s->dropped_next)
			ith_strbuf_addstr(out, "none over grace now");
		break;
	case ITH_STEP_RENEW:
		ith_strbuf_addf(out, "%s%s%s", s->force ? "forced" : "", s->force && s->busy_serves ? ", " : "",
			s->busy_serves ? "busy: serve current" : "");
		break;
	case ITH_STEP_FAIL:
		ith_strbuf_addstr(out, s->fail == ITH_FAIL_RENEW ? "the renewal's error" : "no valid token");
		break;
	default:
		break;
	}
	ith_strbuf_addf(out, ")%s", when_names[s->when]);
}

void ith_plan_format(const struct ith_plan *pl, const struct ith_state *st, int64_t now, struct ith_strbuf *out)
{
	for (size_t i = 0; i < pl->n; i++) {
		if (i)
			ith_strbuf_addstr(out, " -> ");
		format_step(&pl->v[i], st, now, out);
	}
	if (!pl->n)
		ith_strbuf_addstr(out, "nothing");
}
