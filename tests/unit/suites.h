/* One registration function per core module's suite. */
#ifndef ITH_TEST_SUITES_H
#define ITH_TEST_SUITES_H
#include <CUnit/CUnit.h>

int register_config_tests(void);
int register_time_tests(void);
int register_state_tests(void);
int register_token_tests(void);
int register_engine_tests(void);
int register_template_tests(void);
int register_schedule_tests(void);
int register_plan_tests(void);
int register_health_tests(void);

/* The error buffer the tests pass to the core (error.h); its message is
 * ith_err_msg(&E). Released at the end of main. */
struct ith_strbuf;
extern struct ith_strbuf E;

/* A private temporary directory, removed by rm_rf. */
char *test_tmpdir(void);
void test_rm_rf(const char *dir);

#define ADD(suite, fn) \
	do { if (!CU_add_test(suite, #fn, fn)) return -1; } while (0)
#endif
