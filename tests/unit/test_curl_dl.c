/* curl-dl.c: libcurl loaded on demand (dlopen), every symbol typed and resolved. */
#include "suites.h"
#include "curl-dl.h"
#include "error.h"

/* libcurl is loaded on demand: every symbol the client uses must resolve. */
static void test_dlopen_curl(void)
{
	CU_ASSERT_EQUAL_FATAL(ith_dlopen_curl(&E), 0);
#define CHECK_SYM(name) CU_ASSERT_PTR_NOT_NULL(sym_##name);
	ITH_CURL_SYMBOLS(CHECK_SYM)
#undef CHECK_SYM
	CU_ASSERT_PTR_NOT_NULL(ith_curl_version());
	CU_ASSERT_EQUAL(ith_dlopen_curl(&E), 0);  /* idempotent */
}

int register_curl_dl_tests(void)
{
	CU_pSuite s = CU_add_suite("curl-dl: libcurl loaded on demand", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_dlopen_curl);
	return 0;
}
