/*
 * src/schedule.c: every timing rule, one test (or more) each: the renewal
 * moment (phase-locked), a pending next token's activation end and the
 * moment it gives way, the sweep window's close (its +1), the grace end,
 * the next due moment of a profile, and the scheduler's refresh, retry
 * backoff (its jitter's bounds, from a seeded source) and sleep.
 */
#include "suites.h"
#include "id.h"
#include "strbuf.h"

#include "plan.h"
#include "schedule.h"

#include <stdio.h>
#include <string.h>

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

#define H 3600
#define LIFE (24 * H)
#define RB (6 * H)
#define P (LIFE - RB)

static void test_phase(void)
{
	char inst[ITH_UUID_LEN + 1];
	int64_t first = ith_phase(INST, "telegraf", P);
	unsigned buckets[18] = { 0 };
	bool differs = false;

	CU_ASSERT_EQUAL(ith_phase(INST, "telegraf", P), first);  /* stable */
	CU_ASSERT_NOT_EQUAL(ith_phase(INST, "other", P), first);  /* per profile */
	for (int i = 0; i < 1800; i++) {
		int64_t s;
		ith_uuid_v4(inst, &E);
		s = ith_phase(inst, "telegraf", P);
		CU_ASSERT_TRUE_FATAL(s >= 0 && s < P);
		buckets[s / H]++;
		differs |= s != first;
	}
	CU_ASSERT_TRUE(differs);
	/* spread over the whole period: each hour holds about 100 of 1800 */
	for (int h = 0; h < 18; h++)
		CU_ASSERT_TRUE(buckets[h] > 50 && buckets[h] < 160);
	CU_ASSERT_EQUAL(ith_phase(INST, "telegraf", 0), 0);
}

/* The rule: the latest moment on the phase that is not after expires_at - renew_before. */
static void test_renew_at_rule(void)
{
	int64_t phase = 5000, t0 = 1700000000;

	for (int64_t c = t0; c < t0 + 3 * P; c += 977) {
		int64_t at = ith_renew_at(c + LIFE, c, P, RB, phase);
		CU_ASSERT_TRUE_FATAL(at <= c + LIFE - RB);            /* never after the window's edge */
		CU_ASSERT_EQUAL((at - phase) % P, 0);                 /* on the phase */
		CU_ASSERT_TRUE(at + P > c + LIFE - RB);               /* the latest such moment */
		CU_ASSERT_TRUE(at > c);                               /* never due at creation */
	}
	/* exact values: a phase point, and a token made on it lives one period */
	CU_ASSERT_EQUAL(ith_renew_at(10 * P + phase + 60 + LIFE, 10 * P + phase + 60, P, RB, phase), 11 * P + phase);
	CU_ASSERT_EQUAL(ith_renew_at(11 * P + phase + LIFE, 11 * P + phase, P, RB, phase), 12 * P + phase);
	/* negative times are floored, not truncated */
	CU_ASSERT_EQUAL(ith_renew_at(RB - 10, 0, P, RB, phase), phase - P);
	/* a token the server made shorter than asked: due at its window's edge, not at once */
	CU_ASSERT_EQUAL(ith_renew_at(11 * P + phase + LIFE - 30, 11 * P + phase, P, RB, phase), 11 * P + phase + P - 30);
	/* one that lives no longer than renew_before (a server's cap): at half its life, never at once */
	CU_ASSERT_EQUAL(ith_renew_at(1000 + 3600, 1000, P, RB, phase), 1000 + 1800);
	CU_ASSERT_EQUAL(ith_renew_at(1000 + RB, 1000, P, RB, phase), 1000 + RB / 2);
	/* creation time unknown: the phase rule alone */
	CU_ASSERT_EQUAL(ith_renew_at(11 * P + phase + LIFE - 30, 0, P, RB, phase), 11 * P + phase);
}

