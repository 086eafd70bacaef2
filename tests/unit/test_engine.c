#include "suites.h"
#include "id.h"
#include "engine.h"
#include "error.h"
#include "time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define CUR "11111111-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define NXT "22222222-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

static void put_token(struct ith_state_token *t, const char *id, const char *secret, int64_t expires)
{
	snprintf(t->id, sizeof(t->id), "%s", id);
	ith_secret_set(&t->token, secret, strlen(secret));
	t->created_at = t->started_at = expires - 3600;
	t->expires_at = expires;
}

/* exec's token: the get planner's answer with no renewal (ITH_GET_SUPERVISED), from the state file as it is. */
static void test_serving_token(void)
{
	char *dir = test_tmpdir();
	struct ith_config cfg;
	struct ith_ctx ctx;
	struct ith_profile p;
	struct ith_state st;
	struct ith_state_token tok;
	int64_t now = ith_now();

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	memset(&cfg, 0, sizeof(cfg));
	memset(&ctx, 0, sizeof(ctx));
	memset(&p, 0, sizeof(p));
	cfg.state_dir = dir;
	ctx.cfg = &cfg;
	snprintf(ctx.instance, sizeof(ctx.instance), "%s", INST);
	p.name = "telegraf";
	p.lifetime = 7200;
	p.renew_before = 3600;
	/* no state: nothing to serve */
	CU_ASSERT_EQUAL(ith_serving_token(&ctx, &p, &tok, &E), ITH_ERR_NO_VALID_TOKEN);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), "telegraf: no valid token in the state");
	/* a current token due for renewal is still served: exec never renews itself */
	ith_state_init(&st, INST);
	st.has_current = st.has_next = true;
	put_token(&st.current, CUR, "s-cur", now + 60);
	put_token(&st.next, NXT, "s-nxt", now + 7000);
	CU_ASSERT_EQUAL_FATAL(ith_state_save(dir, "telegraf", &st, &E), 0);
	CU_ASSERT_EQUAL_FATAL(ith_serving_token(&ctx, &p, &tok, &E), 0);
	CU_ASSERT_STRING_EQUAL(tok.id, CUR);
	CU_ASSERT_STRING_EQUAL(tok.token.s, "s-cur");
	ith_state_token_release(&tok);
	/* the current one expired: the valid next one */
	st.current.expires_at = now - 1;
	CU_ASSERT_EQUAL_FATAL(ith_state_save(dir, "telegraf", &st, &E), 0);
	CU_ASSERT_EQUAL_FATAL(ith_serving_token(&ctx, &p, &tok, &E), 0);
	CU_ASSERT_STRING_EQUAL(tok.id, NXT);
	ith_state_token_release(&tok);
	/* both expired */
	st.next.expires_at = now - 1;
	CU_ASSERT_EQUAL_FATAL(ith_state_save(dir, "telegraf", &st, &E), 0);
	CU_ASSERT_EQUAL(ith_serving_token(&ctx, &p, &tok, &E), ITH_ERR_NO_VALID_TOKEN);
	ith_state_release(&st);
	test_rm_rf(dir);
	free(dir);
}

int register_engine_tests(void)
{
	CU_pSuite s = CU_add_suite("engine: libcurl on demand; the token exec serves", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_serving_token);
	return 0;
}
