/* k8s.c: the Secret it reads (ownership, resourceVersion, the token compared as base64), hostile answers
 * (wrong types, no resourceVersion, another instance), and base64. The publishing rules are the
 * scenarios' (the kubernetes scenarios in tests/scenarios, against tests/k8s_emulator.py). */
#include "suites.h"
#include "k8s.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

#define INST "11111111-2222-4333-8444-555555555555"
#define OURS "\"labels\":{\"app.kubernetes.io/managed-by\":\"influx-token-helper\"},\"annotations\":{" \
	"\"influx-token-helper/instance\":\"" INST "\",\"influx-token-helper/token-id\":\"id-1\"," \
	"\"influx-token-helper/expires-at\":\"2030-01-01T00:00:00Z\"}"

static void b64(const char *in, const char *want)
{
	struct ith_strbuf b = ITH_STRBUF_INIT;

	ith_base64(in, strlen(in), &b);
	CU_ASSERT_STRING_EQUAL(b.buf ? b.buf : "", want);
	ith_strbuf_release(&b);
}

static void test_base64(void)
{
	b64("", "");
	b64("f", "Zg==");
	b64("fo", "Zm8=");
	b64("foo", "Zm9v");
	b64("foobar", "Zm9vYmFy");
	b64("\xff\xfe\xfd", "//79");
}

static void test_parse(void)
{
	struct ith_secret want = { (char *)"foobar", 6 };
	struct ith_k8s_view v;

	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":\"42\"," OURS "},\"data\":{\"token\":"
		"\"Zm9vYmFy\",\"other\":\"eA==\"}}", INST, "token", &want, &v, &E), 0);
	CU_ASSERT_TRUE(v.ours);
	CU_ASSERT_TRUE(v.same_token);
	CU_ASSERT_STRING_EQUAL(v.rv, "42");
	CU_ASSERT_STRING_EQUAL(v.token_id, "id-1");
	CU_ASSERT_EQUAL(v.expires_at, 1893456000);
	/* another key, another value, another instance, no label */
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":\"42\"," OURS "},\"data\":{\"token\":"
		"\"Zm9vYmFy\"}}", INST, "tok", &want, &v, &E), 0);
	CU_ASSERT_FALSE(v.same_token);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":\"42\"," OURS "},\"data\":{\"token\":"
		"\"Zm9vYmFz\"}}", INST, "token", &want, &v, &E), 0);
	CU_ASSERT_FALSE(v.same_token);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":\"42\"," OURS "}}", "other-instance",
		"token", &want, &v, &E), 0);
	CU_ASSERT_FALSE(v.ours);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":\"1\",\"annotations\":{"
		"\"influx-token-helper/instance\":\"" INST "\"}}}", INST, "token", &want, &v, &E), 0);
	CU_ASSERT_FALSE(v.ours);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":\"1\",\"labels\":[],\"annotations\":7},"
		"\"data\":{\"token\":5}}", INST, "token", &want, &v, &E), 0);
	CU_ASSERT_FALSE(v.ours);
	CU_ASSERT_FALSE(v.same_token);
	/* no resourceVersion, not an object, truncated: 65 */
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{}}", INST, "token", &want, &v, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":{\"resourceVersion\":42}}", INST, "token", &want, &v, &E),
		ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("[]", INST, "token", &want, &v, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret("{\"metadata\":", INST, "token", &want, &v, &E), ITH_ERR_API_MALFORMED);
	char big[400];
	snprintf(big, sizeof(big), "{\"metadata\":{\"resourceVersion\":\"%0200d\"}}", 1);
	CU_ASSERT_EQUAL(ith_k8s_parse_secret(big, INST, "token", &want, &v, &E), ITH_ERR_API_MALFORMED);
}

int register_k8s_tests(void)
{
	CU_pSuite s = CU_add_suite("k8s: the Secret the kubernetes sink reads", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_base64);
	ADD(s, test_parse);
	return 0;
}