/* After the first cycle, each host renews exactly once per period, on its phase. */
static void test_once_per_period(void)
{
	char inst[ITH_UUID_LEN + 1];

	for (int h = 0; h < 200; h++) {
		int64_t phase, t, exp, prev = 0;
		ith_uuid_v4(inst, &E);
		phase = ith_phase(inst, "telegraf", P);
		t = 1700000000 + h;       /* installed in the same minute... */
		exp = t + LIFE;
		for (int k = 0; k < 6; k++) {
			int64_t due = ith_renew_at(exp, t, P, RB, phase);
			CU_ASSERT_TRUE_FATAL(due > t);
			t = due + (h * 7) % 300;   /* ...run by a timer a few minutes late */
			exp = t + LIFE;
			if (k >= 1)
				CU_ASSERT_EQUAL(due - prev, P);
			prev = due;
		}
	}
}

static void test_due(void)
{
	struct ith_profile p;
	struct ith_state st;
	int64_t at, exp = 1000000;

	memset(&p, 0, sizeof(p));
	p.name = "telegraf";
	p.lifetime = LIFE;
	p.renew_before = RB;
	ith_state_init(&st, INST);
	CU_ASSERT_TRUE(ith_renewal_due(&st, &p, INST, 0));  /* no token */
	st.has_current = true;
	st.current.expires_at = exp;
	st.current.started_at = exp - LIFE;
	at = ith_token_renew_at(&st.current, &p, INST);
	CU_ASSERT_EQUAL(at, ith_renew_at(exp, exp - LIFE, P, RB, ith_phase(INST, "telegraf", P)));
	CU_ASSERT_FALSE(ith_renewal_due(&st, &p, INST, at - 1));
	CU_ASSERT_TRUE(ith_renewal_due(&st, &p, INST, at));
	CU_ASSERT_TRUE(ith_renewal_due(&st, &p, INST, exp + 10));  /* expired */
	ith_state_release(&st);
}

/* Short-lived: no longer than renew_before from its making (get's warning and the half-life rule agree). */
static void test_short_lived(void)
{
	CU_ASSERT_TRUE(ith_short_lived(1000 + RB, 1000, RB));
	CU_ASSERT_FALSE(ith_short_lived(1000 + RB + 1, 1000, RB));
	CU_ASSERT_EQUAL(ith_renew_at(1000 + RB, 1000, P, RB, 0), 1000 + RB / 2);
	CU_ASSERT_EQUAL(ith_renew_at(1000 + RB + 2, 1000, P, RB, 0), 1002);  /* not short-lived: its window edge */
}

/* A renewal moment is reached at it, not a second before (the health model's renew-due too). */
static void test_renewal_due_at(void)
{
	CU_ASSERT_FALSE(ith_renewal_due_at(1000, 999));
	CU_ASSERT_TRUE(ith_renewal_due_at(1000, 1000));
	CU_ASSERT_TRUE(ith_renewal_due_at(1000, 1001));
}

static struct ith_profile profile(void)
{
	struct ith_profile p;

	memset(&p, 0, sizeof(p));
	p.name = "telegraf";
	p.lifetime = LIFE;
	p.renew_before = RB;
	p.grace = H;
	p.activation = ITH_ACT_DELAY;
	p.activation_timeout = 60;
	return p;
}

/* A pending next gives way at its own renewal window's edge; a short-lived one at half its life. */
static void test_next_stale_at(void)
{
	struct ith_profile p = profile();
	struct ith_state_token t;

	memset(&t, 0, sizeof(t));
	t.started_at = 1000;
	t.created_at = 900;  /* the server's clock: started_at (ours) wins */
	t.expires_at = 1000 + LIFE;
	CU_ASSERT_EQUAL(ith_next_stale_at(&t, &p), 1000 + LIFE - RB);
	t.expires_at = 1000 + RB;  /* lives no longer than renew_before */
	CU_ASSERT_EQUAL(ith_next_stale_at(&t, &p), 1000 + RB / 2);
	t.started_at = 0;  /* unknown: from created_at, so it lives 100 s longer than renew_before: the edge */
	CU_ASSERT_EQUAL(ith_next_stale_at(&t, &p), 1000 + RB - RB);
	/* the same edge the renewal of a shortened token uses */
	t.started_at = 1000;
	t.expires_at = 1000 + 3600;
	CU_ASSERT_EQUAL(ith_next_stale_at(&t, &p), ith_renew_at(t.expires_at, 1000, P, RB, 0));
}

