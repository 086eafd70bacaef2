/* vault.c: the answers it reads (metadata, data, login, errors), hostile ones included: wrong types,
 * missing fields, another instance's marker, a token quoted in an error. The publishing rules are the
 * scenarios' (the vault scenarios in tests/scenarios, against tests/vault_emulator.py). */
#include "suites.h"
#include "vault.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

#define INST "11111111-2222-4333-8444-555555555555"

static void test_meta(void)
{
	struct ith_vault_meta m;

	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":{\"current_version\":3,\"custom_metadata\":{\"managed-by\":"
		"\"influx-token-helper\",\"instance\":\"" INST "\",\"profile\":\"a\"}}}", INST, &m, &E), 0);
	CU_ASSERT_TRUE(m.ours);
	CU_ASSERT_EQUAL(m.version, 3);
	/* another instance's, no marker, a marker of the wrong type: not ours */
	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":{\"current_version\":1,\"custom_metadata\":{\"managed-by\":"
		"\"influx-token-helper\",\"instance\":\"other\"}}}", INST, &m, &E), 0);
	CU_ASSERT_FALSE(m.ours);
	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":{\"current_version\":1,\"custom_metadata\":null}}", INST, &m, &E), 0);
	CU_ASSERT_FALSE(m.ours);
	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":{\"current_version\":1,\"custom_metadata\":{\"managed-by\":1,"
		"\"instance\":\"" INST "\"}}}", INST, &m, &E), 0);
	CU_ASSERT_FALSE(m.ours);
	/* malformed: 65 */
	CU_ASSERT_EQUAL(ith_vault_parse_meta("[1]", INST, &m, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":{\"current_version\":\"3\"}}", INST, &m, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":{\"current_version\":-1}}", INST, &m, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_vault_parse_meta("{\"data\":", INST, &m, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_vault_parse_meta(NULL, INST, &m, &E), ITH_ERR_API_MALFORMED);
}

static void test_data(void)
{
	struct ith_secret want = { (char *)"apiv1_SecretTokenValue", 22 };
	struct ith_vault_data d;

	CU_ASSERT_EQUAL(ith_vault_parse_data("{\"data\":{\"data\":{\"token\":\"apiv1_SecretTokenValue\",\"token_id\":\"id-1\","
		"\"expires_at\":\"2030-01-01T00:00:00Z\"},\"metadata\":{}}}", &want, &d, &E), 0);
	CU_ASSERT_TRUE(d.has);
	CU_ASSERT_TRUE(d.same_token);
	CU_ASSERT_STRING_EQUAL(d.token_id, "id-1");
	CU_ASSERT_EQUAL(d.expires_at, 1893456000);
	/* another token, a prefix of ours, one longer: not the same */
	CU_ASSERT_EQUAL(ith_vault_parse_data("{\"data\":{\"data\":{\"token\":\"apiv1_SecretTokenValu\",\"token_id\":\"id-1\"}}}",
		&want, &d, &E), 0);
	CU_ASSERT_FALSE(d.same_token);
	CU_ASSERT_EQUAL(d.expires_at, 0);
	CU_ASSERT_EQUAL(ith_vault_parse_data("{\"data\":{\"data\":{\"token\":\"apiv1_SecretTokenValueX\",\"token_id\":\"id-1\"}}}",
		&want, &d, &E), 0);
	CU_ASSERT_FALSE(d.same_token);
	/* someone else's data (no token_id), a token_id of the wrong type or too long, a bad date */
	CU_ASSERT_EQUAL(ith_vault_parse_data("{\"data\":{\"data\":{\"written_by\":\"x\"}}}", &want, &d, &E), 0);
	CU_ASSERT_FALSE(d.has);
	CU_ASSERT_EQUAL(ith_vault_parse_data("{\"data\":{\"data\":{\"token_id\":7}}}", &want, &d, &E), 0);
	CU_ASSERT_FALSE(d.has);
	char big[200];
	snprintf(big, sizeof(big), "{\"data\":{\"data\":{\"token_id\":\"%0100d\"}}}", 1);
	CU_ASSERT_EQUAL(ith_vault_parse_data(big, &want, &d, &E), 0);
	CU_ASSERT_FALSE(d.has);
	CU_ASSERT_EQUAL(ith_vault_parse_data("{\"data\":{\"data\":{\"token_id\":\"i\",\"expires_at\":\"soon\"}}}", &want, &d,
		&E), 0);
	CU_ASSERT_EQUAL(d.expires_at, 0);
	CU_ASSERT_EQUAL(ith_vault_parse_data("nope", &want, &d, &E), ITH_ERR_API_MALFORMED);
	/* the error message never quotes the answer (it could carry the token) */
	CU_ASSERT_EQUAL(ith_vault_parse_data("\"apiv1_SecretTokenValue\"", &want, &d, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), "SecretToken"));
}

static void test_login(void)
{
	struct ith_secret s = ITH_SECRET_INIT;

	CU_ASSERT_EQUAL(ith_vault_parse_login("{\"auth\":{\"client_token\":\"hvs.abc\",\"lease_duration\":60}}", &s, &E), 0);
	CU_ASSERT_EQUAL(s.len, 7);
	CU_ASSERT_EQUAL(memcmp(s.s, "hvs.abc", 7), 0);
	ith_secret_release(&s);
	CU_ASSERT_EQUAL(ith_vault_parse_login("{\"auth\":null}", &s, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_vault_parse_login("{\"auth\":{\"client_token\":\"\"}}", &s, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_EQUAL(ith_vault_parse_login("{\"auth\":{\"client_token\":5}}", &s, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_PTR_NULL(s.s);
}

static void test_error_text(void)
{
	struct ith_remote *rm = NULL;
	struct ith_secret tok = { (char *)"hvs.SuperSecretVaultToken", 25 };
	char out[256];

	CU_ASSERT_EQUAL_FATAL(ith_remote_open(&rm, 1, 1, 1, &E), 0);
	ith_remote_redact_add(rm, &tok);
	ith_vault_error_text(rm, "{\"errors\":[\"permission denied for hvs.SuperSecretVaultToken\\n\\tnow\"]}", out,
		sizeof(out));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "permission denied"));
	CU_ASSERT_PTR_NULL(strstr(out, "SuperSecret"));
	CU_ASSERT_PTR_NULL(strchr(out, '\n'));
	CU_ASSERT_STRING_EQUAL(ith_vault_error_text(rm, "{\"errors\":[]}", out, sizeof(out)), "");
	CU_ASSERT_STRING_EQUAL(ith_vault_error_text(rm, "{\"errors\":[7]}", out, sizeof(out)), "");
	CU_ASSERT_STRING_EQUAL(ith_vault_error_text(rm, "<html>", out, sizeof(out)), "");
	CU_ASSERT_STRING_EQUAL(ith_vault_error_text(rm, NULL, out, sizeof(out)), "");
	ith_remote_close(rm);
}

int register_vault_tests(void)
{
	CU_pSuite s = CU_add_suite("vault: the KV v2 answers the vault sink reads", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_meta);
	ADD(s, test_data);
	ADD(s, test_login);
	ADD(s, test_error_text);
	return 0;
}
