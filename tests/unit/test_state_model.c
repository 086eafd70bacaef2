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

static bool published_is(const struct ith_state *st, const char *key, const char *id)
{
	const char *had = ith_state_published(st, key);

	return had && !strcmp(had, id);
}

/* The publish record, a held grace and a publish failure: round trip, in the public copy too. */
static void test_publish_roundtrip(void)
{
	struct ith_state a, b;
	char *text;

	state_fixture_fill(&a);
	a.retired[0].after_publish = true;
	CU_ASSERT_TRUE(ith_state_set_published(&a, "00000000000000a1", "55555555-5555-4555-8555-555555555555"));
	CU_ASSERT_FALSE(ith_state_set_published(&a, "00000000000000a1", "55555555-5555-4555-8555-555555555555"));
	CU_ASSERT_TRUE(ith_state_set_published(&a, "00000000000000b2", "66666666-6666-4666-8666-666666666666"));
	a.publish.since = 1700000500;
	a.publish.sinks = 1;
	snprintf(a.publish.sink, sizeof(a.publish.sink), "/run/x/token");
	snprintf(a.publish.error, sizeof(a.publish.error), "Permission denied");
	for (int pub = 0; pub < 2; pub++) {
		text = ith_state_to_json_ex(&a, !pub, NULL);
		CU_ASSERT_EQUAL_FATAL(ith_state_from_json_ex(text, strlen(text), !pub, &b, &E), 0);
		CU_ASSERT_TRUE(b.retired[0].after_publish);
		CU_ASSERT_EQUAL(b.retired[0].revoke_after, 1700000900);  /* the provisional end stays for older binaries */
		CU_ASSERT_EQUAL(b.npublished, 2);
		CU_ASSERT_TRUE(published_is(&b, "00000000000000a1", "55555555-5555-4555-8555-555555555555"));
		CU_ASSERT_TRUE(published_is(&b, "00000000000000b2", "66666666-6666-4666-8666-666666666666"));
		CU_ASSERT_PTR_NULL(ith_state_published(&b, "00000000000000c3"));
		CU_ASSERT_EQUAL(b.publish.since, 1700000500);
		CU_ASSERT_EQUAL(b.publish.sinks, 1);
		CU_ASSERT_STRING_EQUAL(b.publish.sink, "/run/x/token");
		CU_ASSERT_STRING_EQUAL(b.publish.error, "Permission denied");
		ith_free_secret_str(text);
		ith_state_release(&b);
	}
	/* updated in place: one record per sink */
	CU_ASSERT_TRUE(ith_state_set_published(&a, "00000000000000b2", "55555555-5555-4555-8555-555555555555"));
	CU_ASSERT_EQUAL(a.npublished, 2);
	ith_state_release(&a);
}

/* A state an older binary wrote (no record, no hold, no failure) loads as today's; a damaged record is refused. */
static void test_publish_old_and_damaged(void)
{
	static const char *old = "{\"version\":1,\"instance\":\"" INST "\",\"retired\":[{\"id\":"
		"\"66666666-6666-4666-8666-666666666666\",\"revoke_after\":5,\"expires_at\":9}]}";
	static const char *bad[] = {
		"\"published\":{}",
		"\"published\":[{\"sink\":\"XYZ\",\"id\":\"66666666-6666-4666-8666-666666666666\"}]",
		"\"published\":[{\"sink\":\"00000000000000a1\",\"id\":\"nope\"}]",
		"\"published\":[{\"sink\":\"00000000000000a10\",\"id\":\"66666666-6666-4666-8666-666666666666\"}]",
		"\"publish_failure\":[]",
		"\"publish_failure\":{\"since\":\"x\"}",
		"\"publish_failure\":{\"since\":-1}",
	};
	struct ith_state st;
	char text[512];

	CU_ASSERT_EQUAL_FATAL(ith_state_from_json(old, strlen(old), &st, &E), 0);
	CU_ASSERT_EQUAL(st.npublished, 0);
	CU_ASSERT_EQUAL(st.publish.since, 0);
	CU_ASSERT_EQUAL(st.nretired, 1);
	CU_ASSERT_FALSE(st.retired[0].after_publish);
	ith_state_release(&st);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\":1,\"instance\":\"" INST "\",%s}", bad[i]);
		CU_ASSERT_EQUAL(ith_state_from_json(text, strlen(text), &st, &E), ITH_ERR_STATE_DAMAGED);
	}
	/* a fresh state writes neither key: the file is as an older binary wrote it */
	ith_state_init(&st, INST);
	char *out = ith_state_to_json(&st);
	CU_ASSERT_PTR_NULL(strstr(out, "published"));
	CU_ASSERT_PTR_NULL(strstr(out, "publish_failure"));
	CU_ASSERT_PTR_NULL(strstr(out, "after_publish"));
	ith_free_secret_str(out);
	ith_state_release(&st);
}

/* The record is bounded: the oldest gives way. */
static void test_published_bounded(void)
{
	struct ith_state st;
	char key[ITH_SINK_KEY_LEN + 1];

	ith_state_init(&st, INST);
	for (int i = 0; i < ITH_MAX_PUBLISHED + 3; i++) {
		snprintf(key, sizeof(key), "%016x", i);
		ith_state_set_published(&st, key, "55555555-5555-4555-8555-555555555555");
	}
	CU_ASSERT_EQUAL(st.npublished, ITH_MAX_PUBLISHED);
	CU_ASSERT_PTR_NULL(ith_state_published(&st, "0000000000000000"));
	CU_ASSERT_PTR_NOT_NULL(ith_state_published(&st, "0000000000000003"));
	ith_state_release(&st);
}

int register_state_model_tests(void)
{
	CU_pSuite s = CU_add_suite("state model: contents and JSON", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_json_roundtrip);
	ADD(s, test_retire_bounded);
	ADD(s, test_publish_roundtrip);
	ADD(s, test_publish_old_and_damaged);
	ADD(s, test_published_bounded);
	return 0;
}
