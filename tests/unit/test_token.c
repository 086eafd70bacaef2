#include "suites.h"
#include "id.h"
#include "strbuf.h"
#include "error.h"
#include "token.h"

#include <stdio.h>
#include <string.h>

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

static void test_marker_roundtrip(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	char inst[ITH_UUID_LEN + 1], prof[ITH_NAME_MAX + 1];

	ith_strbuf_addstr(&sb, "Telegraf writer ");
	ith_marker_format(INST, "telegraf", &sb);
	CU_ASSERT_STRING_EQUAL(sb.buf, "Telegraf writer [influx-token-helper:" INST ":telegraf]");
	CU_ASSERT_TRUE(ith_marker_parse(sb.buf, inst, prof));
	CU_ASSERT_STRING_EQUAL(inst, INST);
	CU_ASSERT_STRING_EQUAL(prof, "telegraf");
	ith_strbuf_release(&sb);
}

static void test_marker_lookalikes(void)
{
	char inst[ITH_UUID_LEN + 1], prof[ITH_NAME_MAX + 1];
	struct ith_token t = ITH_TOKEN_INIT;
	static const char *not_ours[] = {
		"Telegraf writer",                                                     /* no marker */
		"Telegraf writer [influx-token-helper:" INST ":telegraf] extra",         /* not at the end */
		"Telegraf writer [influx-token-helper:" INST ":telegraf",               /* unterminated */
		"Telegraf writer [influx-token-helper:0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5c:telegraf]", /* other instance */
		"Telegraf writer [influx-token-helper:" INST ":telegraf2]",             /* other profile */
		"Telegraf writer [influx-token-helper:" INST ":]",
		"Telegraf writer [influx-token-helper:" INST ":tele-graf]",
		"[influx-token-helper:" INST "telegraf]",
		"",
		NULL,
	};
	for (const char **d = not_ours; *d; d++) {
		t.description = (char *)*d;
		CU_ASSERT_FALSE(ith_token_owned(&t, INST, "telegraf"));
	}
	CU_ASSERT_FALSE(ith_marker_parse(NULL, inst, prof));
	t.description = "x [influx-token-helper:" INST ":telegraf]";
	CU_ASSERT_TRUE(ith_token_owned(&t, INST, "telegraf"));
	CU_ASSERT_FALSE(ith_token_owned(&t, INST, "telegra"));
	/* a description quoting a marker, then the real one: the last counts */
	t.description = "[influx-token-helper:0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5c:x] [influx-token-helper:" INST ":telegraf]";
	CU_ASSERT_TRUE(ith_token_owned(&t, INST, "telegraf"));
	t.description = NULL;
}

static const char *create_answer =
	"{\"accountId\":\"11111111-1111-4111-8111-111111111111\",\"clusterId\":\"33333333-3333-4333-8333-333333333333\","
	"\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"Limited Access Token\","
	"\"permissions\":[{\"action\":\"read\",\"resource\":\"DatabaseOne\"},{\"action\":\"write\",\"resource\":\"*\"}],"
	"\"createdAt\":\"2023-12-21T17:32:28.000Z\",\"expiresAt\":\"2030-01-01T00:00:00Z\","
	"\"accessToken\":\"apiv1_5555555555555555555555555555555555555555555555555555555555555555\"}";

static void test_parse_token(void)
{
	struct ith_token t = ITH_TOKEN_INIT;

	CU_ASSERT_EQUAL_FATAL(ith_token_parse_json(create_answer, strlen(create_answer), true, &t, &E), 0);
	CU_ASSERT_STRING_EQUAL(t.id, "55555555-5555-4555-8555-555555555555");
	CU_ASSERT_EQUAL(t.perms.n, 2);
	CU_ASSERT_STRING_EQUAL(t.perms.v[1].action, "write");
	CU_ASSERT_STRING_EQUAL(t.perms.v[1].resource, "*");
	CU_ASSERT_EQUAL(t.created_at, 1703179948);
	CU_ASSERT_EQUAL(t.expires_at, 1893456000);
	CU_ASSERT_EQUAL(t.revoked_at, 0);
	CU_ASSERT_EQUAL(t.access_token.len, 70);
	ith_token_release(&t);
	CU_ASSERT_PTR_NULL(t.access_token.s);
}

static void expect_bad(const char *json, bool secret)
{
	struct ith_token t = ITH_TOKEN_INIT;
	CU_ASSERT_EQUAL(ith_token_parse_json(json, strlen(json), secret, &t, &E), ITH_ERR_API_MALFORMED);
}

static void test_parse_bad(void)
{
	expect_bad("", false);
	expect_bad("{", false);
	expect_bad("[]", false);
	expect_bad("{} x", false);
	expect_bad("{\"id\":5,\"description\":\"d\",\"permissions\":[]}", false);
	expect_bad("{\"id\":\"nope\",\"description\":\"d\",\"permissions\":[]}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"permissions\":[]}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\"}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":{}}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[{\"action\":\"admin\",\"resource\":\"x\"}]}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[],\"expiresAt\":\"tomorrow\"}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[],\"expiresAt\":12}", false);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[]}", true);  /* no secret */
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[],\"accessToken\":\"short\"}", true);
	expect_bad("{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[],\"accessToken\":\"apiv1_55555555555555555 55555555555555\"}", true);
	/* deeper than the limit */
	char deep[41];
	memset(deep, '[', 40);
	deep[40] = '\0';
	expect_bad(deep, false);
}

