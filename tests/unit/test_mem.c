/* The mem module (src/mem.c): allocation, wiping, secrets. */
#include "suites.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* Copies are exact and NUL-terminated; a secret is a copy, wiped and emptied on release. */
static void test_alloc_and_secret(void)
{
	struct ith_secret sec = ITH_SECRET_INIT;
	char *p = ith_xstrndup("abcdef", 3), *q = ith_xstrdup("xyz");
	unsigned char *z = ith_xcalloc(4, 4);
	char buf[8] = "secret!";

	CU_ASSERT_STRING_EQUAL(p, "abc");
	CU_ASSERT_STRING_EQUAL(q, "xyz");
	for (int i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(z[i], 0);
	free(p);
	free(z);
	ith_free_secret_str(q);
	ith_free_secret_str(NULL);
	ith_freezero(NULL, 10);
	ith_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		CU_ASSERT_EQUAL(buf[i], 0);
	ith_secret_set(&sec, "tok123456", 6);
	CU_ASSERT_STRING_EQUAL(sec.s, "tok123");
	CU_ASSERT_EQUAL(sec.len, 6);
	ith_secret_set(&sec, "other", 5);  /* the old value is released first */
	CU_ASSERT_STRING_EQUAL(sec.s, "other");
	ith_secret_release(&sec);
	CU_ASSERT_PTR_NULL(sec.s);
	CU_ASSERT_EQUAL(sec.len, 0);
	ith_secret_release(&sec);  /* twice is fine */
	p = ith_xmalloc(0);  /* never NULL, even for 0 bytes */
	CU_ASSERT_PTR_NOT_NULL(p);
	free(p);
}

int register_mem_tests(void)
{
	CU_pSuite s = CU_add_suite("mem", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_alloc_and_secret);
	return 0;
}
