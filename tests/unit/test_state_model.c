/* state-model.c: what a state holds, its bounds and its JSON form (no files: those are test_state.c's). */
#include "suites.h"
#include "error.h"
#include "state-model.h"
#include "state_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void state_fixture_fill(struct ith_state *st)
{
	ith_state_init(st, INST);
	st->has_current = true;
	snprintf(st->current.id, sizeof(st->current.id), "55555555-5555-4555-8555-555555555555");
	ith_secret_set(&st->current.token, TOKEN, strlen(TOKEN));
	st->current.created_at = 1700000000;
	st->current.expires_at = 1700086400;
	ith_perms_add(&st->current.perms, "write", "sensors");
	ith_perms_add(&st->current.perms, "read", "*");
	ith_state_retire(st, "66666666-6666-4666-8666-666666666666", 1700000900, 1700001000);
	st->pending_since = 1700000001;
	st->rotations = 3;
	st->failures = 1;
	snprintf(st->last_error, sizeof(st->last_error), "boom \"quoted\"");
}

void state_fixture_check(const struct ith_state *st)
{
	CU_ASSERT_STRING_EQUAL(st->instance, INST);
	CU_ASSERT_TRUE(st->has_current);
	CU_ASSERT_FALSE(st->has_next);
	CU_ASSERT_STRING_EQUAL(st->current.id, "55555555-5555-4555-8555-555555555555");
	CU_ASSERT_STRING_EQUAL(st->current.token.s, TOKEN);
	CU_ASSERT_EQUAL(st->current.token.len, strlen(TOKEN));
	CU_ASSERT_EQUAL(st->current.expires_at, 1700086400);
	CU_ASSERT_EQUAL(st->current.perms.n, 2);
	CU_ASSERT_EQUAL(st->nretired, 1);
	CU_ASSERT_EQUAL(st->retired[0].revoke_after, 1700000900);
	CU_ASSERT_EQUAL(st->pending_since, 1700000001);
	CU_ASSERT_EQUAL(st->rotations, 3);
	CU_ASSERT_EQUAL(st->failures, 1);
	CU_ASSERT_STRING_EQUAL(st->last_error, "boom \"quoted\"");
}

static void test_json_roundtrip(void)
{
	struct ith_state a, b;
	char *text;

	state_fixture_fill(&a);
	text = ith_state_to_json(&a);
	CU_ASSERT_EQUAL_FATAL(ith_state_from_json(text, strlen(text), &b, &E), 0);
	state_fixture_check(&b);
	ith_free_secret_str(text);
	ith_state_release(&a);
	ith_state_release(&b);
	CU_ASSERT_NOT_EQUAL(ith_state_from_json("{}", 2, &b, &E), 0);
	CU_ASSERT_NOT_EQUAL(ith_state_from_json("{\"version\":1,\"instance\":\"x\"}", 28, &b, &E), 0);
}

static void test_retire_bounded(void)
{
	struct ith_state st;
	char id[ITH_UUID_LEN + 1];

	ith_state_init(&st, INST);
	for (int i = 0; i < ITH_MAX_RETIRED + 5; i++) {
		snprintf(id, sizeof(id), "55555555-5555-4555-8555-%012d", i);
		ith_state_retire(&st, id, i, i);
	}
	CU_ASSERT_EQUAL(st.nretired, ITH_MAX_RETIRED);
	CU_ASSERT_EQUAL(st.retired[0].revoke_after, 5);
	ith_state_retire(&st, st.retired[3].id, 0, 0);  /* no duplicates */
	CU_ASSERT_EQUAL(st.nretired, ITH_MAX_RETIRED);
	ith_state_release(&st);
}

int register_state_model_tests(void)
{
	CU_pSuite s = CU_add_suite("state model: contents and JSON", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_json_roundtrip);
	ADD(s, test_retire_bounded);
	return 0;
}
