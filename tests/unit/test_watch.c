/* Issue 15: the template sink's renderer and the scheduler's ith_next_due. */
#include "suites.h"
#include "mem.h"
#include "strbuf.h"

#include "engine.h"
#include "plan.h"
#include "error.h"
#include "template.h"

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

static void test_next_due(void)
{
	struct ith_config cfg;
	struct ith_ctx ctx;
	struct ith_profile p;
	struct ith_state st;
	const char *what = NULL;
	int64_t now = 1700000000, at;

	memset(&cfg, 0, sizeof(cfg));
	memset(&ctx, 0, sizeof(ctx));
	memset(&p, 0, sizeof(p));
	cfg.timeout = 30;
	cfg.deadline = 60;
	ctx.cfg = &cfg;
	snprintf(ctx.instance, sizeof(ctx.instance), "%s", INST);
	p.name = "telegraf";
	p.lifetime = 60;
	p.renew_before = 50;
	p.grace = 2;
	p.activation = ITH_ACT_NONE;
	p.activation_timeout = 20;
	ith_state_init(&st, INST);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), now);
	CU_ASSERT_STRING_EQUAL(what, "first token");
	/* a current token: its renewal, on the phase */
	st.has_current = true;
	st.current.started_at = now;
	st.current.expires_at = now + 60;
	at = ith_token_renew_at(&st.current, &p, INST);
	CU_ASSERT_TRUE(at > now && at <= now + 10);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), at);
	CU_ASSERT_STRING_EQUAL(what, "renewal");
	/* a retired token whose grace ends first */
	ith_state_retire(&st, INST, at - 1 > now ? at - 1 : now, now + 30);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), at - 1 > now ? at - 1 : now);
	CU_ASSERT_STRING_EQUAL(what, "grace end");
	ith_state_drop_retired(&st, 0);
	/* an open create intent: the sweep once no request can be in flight (deadline + timeout + margin) */
	st.pending_since = now - 100;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), now - 100 + 60 + 30 + 5 + 1);
	CU_ASSERT_STRING_EQUAL(what, "sweep");
	st.pending_since = now - 10;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), at);
	st.pending_since = 0;
	/* a pending next: delay ends, probe soon and backing off, none at once */
	st.has_next = true;
	st.next.started_at = now - 8;
	st.next.expires_at = now + 3600;  /* far from its own renewal moment */
	p.activation = ITH_ACT_DELAY;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), now - 8 + 20 + 1);
	CU_ASSERT_STRING_EQUAL(what, "activation check");
	/* probe: after the last look (last_run; none: the create), a quarter of the token's age then, 1 s to 10 s;
	 * never relative to now alone, so a due check stays due until a run has looked (issue 20) */
	p.activation = ITH_ACT_PROBE;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), now - 8 + 1);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now + 5, 0, &what), now - 8 + 1);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, now - 4, &what), now - 4 + 1);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, now, &what), now + 2);
	st.next.started_at = now;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, now, &what), now + 1);
	st.next.started_at = now - 400;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, now, &what), now + 10);
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now + 30, now, &what), now + 10);
	/* a pending next that stops being worth waiting for (ith_next_stale_at): then, whatever the probe says */
	st.next.expires_at = now + 30;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, now, &what), ith_next_stale_at(&st.next, &p));
	CU_ASSERT_STRING_EQUAL(what, "replacing the pending token");
	st.next.expires_at = now + 3600;
	p.activation = ITH_ACT_NONE;
	CU_ASSERT_EQUAL(ith_next_due(&ctx, &st, &p, now, 0, &what), now);
	ith_state_release(&st);
}

int register_watch_tests(void)
{
	CU_pSuite s = CU_add_suite("watch and template: next due moment; template sink", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_template_render);
	ADD(s, test_template_errors);
	ADD(s, test_template_sample);
	ADD(s, test_next_due);
	return 0;
}
