/* unit-base: the suites of tiers 0-2 (mem, strbuf, text, error, time, id, fs, trust), linked with ithbase
 * and CUnit only, so that a call from those tiers up into the core fails to link here. */
#include "suites.h"
#include "strbuf.h"

#include <CUnit/Basic.h>
#include <sys/stat.h>

int main(void)
{
	unsigned failed;

	umask(077);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 70;
	if (register_mem_tests() || register_strbuf_tests() || register_text_tests() || register_error_tests() ||
	    register_time_tests() || register_id_tests() || register_fs_tests() || register_trust_tests()) {
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
