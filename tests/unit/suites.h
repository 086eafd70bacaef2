/* One registration function per core module's suite. */
#ifndef ITH_TEST_SUITES_H
#define ITH_TEST_SUITES_H
#include <CUnit/CUnit.h>

int register_config_tests(void);
int register_state_tests(void);
int register_token_tests(void);
int register_engine_tests(void);
int register_template_tests(void);
int register_schedule_tests(void);
int register_plan_tests(void);
int register_health_tests(void);
/* tiers 0-2 (unit-base: linked with ithbase alone) */
int register_mem_tests(void);
int register_strbuf_tests(void);
int register_text_tests(void);
int register_error_tests(void);
int register_time_tests(void);
int register_id_tests(void);
int register_fs_tests(void);
int register_trust_tests(void);
int register_url_tests(void);
int register_names_tests(void);
int register_layout_tests(void);
int register_state_model_tests(void);
int register_api_tests(void);     /* against tests/emulator.py, started on 127.0.0.1 */
int register_output_tests(void);
int register_hook_tests(void);
int register_curl_dl_tests(void);
int register_credential_tests(void);
int register_health_load_tests(void);
int register_template_parse_tests(void);
int register_remote_tests(void);   /* against a scripted server forked on 127.0.0.1 */
int register_vault_tests(void);
int register_k8s_tests(void);
int register_hosts_tests(void);

/* The error buffer the tests pass to the core (error.h); its message is
 * ith_err_msg(&E). Released at the end of main. */
struct ith_strbuf;
extern struct ith_strbuf E;

/* A private temporary directory, removed by rm_rf (support.c). */
char *test_tmpdir(void);
void test_rm_rf(const char *dir);

#define ADD(suite, fn) \
	do { if (!CU_add_test(suite, #fn, fn)) return -1; } while (0)
#endif
