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

/* The bounded secret set (api.c's and remote.c's redaction lists): no repeats, none too short, the oldest out. */
static void test_secrets_add(void)
{
	struct ith_secret set[2] = { ITH_SECRET_INIT, ITH_SECRET_INIT }, a = { "aaaaaaaa", 8 }, b = { "bbbbbbbb", 8 },
		c = { "cccccccc", 8 }, s = { "ss", 2 }, empty = { "", 0 };
	size_t n = 0;

	ith_secrets_add(set, &n, 2, &a, 4);
	ith_secrets_add(set, &n, 2, &a, 4);      /* there already */
	ith_secrets_add(set, &n, 2, &s, 4);      /* shorter than the minimum */
	ith_secrets_add(set, &n, 2, &empty, 0);  /* empty */
	ith_secrets_add(set, &n, 2, NULL, 0);
	CU_ASSERT_EQUAL(n, 1);
	ith_secrets_add(set, &n, 2, &b, 4);
	ith_secrets_add(set, &n, 2, &c, 4);      /* full: a goes */
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(set[0].s, "bbbbbbbb");
	CU_ASSERT_STRING_EQUAL(set[1].s, "cccccccc");
	ith_secrets_add(set, &n, 2, &s, 1);      /* a minimum of 1 takes it */
	CU_ASSERT_STRING_EQUAL(set[1].s, "ss");
	for (size_t i = 0; i < n; i++)
		ith_secret_release(&set[i]);
}

int register_mem_tests(void)
{
	CU_pSuite s = CU_add_suite("mem", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_alloc_and_secret);
	ADD(s, test_secrets_add);
	return 0;
}
