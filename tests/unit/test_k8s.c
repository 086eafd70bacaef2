/* k8s.c: the Secret it reads (ownership, resourceVersion, the token compared as base64), hostile answers
 * (wrong types, no resourceVersion, another instance), and base64. The publishing rules are the
 * scenarios' (the kubernetes scenarios in tests/scenarios, against tests/k8s_emulator.py). */
#include "suites.h"
#include "k8s.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* kubelet's layout: token -> ..data/token, ..data -> ..2026_01_01_x, root's files readable by the pod. */
static void test_sa_token(void)
{
	char *dir = test_tmpdir(), p[600], q[600];
	struct ith_secret tok = ITH_SECRET_INIT;
	FILE *f;

	snprintf(p, sizeof(p), "%s/..2026_12_02_01", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/..2026_12_02_01/token", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("eyJhbGciOiJSUzI1NiJ9.sa-token-value", f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(p, 0644), 0);  /* as kubelet leaves it: not private, not ours to make so */
	snprintf(p, sizeof(p), "%s/..data", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("..2026_12_02_01", p), 0);
	snprintf(p, sizeof(p), "%s/token", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("..data/token", p), 0);
	CU_ASSERT_EQUAL(ith_k8s_read_sa_token(p, "sa token", &tok, &E), 0);
	CU_ASSERT_EQUAL(tok.len, strlen("eyJhbGciOiJSUzI1NiJ9.sa-token-value"));
	ith_secret_release(&tok);
	/* a link planted by another user is not followed */
	if (geteuid() == 0) {
		snprintf(q, sizeof(q), "%s/token2", dir);
		CU_ASSERT_EQUAL_FATAL(symlink("..data/token", q), 0);
		CU_ASSERT_EQUAL(lchown(q, 65534, 65534), 0);
		CU_ASSERT_NOT_EQUAL(ith_k8s_read_sa_token(q, "sa token", &tok, &E), 0);
		CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), "sa-token-value"));
	}
	test_rm_rf(dir);
	free(dir);
}

int register_k8s_tests(void)
{
	CU_pSuite s = CU_add_suite("k8s: the Secret the kubernetes sink reads", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_base64);
	ADD(s, test_parse);
	ADD(s, test_sa_token);
	return 0;
}
