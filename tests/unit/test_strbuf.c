/* The strbuf module (src/strbuf.c): the growable string. */
#include "suites.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static void test_strbuf(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	sb.secret = true;
	for (int i = 0; i < 1000; i++)
		ith_strbuf_addf(&sb, "%d,", i);
	CU_ASSERT_EQUAL(strncmp(sb.buf, "0,1,2,", 6), 0);
	CU_ASSERT_EQUAL(sb.len, strlen(sb.buf));
	ith_strbuf_release(&sb);
	CU_ASSERT_PTR_NULL(sb.buf);
}

/* Insert (how ith_err_prefix puts context in front) and detach (the buffer is the caller's then). */
static void test_strbuf_insert_detach(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	char *s;

	ith_strbuf_addstr(&sb, "world");
	ith_strbuf_insert(&sb, 0, "hello ", 6);
	CU_ASSERT_STRING_EQUAL(sb.buf, "hello world");
	ith_strbuf_insert(&sb, 1000, "!", 1);  /* past the end: appended */
	CU_ASSERT_STRING_EQUAL(sb.buf, "hello world!");
	ith_strbuf_add(&sb, "abc", 2);
	CU_ASSERT_STRING_EQUAL(sb.buf, "hello world!ab");
	CU_ASSERT_EQUAL(sb.len, 14);
	s = ith_strbuf_detach(&sb);
	CU_ASSERT_STRING_EQUAL(s, "hello world!ab");
	CU_ASSERT_PTR_NULL(sb.buf);
	CU_ASSERT_EQUAL(sb.len, 0);
	free(s);
	s = ith_strbuf_detach(&sb);  /* an empty one detaches as "" */
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

int register_strbuf_tests(void)
{
	CU_pSuite s = CU_add_suite("strbuf", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_strbuf);
	ADD(s, test_strbuf_insert_detach);
	return 0;
}