/* activation: a probe waits until activation_timeout after the start; a delay is over a second later. */
static void test_activation_end(void)
{
	struct ith_profile p = profile();
	struct ith_state_token t;
	double pause = ITH_PROBE_PAUSE_FIRST;
	const double want[] = { 1, 2, 4, 8, 10, 10 };

	memset(&t, 0, sizeof(t));
	t.started_at = 5000;
	CU_ASSERT_EQUAL(ith_activation_end(&t, &p), 5060);
	CU_ASSERT_EQUAL(ith_delay_active_at(&t, &p), 5061);
	CU_ASSERT_DOUBLE_EQUAL(pause, 0.5, 1e-9);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		pause = ith_probe_pause_next(pause);
		CU_ASSERT_DOUBLE_EQUAL(pause, want[i], 1e-9);
	}
}

/*
 * The sweep window: a create started at pending_since may still commit up
 * to pending_since + window (deadline + timeout + 5); a sweep closes the
 * intent only after that second, from pending_since + window + 1 on.
 */
static void test_sweep_close(void)
{
	struct ith_config cfg;
	int64_t w, close;

	memset(&cfg, 0, sizeof(cfg));
	cfg.deadline = 60;
	cfg.timeout = 30;
	w = ith_inflight_window(&cfg);
	CU_ASSERT_EQUAL(w, 60 + 30 + 5);
	close = ith_sweep_close_at(1000, w);
	CU_ASSERT_EQUAL(close, 1000 + 95 + 1);
	CU_ASSERT_FALSE(ith_sweep_closes(close, 1000));
	CU_ASSERT_FALSE(ith_sweep_closes(close, 1000 + 95));       /* the window's last second: stays open */
	CU_ASSERT_TRUE(ith_sweep_closes(close, 1000 + 95 + 1));    /* the +1 */
	CU_ASSERT_TRUE(ith_sweep_closes(close, 1000 + 200));
}

/* The planner and the scheduler read the same close: the scheduler wakes exactly when the planner closes. */
static void test_sweep_close_plan(void)
{
	struct ith_profile p = profile();
	struct ith_strbuf got = ITH_STRBUF_INIT;
	struct ith_perms want;
	struct ith_state st;
	struct ith_plan pl;
	const char *what;
	int64_t now = 100000, due;

	p.activation = ITH_ACT_NONE;
	ith_state_init(&st, INST);
	st.has_current = true;
	st.current.started_at = now;
	st.current.expires_at = now + LIFE;
	st.pending_since = now - 100;
	ith_perms_from_lists(&want, NULL, 0, NULL, 0);
	due = ith_next_due(&st, &p, INST, 95, now, 0, &what);
	CU_ASSERT_STRING_EQUAL(what, "sweep");
	CU_ASSERT_EQUAL(due, now - 100 + 95 + 1);
	for (int64_t t = due - 1; t <= due; t++) {
		struct ith_plan_in in = { .p = &p, .st = &st, .instance = INST, .want = &want, .now = t,
			.inflight_window = 95, .min_ttl = -1 };
		ith_plan_rotate(&in, &pl);
		ith_strbuf_release(&got);
		ith_plan_format(&pl, &st, t, &got);
		CU_ASSERT_STRING_EQUAL(got.buf, t < due ? "sweep(intent stays open) -> sinks()" :
			"sweep(intent closes) -> sinks()");
	}
	ith_strbuf_release(&got);
	ith_perms_release(&want);
	ith_state_release(&st);
}

/* Grace: retired at now, revoked from now + grace, and not a second before. */
/* A token is valid up to, not at, its expiry second. */
static void test_expired(void)
{
	CU_ASSERT_FALSE(ith_expired(9000, 8999));
	CU_ASSERT_TRUE(ith_expired(9000, 9000));
	CU_ASSERT_TRUE(ith_expired(9000, 9001));
}

/* A host that left its hosts_file at removed_at is decommissioned a grace later. */
static void test_decommission_at(void)
{
	struct ith_profile p = profile();

	CU_ASSERT_EQUAL(ith_decommission_at(&p, 5000), 5000 + H);
	p.grace = 0;
	CU_ASSERT_EQUAL(ith_decommission_at(&p, 5000), 5000);
}

