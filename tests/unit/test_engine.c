#include "suites.h"
#include "curl-dl.h"
#include "engine.h"

#include <string.h>

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

static void test_splay(void)
{
	char inst[ITH_UUID_LEN + 1];
	int64_t seen_max = 0;
	bool differs = false;
	int64_t first = ith_splay(INST, "telegraf", 6 * 3600);

	CU_ASSERT_EQUAL(ith_splay(INST, "telegraf", 6 * 3600), first);  /* stable */
	for (int i = 0; i < 500; i++) {
		int64_t s;
		ith_uuid_v4(inst);
		s = ith_splay(inst, "telegraf", 6 * 3600);
		CU_ASSERT_TRUE(s >= 0 && s < 6 * 360);
		if (s > seen_max)
			seen_max = s;
		if (s != first)
			differs = true;
	}
	CU_ASSERT_TRUE(differs);                 /* spread across a fleet */
	CU_ASSERT_TRUE(seen_max > 6 * 360 / 2);  /* over the range */
	CU_ASSERT_EQUAL(ith_splay(INST, "telegraf", 9), 0);  /* window under 10 s: no splay */
	CU_ASSERT_TRUE(ith_splay(INST, "telegraf", 45) < 4);
}

static void test_renew_at(void)
{
	CU_ASSERT_EQUAL(ith_renew_at(100000, 3600, 0), 96400);
	CU_ASSERT_EQUAL(ith_renew_at(100000, 3600, 359), 96759);
}

static void test_due(void)
{
	struct ith_profile p;
	struct ith_state st;
	int64_t splay, exp = 1000000;

	memset(&p, 0, sizeof(p));
	p.name = "telegraf";
	p.lifetime = 86400;
	p.renew_before = 21600;
	splay = ith_splay(INST, "telegraf", p.renew_before);
	ith_state_init(&st, INST);
	CU_ASSERT_TRUE(ith_renewal_due(&st, &p, INST, 0));  /* no token */
	st.has_current = true;
	st.current.expires_at = exp;
	CU_ASSERT_FALSE(ith_renewal_due(&st, &p, INST, exp - 21600 + splay - 1));
	CU_ASSERT_TRUE(ith_renewal_due(&st, &p, INST, exp - 21600 + splay));
	CU_ASSERT_TRUE(ith_renewal_due(&st, &p, INST, exp + 10));  /* expired */
	ith_state_release(&st);
}

/* libcurl is loaded on demand: every symbol the client uses must resolve. */
static void test_dlopen_curl(void)
{
	CU_ASSERT_EQUAL_FATAL(ith_dlopen_curl(), 0);
#define CHECK_SYM(name) CU_ASSERT_PTR_NOT_NULL(sym_##name);
	ITH_CURL_SYMBOLS(CHECK_SYM)
#undef CHECK_SYM
	CU_ASSERT_PTR_NOT_NULL(ith_curl_version());
	CU_ASSERT_EQUAL(ith_dlopen_curl(), 0);  /* idempotent */
}

int register_engine_tests(void)
{
	CU_pSuite s = CU_add_suite("engine: renewal arithmetic; libcurl on demand", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_dlopen_curl);
	ADD(s, test_splay);
	ADD(s, test_renew_at);
	ADD(s, test_due);
	return 0;
}