#define OURS_DESC "x [influx-token-helper:" INST ":telegraf]"
#define OTHER_DESC "x [influx-token-helper:11111111-2222-4333-8444-555555555555:telegraf]"

static const char list_text[] =
	" [ {\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"" OURS_DESC "\",\"permissions\":[],"
	"\"createdAt\":\"2023-12-21T17:32:28.000Z\",\"revokedAt\":\"2024-01-01T00:00:00Z\",\"new\":{\"a\":[1,\"]}\"]}},"
	/* another team's token: an action we never make, a resource that is no database name, extra fields */
	"{\"id\":\"other-team-1\",\"description\":\"ops \\\"admin\\\" \\\\ [x]\",\"permissions\":[{\"action\":\"manage\","
	"\"resource\":{\"kind\":\"cluster\"}}],\"revokedAt\":\"2024-01-01T00:00:00Z\",\"expirationType\":\"noExpiration\"},"
	"{\"id\":\"77777777-7777-4777-8777-777777777777\",\"description\":\"" OTHER_DESC "\",\"permissions\":7},"
	/* not even an opaque record: skipped */
	"42, \"text\", null, {\"description\":\"no id\"}, [1,2],"
	"{\"id\":\"66666666-6666-4666-8666-666666666666\",\"description\":\"" OURS_DESC "\",\"permissions\":"
	"[{\"action\":\"write\",\"resource\":\"sensors\"}],\"expiresAt\":null} ]\n";

static void check_list_result(struct ith_token_list *out, struct ith_list_stats *st)
{
	CU_ASSERT_EQUAL_FATAL(out->n, 2);
	CU_ASSERT_STRING_EQUAL(out->v[0].id, "55555555-5555-4555-8555-555555555555");
	CU_ASSERT_NOT_EQUAL(out->v[0].revoked_at, 0);
	CU_ASSERT_STRING_EQUAL(out->v[1].id, "66666666-6666-4666-8666-666666666666");
	CU_ASSERT_EQUAL(out->v[1].expires_at, 0);
	CU_ASSERT_EQUAL(out->v[1].perms.n, 1);
	CU_ASSERT_EQUAL(st->total, 9);
	CU_ASSERT_EQUAL(st->ours, 2);
	CU_ASSERT_EQUAL(st->foreign, 2);
	CU_ASSERT_EQUAL(st->revoked, 1);
	CU_ASSERT_EQUAL(st->skipped, 5);
}

static unsigned notes;
static void count_note(void *ud, const char *msg)
{
	(void)ud;
	(void)msg;
	notes++;
}

static void test_parse_list(void)
{
	struct ith_token_list out = { NULL, 0 };
	struct ith_list_stats st;
	size_t len = strlen(list_text);

	CU_ASSERT_EQUAL_FATAL(ith_token_list_parse_json(list_text, len, INST, &out, &st, &E), 0);
	check_list_result(&out, &st);
	ith_token_list_release(&out);
	/* fed in pieces, split at every possible point, and one byte at a time: the same */
	for (size_t cut = 0; cut <= len; cut++) {
		struct ith_list_parser *lp = ith_list_parser_new(INST, NULL, NULL);
		CU_ASSERT_EQUAL_FATAL(ith_list_parser_feed(lp, list_text, cut, &E), 0);
		CU_ASSERT_EQUAL_FATAL(ith_list_parser_feed(lp, list_text + cut, len - cut, &E), 0);
		CU_ASSERT_EQUAL_FATAL(ith_list_parser_finish(lp, &out, &st, &E), 0);
		check_list_result(&out, &st);
		ith_token_list_release(&out);
		ith_list_parser_free(lp);
	}
	struct ith_list_parser *lp = ith_list_parser_new(INST, count_note, NULL);
	notes = 0;
	for (size_t i = 0; i < len; i++)
		CU_ASSERT_EQUAL_FATAL(ith_list_parser_feed(lp, list_text + i, 1, &E), 0);
	CU_ASSERT_EQUAL_FATAL(ith_list_parser_finish(lp, &out, &st, &E), 0);
	check_list_result(&out, &st);
	CU_ASSERT_EQUAL(notes, 5);  /* one per skipped element, up to 5 */
	ith_token_list_release(&out);
	/* reset: a retried request starts again */
	ith_list_parser_reset(lp);
	CU_ASSERT_EQUAL(ith_list_parser_feed(lp, "[]", 2, &E), 0);
	CU_ASSERT_EQUAL(ith_list_parser_finish(lp, &out, &st, &E), 0);
	CU_ASSERT_EQUAL(out.n, 0);
	CU_ASSERT_EQUAL(st.total, 0);
	ith_list_parser_free(lp);
	/* no instance: nothing kept, everything counted */
	CU_ASSERT_EQUAL(ith_token_list_parse_json(list_text, len, NULL, &out, &st, &E), 0);
	CU_ASSERT_EQUAL(out.n, 0);
	CU_ASSERT_EQUAL(st.foreign, 4);
}