static void test_grace(void)
{
	struct ith_profile p = profile();
	int64_t end = ith_grace_end(&p, 7000);

	CU_ASSERT_EQUAL(end, 7000 + H);
	CU_ASSERT_FALSE(ith_grace_over(end, end - 1));
	CU_ASSERT_TRUE(ith_grace_over(end, end));
	CU_ASSERT_TRUE(ith_grace_over(end, end + 1));
	p.grace = 0;
	CU_ASSERT_TRUE(ith_grace_over(ith_grace_end(&p, 7000), 7000));  /* grace 0: at once */
}

/*
 * Grace after publish: the promotion holds a retired token's grace when the profile has sinks (none: it runs
 * from the promotion, as before); the publish of every sink starts it then; a held token is never due.
 */
static void test_grace_after_publish(void)
{
	struct ith_sink sink = { .type = ITH_SINK_FILE, .path = (char *)"/run/x/token" };
	struct ith_profile p = profile();
	struct ith_state st;
	static const char *const a = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", *b = "99999999-8888-4777-8666-555555555555";

	ith_state_init(&st, INST);
	ith_state_retire(&st, a, ith_grace_end(&p, 1000), 90000);
	ith_grace_hold(&st, &p, a);  /* no sinks: not held */
	CU_ASSERT_FALSE(st.retired[0].after_publish);
	CU_ASSERT_TRUE(ith_retired_due(&st.retired[0], 1000 + H));
	CU_ASSERT_FALSE(ith_retired_due(&st.retired[0], 1000 + H - 1));
	CU_ASSERT_EQUAL(ith_grace_start(&st, &p, 5000), 0);  /* nothing held: nothing moves */
	CU_ASSERT_EQUAL(st.retired[0].revoke_after, 1000 + H);
	p.sinks = &sink;
	p.nsinks = 1;
	ith_state_retire(&st, b, ith_grace_end(&p, 2000), 90000);
	ith_grace_hold(&st, &p, b);
	CU_ASSERT_FALSE(st.retired[0].after_publish);  /* only the one named */
	CU_ASSERT_TRUE(st.retired[1].after_publish);
	CU_ASSERT_EQUAL(st.retired[1].revoke_after, 2000 + H);  /* provisional: what an older binary would use */
	CU_ASSERT_FALSE(ith_retired_due(&st.retired[1], 2000 + H));
	CU_ASSERT_FALSE(ith_retired_due(&st.retired[1], 89999));  /* held: however late, while it is valid */
	CU_ASSERT_TRUE(ith_retired_due(&st.retired[1], 90000));   /* expired: no consumer can use it, revoked */
	st.retired[1].expires_at = 0;                             /* expiry unknown: held */
	CU_ASSERT_FALSE(ith_retired_due(&st.retired[1], INT64_MAX - 1));
	st.retired[1].expires_at = 90000;
	/* every sink published at 9000: its grace runs from then */
	CU_ASSERT_EQUAL(ith_grace_start(&st, &p, 9000), 1);
	CU_ASSERT_FALSE(st.retired[1].after_publish);
	CU_ASSERT_EQUAL(st.retired[1].revoke_after, 9000 + H);
	CU_ASSERT_FALSE(ith_retired_due(&st.retired[1], 9000 + H - 1));
	CU_ASSERT_TRUE(ith_retired_due(&st.retired[1], 9000 + H));
	CU_ASSERT_EQUAL(st.retired[0].revoke_after, 1000 + H);  /* one not held keeps its own end */
	CU_ASSERT_EQUAL(ith_grace_start(&st, &p, 12000), 0);    /* started once */
	CU_ASSERT_EQUAL(st.retired[1].revoke_after, 9000 + H);
	ith_state_release(&st);
}

