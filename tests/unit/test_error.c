/* The error model (src/error.c): the message buffer, causes, errno mapping. */
#include "suites.h"
#include "error.h"
#include "strbuf.h"

#include <errno.h>
#include <string.h>

/* The error model: a message per caller's buffer, context in front, one line. */
static void test_error_buffer(void)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;

	CU_ASSERT_STRING_EQUAL(ith_err_msg(&err), "unknown error");
	CU_ASSERT_EQUAL(ith_err(&err, ITH_ERR_FILE_NOT_FOUND, "%s does not exist", "'/x'"), ITH_ERR_FILE_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&err), "'/x' does not exist");
	CU_ASSERT_EQUAL(ith_err_prefix(&err, ITH_ERR_CONFIG, "token_file %s", "a"), ITH_ERR_CONFIG);
	CU_ASSERT_STRING_EQUAL(err.buf, "token_file a: '/x' does not exist");
	CU_ASSERT_EQUAL(err.len, strlen(err.buf));
	/* replaced, not appended; an argument may quote the buffer itself */
	ith_err(&err, ITH_ERR_IO, "again (%s)", err.buf);
	CU_ASSERT_STRING_EQUAL(err.buf, "again (token_file a: '/x' does not exist)");
	/* one line: server text and paths cannot forge another */
	ith_err(&err, ITH_ERR_API_REFUSED, "refused: %s", "a\nb\x1b[31m");
	CU_ASSERT_STRING_EQUAL(err.buf, "refused: a?b?[31m");
	ith_err_prefix(&err, ITH_ERR_API_REFUSED, "%s", "x\ry");
	CU_ASSERT_STRING_EQUAL(err.buf, "x?y: refused: a?b?[31m");
	ith_strbuf_release(&err);
	CU_ASSERT_EQUAL(ith_err(NULL, ITH_ERR_USAGE, "dropped"), ITH_ERR_USAGE);
	CU_ASSERT_EQUAL(ith_err_prefix(NULL, ITH_ERR_USAGE, "dropped"), ITH_ERR_USAGE);
}

static void test_causes(void)
{
	/* every cause has its own name and text; the errno mapping is as documented */
	for (int c = -1; c >= ITH_CAUSE_MIN; c--) {
		CU_ASSERT_STRING_NOT_EQUAL(ith_cause_name(c), "?");
		CU_ASSERT_STRING_NOT_EQUAL(ith_cause_str(c), "unknown error");
		for (int d = c - 1; d >= ITH_CAUSE_MIN; d--)
			CU_ASSERT_STRING_NOT_EQUAL(ith_cause_str(c), ith_cause_str(d));
	}
	CU_ASSERT_STRING_EQUAL(ith_cause_name(ITH_CAUSE_MIN - 1), "?");
	CU_ASSERT_EQUAL(ith_errno_cause(EACCES), ITH_ERR_ACCESS);
	CU_ASSERT_EQUAL(ith_errno_cause(EPERM), ITH_ERR_ACCESS);
	CU_ASSERT_EQUAL(ith_errno_cause(ENOMEM), ITH_ERR_NOMEM);
	/* the disk's own conditions are the operator's to fix (74), not internal errors (issue 20) */
	CU_ASSERT_EQUAL(ith_errno_cause(EIO), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(ENOSPC), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(EDQUOT), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(EROFS), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(ENOENT), ITH_ERR_IO);
}

int register_error_tests(void)
{
	CU_pSuite s = CU_add_suite("error", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_error_buffer);
	ADD(s, test_causes);
	return 0;
}