static void expect_list_error(const char *text, const char *msg)
{
	struct ith_token_list out = { NULL, 0 };

	CU_ASSERT_EQUAL(ith_token_list_parse_json(text, strlen(text), INST, &out, NULL, &E), ITH_ERR_API_MALFORMED);
	if (!strstr(ith_err_msg(&E), msg))
		fprintf(stderr, "\nexpected '%s' in '%s'\n", msg, ith_err_msg(&E));
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), msg));
	CU_ASSERT_EQUAL(out.n, 0);
}

static void test_parse_list_errors(void)
{
	expect_list_error("{}", "is not a JSON array");
	expect_list_error("", "is empty");
	expect_list_error("[{\"id\":\"a\"}", "is truncated");
	expect_list_error("[{\"id\":\"a\"} {}]", "lacks a ','");
	expect_list_error("[{\"id\":\"a\"},]", "empty element");
	expect_list_error("[] x", "followed by more bytes");
	expect_list_error("[{\"id\":\"a\"}}]", "lacks a ','");
	expect_list_error("[1}]", "unbalanced");
	expect_list_error("[\"a\"{\"id\":\"x\"}]", "lacks a ','");   /* a value hidden behind a scalar */
	expect_list_error("[true[1]]", "lacks a ','");
	expect_list_error("[\"unterminated]", "is truncated");
	/* a token of ours that does not parse is an error naming its id */
	expect_list_error("[{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"" OURS_DESC "\","
		"\"permissions\":[{\"action\":\"manage\",\"resource\":\"x\"}]}]",
		"token 55555555-5555-4555-8555-555555555555 of the list (one of this instance's): API answer: unknown "
		"permission action 'manage'");
	expect_list_error("[{\"id\":\"not-a-uuid\\u001b[31m\",\"description\":\"" OURS_DESC "\",\"permissions\":[]}]",
		"token not-a-uuid?[31m of the list (one of this instance's): API answer: token id is not a UUID");
}

/* An element over the per-element cap is skipped, and the answer goes on. */
/* A wrapped error keeps the inner one's words. */
static void test_parse_keeps_cause(void)
{
	const char *j = "{\"id\":\"55555555-5555-4555-8555-555555555555\",\"description\":\"d\",\"permissions\":[],"
		"\"expiresAt\":\"tomorrow\"}";
	struct ith_token t = ITH_TOKEN_INIT;

	CU_ASSERT_EQUAL(ith_token_parse_json(j, strlen(j), false, &t, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), "API answer: 'expiresAt': 'tomorrow' is not an RFC 3339 date-time");
}

static void test_parse_list_oversized(void)
{
	size_t big = ITH_LIST_ELEMENT_MAX + 10;
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_token_list out = { NULL, 0 };
	struct ith_list_stats st;

	ith_strbuf_addstr(&sb, "[{\"id\":\"x\",\"description\":\"");
	for (size_t i = 0; i < big; i++)
		ith_strbuf_add(&sb, "a", 1);
	ith_strbuf_addstr(&sb, "\"},{\"id\":\"66666666-6666-4666-8666-666666666666\",\"description\":\"" OURS_DESC "\","
		"\"permissions\":[]}]");
	CU_ASSERT_EQUAL_FATAL(ith_token_list_parse_json(sb.buf, sb.len, INST, &out, &st, &E), 0);
	CU_ASSERT_EQUAL(out.n, 1);
	CU_ASSERT_EQUAL(st.skipped, 1);
	CU_ASSERT_EQUAL(st.total, 2);
	ith_token_list_release(&out);
	ith_strbuf_release(&sb);
}

static void test_perms(void)
{
	char *w[] = { "b", "a" }, *r[] = { "a" }, *w2[] = { "a", "b", "a" };
	struct ith_perms x, y;

	ith_perms_from_lists(&x, w, 2, r, 1);
	ith_perms_from_lists(&y, w2, 3, r, 1);
	CU_ASSERT_EQUAL(x.n, 3);
	CU_ASSERT_EQUAL(y.n, 3);
	CU_ASSERT_TRUE(ith_perms_equal(&x, &y));
	ith_perms_release(&y);
	ith_perms_from_lists(&y, w, 2, NULL, 0);
	CU_ASSERT_FALSE(ith_perms_equal(&x, &y));
	ith_perms_release(&x);
	ith_perms_release(&y);
}

int register_token_tests(void)
{
	CU_pSuite s = CU_add_suite("token: marker and API answers", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_marker_roundtrip);
	ADD(s, test_marker_lookalikes);
	ADD(s, test_parse_token);
	ADD(s, test_parse_bad);
	ADD(s, test_parse_list);
	ADD(s, test_parse_list_errors);
	ADD(s, test_parse_list_oversized);
	ADD(s, test_parse_keeps_cause);
	ADD(s, test_perms);
	return 0;
}