/* The next moment a profile has something due (moved from test_watch.c). */
static void test_next_due(void)
{
	struct ith_config cfg;
	struct ith_profile p;
	struct ith_state st;
	const char *what = NULL;
	int64_t now = 1700000000, at, w;

	memset(&cfg, 0, sizeof(cfg));
	memset(&p, 0, sizeof(p));
	cfg.timeout = 30;
	cfg.deadline = 60;
	w = ith_inflight_window(&cfg);
	p.name = "telegraf";
	p.lifetime = 60;
	p.renew_before = 50;
	p.grace = 2;
	p.activation = ITH_ACT_NONE;
	p.activation_timeout = 20;
	ith_state_init(&st, INST);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), now);
	CU_ASSERT_STRING_EQUAL(what, "first token");
	/* a current token: its renewal, on the phase */
	st.has_current = true;
	st.current.started_at = now;
	st.current.expires_at = now + 60;
	at = ith_token_renew_at(&st.current, &p, INST);
	CU_ASSERT_TRUE(at > now && at <= now + 10);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), at);
	CU_ASSERT_STRING_EQUAL(what, "renewal");
	/* a retired token whose grace ends first */
	ith_state_retire(&st, INST, at - 1 > now ? at - 1 : now, now + 30);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), at - 1 > now ? at - 1 : now);
	CU_ASSERT_STRING_EQUAL(what, "grace end");
	/* ... held for its successor's publish: no grace end is due (the publish retry is the scheduler's) */
	st.retired[0].after_publish = true;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), at);
	CU_ASSERT_STRING_EQUAL(what, "renewal");
	st.retired[0].expires_at = at - 2;  /* ... unless it expires first: then it is revoked */
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), at - 2);
	CU_ASSERT_STRING_EQUAL(what, "grace end");
	ith_state_drop_retired(&st, 0);
	/* an open create intent: the sweep once no request can be in flight (deadline + timeout + margin) */
	st.pending_since = now - 100;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), now - 100 + 60 + 30 + 5 + 1);
	CU_ASSERT_STRING_EQUAL(what, "sweep");
	st.pending_since = now - 10;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), at);
	st.pending_since = 0;
	/* a pending next: delay ends, probe soon and backing off, none at once */
	st.has_next = true;
	st.next.started_at = now - 8;
	st.next.expires_at = now + 3600;  /* far from its own renewal moment */
	p.activation = ITH_ACT_DELAY;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), now - 8 + 20 + 1);
	CU_ASSERT_STRING_EQUAL(what, "activation check");
	/* probe: after the last look (last_run; none: the create), a quarter of the token's age then, 1 s to 10 s;
	 * never relative to now alone, so a due check stays due until a run has looked (issue 20) */
	p.activation = ITH_ACT_PROBE;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), now - 8 + 1);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now + 5, 0, &what), now - 8 + 1);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, now - 4, &what), now - 4 + 1);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, now, &what), now + 2);
	st.next.started_at = now;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, now, &what), now + 1);
	st.next.started_at = now - 400;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, now, &what), now + 10);
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now + 30, now, &what), now + 10);
	/* a pending next that stops being worth waiting for (ith_next_stale_at): then, whatever the probe says */
	st.next.expires_at = now + 30;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, now, &what), ith_next_stale_at(&st.next, &p));
	CU_ASSERT_STRING_EQUAL(what, "replacing the pending token");
	st.next.expires_at = now + 3600;
	p.activation = ITH_ACT_NONE;
	CU_ASSERT_EQUAL(ith_next_due(&st, &p, INST, w, now, 0, &what), now);
	ith_state_release(&st);
}

/* A seeded random source (xorshift64*): the same seed, the same draws. */
static double draw_seeded(void *ud)
{
	uint64_t *x = ud;

	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (double)((*x * UINT64_C(2685821657736338717)) >> 11) / (double)(UINT64_C(1) << 53);
}

static double draw_fixed(void *ud)
{
	return *(const double *)ud;
}

