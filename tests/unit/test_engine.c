#include "suites.h"
#include "id.h"
#include "curl-dl.h"
#include "engine.h"

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

/* libcurl is loaded on demand: every symbol the client uses must resolve. */
static void test_dlopen_curl(void)
{
	CU_ASSERT_EQUAL_FATAL(ith_dlopen_curl(&E), 0);
#define CHECK_SYM(name) CU_ASSERT_PTR_NOT_NULL(sym_##name);
	ITH_CURL_SYMBOLS(CHECK_SYM)
#undef CHECK_SYM
	CU_ASSERT_PTR_NOT_NULL(ith_curl_version());
	CU_ASSERT_EQUAL(ith_dlopen_curl(&E), 0);  /* idempotent */
}

int register_engine_tests(void)
{
	CU_pSuite s = CU_add_suite("engine: renewal arithmetic; libcurl on demand", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_dlopen_curl);
	ADD(s, test_phase);
	ADD(s, test_renew_at_rule);
	ADD(s, test_once_per_period);
	ADD(s, test_due);
	return 0;
}
