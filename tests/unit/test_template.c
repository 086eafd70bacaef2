/* The template sink's renderer (src/template.c): placeholders, errors with their line, the shipped sample. */
#include "suites.h"
#include "mem.h"
#include "strbuf.h"

#include "error.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INST "0b7c0a52-3c39-4d1e-9f7e-8f2c1e0c5a11"

static void render(const char *text, struct ith_strbuf *out)
{
	struct ith_template *t = NULL;
	struct ith_profile p;
	struct ith_state_token tok;

	memset(&p, 0, sizeof(p));
	memset(&tok, 0, sizeof(tok));
	p.name = "grafana";
	snprintf(tok.id, sizeof(tok.id), "%s", INST);
	ith_secret_set(&tok.token, "s3cr3t'\"}}", 10);
	tok.expires_at = 1700000000;
	CU_ASSERT_EQUAL_FATAL(ith_template_parse("t", text, strlen(text), &t, &E), 0);
	ith_template_render(t, &p, &tok, out);
	ith_template_free(t);
	ith_secret_release(&tok.token);
}

static void test_template_render(void)
{
	struct ith_strbuf out = ITH_STRBUF_INIT;

	render("a {{token}} b {{ id }} c {{\texpires_at }} d {{profile}}{{token}}\n", &out);
	CU_ASSERT_STRING_EQUAL(out.buf, "a s3cr3t'\"}} b " INST " c 2023-11-14T22:13:20Z d grafanas3cr3t'\"}}\n");
	CU_ASSERT_TRUE(out.secret);
	ith_strbuf_release(&out);
	render("", &out);
	CU_ASSERT_STRING_EQUAL(out.buf, "");
	ith_strbuf_release(&out);
	render("single { braces } and }} stay", &out);
	CU_ASSERT_STRING_EQUAL(out.buf, "single { braces } and }} stay");
	ith_strbuf_release(&out);
}

/* The shipped sample (conf/) parses and renders a Grafana file with the token in it. */
static void test_template_sample(void)
{
	char path[1024];
	struct ith_template *t = NULL;
	struct ith_profile p;
	struct ith_state_token tok;
	struct ith_strbuf out = ITH_STRBUF_INIT;

	snprintf(path, sizeof(path), "%s/conf/grafana-datasource.yaml.tmpl", ITH_SOURCE_DIR);
	CU_ASSERT_EQUAL_FATAL(ith_template_load(path, &t, &E), 0);
	memset(&p, 0, sizeof(p));
	memset(&tok, 0, sizeof(tok));
	p.name = "grafana";
	ith_secret_set(&tok.token, "tok123", 6);
	ith_template_render(t, &p, &tok, &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "      token: \"tok123\"\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.buf, "type: influxdb"));
	CU_ASSERT_PTR_NULL(strstr(out.buf, "{{"));
	ith_strbuf_release(&out);
	ith_template_free(t);
	ith_secret_release(&tok.token);
}

int register_template_tests(void)
{
	CU_pSuite s = CU_add_suite("template: the template sink's placeholders", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_template_render);
	ADD(s, test_template_sample);
	return 0;
}