/* Retry backoff: 5 s doubling to 300 s, with equal jitter: in [d/2, d], the draw deciding where. */
static void test_retry_backoff(void)
{
	const double ceiling[] = { 5, 10, 20, 40, 80, 160, 300, 300, 300 };
	uint64_t seed = 42, again = 42;
	double lo = 0, hi = 1, first[9];

	for (unsigned f = 1; f <= 9; f++) {
		double d = ceiling[f - 1];
		CU_ASSERT_DOUBLE_EQUAL(ith_retry_backoff(f, draw_fixed, &lo), d / 2, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(ith_retry_backoff(f, draw_fixed, &hi), d, 1e-9);
		for (int k = 0; k < 200; k++) {
			double b = ith_retry_backoff(f, draw_seeded, &seed);
			CU_ASSERT_TRUE_FATAL(b >= d / 2 && b <= d);
		}
	}
	CU_ASSERT_DOUBLE_EQUAL(ith_retry_backoff(1000, draw_fixed, &hi), ITH_BACKOFF_MAX, 1e-9);
	/* deterministic with a fixed seed: the same sequence again */
	seed = 42;
	for (unsigned f = 1; f <= 9; f++)
		first[f - 1] = ith_retry_backoff(f, draw_seeded, &seed);
	for (unsigned f = 1; f <= 9; f++)
		CU_ASSERT_DOUBLE_EQUAL(ith_retry_backoff(f, draw_seeded, &again), first[f - 1], 0);
	CU_ASSERT_TRUE(first[8] != first[7]);  /* jittered: not the fixed half */
}

/* The scheduler's cycle: what the state says, a refresh when nothing is due sooner, retry and the pause after. */
static void test_cycle_due(void)
{
	const char *what = "renewal";
	double now = 10000;

	/* due later than the refresh: the refresh, ITH_REFRESH after the last cycle */
	CU_ASSERT_DOUBLE_EQUAL(ith_cycle_due(now + 1000, now, now - 10, 0, 0, &what), now - 10 + ITH_REFRESH, 1e-9);
	CU_ASSERT_STRING_EQUAL(what, "refresh");
	/* no cycle yet (last 0): the refresh at once */
	what = "renewal";
	CU_ASSERT_DOUBLE_EQUAL(ith_cycle_due(now + 1000, now, 0, 0, 0, &what), ITH_REFRESH, 1e-9);
	CU_ASSERT_STRING_EQUAL(what, "refresh");
	/* due now: as it is, never a refresh */
	what = "renewal";
	CU_ASSERT_DOUBLE_EQUAL(ith_cycle_due(now, now, 0, 0, 0, &what), now, 1e-9);
	CU_ASSERT_STRING_EQUAL(what, "renewal");
	/* due sooner than the refresh */
	CU_ASSERT_DOUBLE_EQUAL(ith_cycle_due(now + 20, now, now - 10, 0, 0, &what), now + 20, 1e-9);
	CU_ASSERT_STRING_EQUAL(what, "renewal");
	/* after a failure: not before the retry */
	CU_ASSERT_DOUBLE_EQUAL(ith_cycle_due(now, now, now - 1, now + 7.5, 0, &what), now + 7.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(what, "retry");
	/* after a success: not within ITH_CYCLE_GAP, the reason unchanged */
	what = "renewal";
	CU_ASSERT_DOUBLE_EQUAL(ith_cycle_due(now, now, now, 0, now + ITH_CYCLE_GAP, &what), now + 1, 1e-9);
	CU_ASSERT_STRING_EQUAL(what, "renewal");
}

/* watch and exec sleep until just after the due moment, no longer than their cap. */
static void test_sleep_for(void)
{
	CU_ASSERT_DOUBLE_EQUAL(ith_sleep_for(110, 100, ITH_WATCH_MAX_SLEEP), 10 + ITH_WAKE_SLACK, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ith_sleep_for(1000, 100, ITH_WATCH_MAX_SLEEP), 60, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ith_sleep_for(100.5, 100, ITH_EXEC_POLL), 0.5 + ITH_WAKE_SLACK, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ith_sleep_for(110, 100, ITH_EXEC_POLL), 1, 1e-9);
}

int register_schedule_tests(void)
{
	CU_pSuite s = CU_add_suite("schedule: every timing rule", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_phase);
	ADD(s, test_renew_at_rule);
	ADD(s, test_once_per_period);
	ADD(s, test_due);
	ADD(s, test_short_lived);
	ADD(s, test_renewal_due_at);
	ADD(s, test_next_stale_at);
	ADD(s, test_activation_end);
	ADD(s, test_sweep_close);
	ADD(s, test_sweep_close_plan);
	ADD(s, test_expired);
	ADD(s, test_decommission_at);
	ADD(s, test_grace);
	ADD(s, test_grace_after_publish);
	ADD(s, test_next_due);
	ADD(s, test_retry_backoff);
	ADD(s, test_cycle_due);
	ADD(s, test_sleep_for);
	return 0;
}
