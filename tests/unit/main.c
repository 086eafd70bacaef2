#include "suites.h"
#include "util.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ith_strbuf E = ITH_STRBUF_INIT;

char *test_tmpdir(void)
{
	char tmpl[] = "/tmp/ith-unit-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

void test_rm_rf(const char *dir)
{
	char cmd[512];
	if (!dir || strncmp(dir, "/tmp/ith-unit-", 14))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", dir);
}

int main(void)
{
	unsigned failed;

	umask(077);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 70;
	if (register_config_tests() || register_time_tests() || register_state_tests() ||
	    register_token_tests() || register_engine_tests() || register_template_tests() ||
	    register_plan_tests() || register_health_tests() || register_schedule_tests()) {
		CU_cleanup_registry();
		return 70;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	ith_strbuf_release(&E);
	return failed ? 1 : 0;
}
