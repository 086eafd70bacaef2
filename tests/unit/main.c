#include "suites.h"
#include "strbuf.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	unsigned failed;

	umask(077);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 70;
	if (register_config_tests() || register_state_tests() ||
	    register_token_tests() || register_engine_tests() || register_template_tests() || register_schedule_tests() ||
	    register_plan_tests() || register_health_tests() || register_url_tests() || register_names_tests() ||
	    register_layout_tests() || register_state_model_tests() ||
	    register_api_tests() || register_output_tests() || register_hook_tests() || register_curl_dl_tests() ||
	    register_credential_tests() || register_health_load_tests() || register_template_parse_tests() ||
	    register_remote_tests() || register_vault_tests() || register_k8s_tests() || register_hosts_tests()) {
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
