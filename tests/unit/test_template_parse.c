/* template-parse.c: the template sink's file read and checked at load; errors name file and line. */
#include "suites.h"
#include "error.h"
#include "template-parse.h"

#include <stdio.h>
#include <string.h>

static void expect_error(const char *text, const char *want)
{
	struct ith_template *t = NULL;

	CU_ASSERT_EQUAL(ith_template_parse("x.tmpl", text, strlen(text), &t, &E), ITH_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(t);
	if (!strstr(ith_err_msg(&E), want))
		fprintf(stderr, "\n  got: %s\n  want: %s\n", ith_err_msg(&E), want);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), want));
}

static void test_template_errors(void)
{
	expect_error("ok {{token}}\n\nbad {{Token}}\n", "x.tmpl:3: unknown placeholder '{{Token}}'");
	expect_error("{{}}", "x.tmpl:1: unknown placeholder '{{}}'");
	expect_error("a\n{{token\n}}", "x.tmpl:2: '{{' is not closed");
	expect_error("a {{token}", "x.tmpl:1: '{{' is not closed");
	expect_error("{{ token id }}", "unknown placeholder '{{token id}}'");
	expect_error("{{{token}}}", "unknown placeholder '{{{token}}'");
}

int register_template_parse_tests(void)
{
	CU_pSuite s = CU_add_suite("template-parse: placeholders checked at load", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_template_errors);
	return 0;
}
