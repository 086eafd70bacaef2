#include "suites.h"
#include "error.h"
#include "health-load.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define CLUSTER "11111111-2222-4333-8444-555555555555"
#define CUR "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
#define NEXT "99999999-8888-4777-8666-555555555555"
#define NOW 1800000000LL
#define DAY 86400

/* A state with a current token created a day ago, valid for another day. */
static void state_current(struct ith_state *st)
{
	ith_state_init(st, INST);
	st->has_current = true;
	memcpy(st->current.id, CUR, sizeof(CUR));
	st->current.created_at = NOW - DAY;
	st->current.expires_at = NOW + DAY;
	st->rotations = 3;
	st->failures = 1;
	st->hook_failures = 2;
}

static void state_next(struct ith_state *st)
{
	st->has_next = true;
	memcpy(st->next.id, NEXT, sizeof(NEXT));
	st->next.started_at = NOW - 42;
}

static enum ith_health_state model_of(const struct ith_state *st, int64_t renew_at, struct ith_health *h)
{
	ith_health_init(h, "telegraf", CLUSTER, NULL);
	ith_health_from_state(h, st, renew_at, NOW);
	return h->state;
}

static void test_model_valid(void)
{
	struct ith_state st;
	struct ith_health h;

	state_current(&st);
	CU_ASSERT_EQUAL(model_of(&st, NOW + 3600, &h), ITH_HEALTH_OK);
	CU_ASSERT_STRING_EQUAL(ith_health_state_name(h.state), "ok");
	CU_ASSERT_TRUE(h.has_current);
	CU_ASSERT_STRING_EQUAL(h.id, CUR);
	CU_ASSERT_EQUAL(h.expires_at, NOW + DAY);
	CU_ASSERT_EQUAL(h.seconds_left, DAY);
	CU_ASSERT_EQUAL(h.age_seconds, DAY);
	CU_ASSERT_EQUAL(h.renew_at, NOW + 3600);
	CU_ASSERT_EQUAL(h.rotations, 3);
	CU_ASSERT_EQUAL(h.failures, 1);
	CU_ASSERT_EQUAL(h.hook_failures, 2);
	CU_ASSERT_STRING_EQUAL(h.next_id, "");
	CU_ASSERT_FALSE(h.hook_pending);
	/* unknown renewal time (0): never due */
	CU_ASSERT_EQUAL(model_of(&st, 0, &h), ITH_HEALTH_OK);
	ith_state_release(&st);
}

static void test_model_expiring_expired(void)
{
	struct ith_state st;
	struct ith_health h;

	state_current(&st);
	CU_ASSERT_EQUAL(model_of(&st, NOW, &h), ITH_HEALTH_RENEW_DUE);   /* due at now */
	CU_ASSERT_EQUAL(model_of(&st, NOW - 1, &h), ITH_HEALTH_RENEW_DUE);
	CU_ASSERT_EQUAL(model_of(&st, NOW + 1, &h), ITH_HEALTH_OK);
	st.current.expires_at = NOW;  /* expired at now, even with an error and a next */
	snprintf(st.last_error, sizeof(st.last_error), "boom");
	state_next(&st);
	CU_ASSERT_EQUAL(model_of(&st, NOW - 10, &h), ITH_HEALTH_EXPIRED);
	CU_ASSERT_EQUAL(h.seconds_left, 0);
	st.current.expires_at = NOW - 5;
	CU_ASSERT_EQUAL(model_of(&st, NOW - 10, &h), ITH_HEALTH_EXPIRED);
	CU_ASSERT_EQUAL(h.seconds_left, -5);
	ith_state_release(&st);
}

static void test_model_none_and_next(void)
{
	struct ith_state st;
	struct ith_health h;

	ith_state_init(&st, INST);
	CU_ASSERT_EQUAL(model_of(&st, 0, &h), ITH_HEALTH_MISSING);
	CU_ASSERT_FALSE(h.has_current);
	CU_ASSERT_EQUAL(h.expires_at, 0);
	state_next(&st);  /* the first token, still activating */
	CU_ASSERT_EQUAL(model_of(&st, 0, &h), ITH_HEALTH_ACTIVATING);
	CU_ASSERT_STRING_EQUAL(h.next_id, NEXT);
	CU_ASSERT_EQUAL(h.next_age, 42);
	ith_state_release(&st);
	state_current(&st);  /* a renewal activating: before renew-due */
	state_next(&st);
	CU_ASSERT_EQUAL(model_of(&st, NOW - 1, &h), ITH_HEALTH_ACTIVATING);
	ith_state_release(&st);
}

/* A failed rotation or activation probe is recorded as the last error: failing, before activating. */
static void test_model_failing_hook_error(void)
{
	struct ith_state st;
	struct ith_health h;

	state_current(&st);
	state_next(&st);
	snprintf(st.last_error, sizeof(st.last_error), "activation probe: HTTP 401");
	snprintf(st.last_hook_error, sizeof(st.last_hook_error), "on_rotate exited 3");
	snprintf(st.hook_pending, sizeof(st.hook_pending), "%s", CUR);
	st.nretired = 2;
	CU_ASSERT_EQUAL(model_of(&st, NOW - 1, &h), ITH_HEALTH_FAILING);
	CU_ASSERT_STRING_EQUAL(h.last_error, "activation probe: HTTP 401");
	CU_ASSERT_STRING_EQUAL(h.last_hook_error, "on_rotate exited 3");
	CU_ASSERT_TRUE(h.hook_pending);
	CU_ASSERT_EQUAL(h.retired, 2);
	/* a hook owed for another token (not the current one) is not pending */
	snprintf(st.hook_pending, sizeof(st.hook_pending), "%s", NEXT);
	model_of(&st, 0, &h);
	CU_ASSERT_FALSE(h.hook_pending);
	ith_state_release(&st);
	ith_health_init(&h, "telegraf", CLUSTER, NULL);
	ith_health_set_error(&h, "cannot read state");
	CU_ASSERT_EQUAL(h.state, ITH_HEALTH_ERROR);
	CU_ASSERT_STRING_EQUAL(h.last_error, "cannot read state");
}

static void check_enc(void (*enc)(struct ith_strbuf *, const char *), const char *in, const char *want)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;

	enc(&sb, in);
	CU_ASSERT_STRING_EQUAL(sb.buf ? sb.buf : "", want);
	if (strcmp(sb.buf ? sb.buf : "", want))
		fprintf(stderr, "\n  got  [%s]\n  want [%s]\n", sb.buf ? sb.buf : "", want);
	ith_strbuf_release(&sb);
}

static void lp_measurement(struct ith_strbuf *sb, const char *s)
{
	ith_lp_escape(sb, s, ITH_LP_MEASUREMENT);
}

static void lp_key(struct ith_strbuf *sb, const char *s)
{
	ith_lp_escape(sb, s, ITH_LP_KEY);
}

static void test_lp_escaping(void)
{
	check_enc(lp_measurement, "plain_name", "plain_name");
	check_enc(lp_measurement, "a,b c=d", "a\\,b\\ c=d");
	check_enc(lp_measurement, "a\\b\"c", "a\\\\b\"c");
	check_enc(lp_measurement, "a\nb\tc", "a\\ b\\ c");
	check_enc(lp_key, "a,b c=d", "a\\,b\\ c\\=d");
	check_enc(lp_key, "x\"y\\", "x\"y\\\\");    /* a trailing backslash cannot escape the separator */
	check_enc(lp_key, "l1\nl2\r", "l1\\ l2\\ ");
	check_enc(lp_key, "", "");
	check_enc(ith_lp_string, "", "\"\"");
	check_enc(ith_lp_string, "a, b=c", "\"a, b=c\"");  /* no escaping of commas, spaces, equals */
	check_enc(ith_lp_string, "say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
	check_enc(ith_lp_string, "line1\nline2\r\t", "\"line1 line2  \"");
}

static void test_prom_escaping(void)
{
	check_enc(ith_prom_label, "plain", "plain");
	check_enc(ith_prom_label, "a\\b\"c\nd", "a\\\\b\\\"c\\nd");
	check_enc(ith_prom_label, "sp ace,=", "sp ace,=");
	check_enc(ith_prom_help, "1 when \"ok\"\\ else\n0", "1 when \"ok\"\\\\ else\\n0");
	CU_ASSERT_TRUE(ith_prom_valid_name("influx_token_helper_ok"));
	CU_ASSERT_TRUE(ith_prom_valid_name("a:b_c9"));
	CU_ASSERT_FALSE(ith_prom_valid_name(""));
	CU_ASSERT_FALSE(ith_prom_valid_name("9lives"));
	CU_ASSERT_FALSE(ith_prom_valid_name("a-b"));
	CU_ASSERT_FALSE(ith_prom_valid_name("a b"));
}

/* Two models: a healthy one with a token and an error one without. */
static void two_models(struct ith_health hs[2])
{
	struct ith_state st;

	state_current(&st);
	st.nretired = 1;
	snprintf(st.last_hook_error, sizeof(st.last_hook_error), "hook \"x\" failed\\now");
	ith_health_init(&hs[0], "telegraf", CLUSTER, NULL);
	ith_health_from_state(&hs[0], &st, NOW + 3600, NOW);
	ith_state_release(&st);
	ith_health_init(&hs[1], "other", "", NULL);
	ith_health_set_error(&hs[1], "cannot read '/var/lib/x/other.state':\npermission denied");
}

static void test_influx(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_health hs[2];
	const char *want =  /* today's bytes, as scenarios 083, 085 and 170 pin them (no publish_* while publishing is fine) */
		"influx_token_helper,name=telegraf,cluster_id=" CLUSTER " expires_at=1800086400i,seconds_left=86400i,"
		"age_seconds=86400i,rotations=3i,failures=1i,hook_failures=2i,retired=1i,ok=true,state=\"ok\","
		"last_error=\"\",last_hook_error=\"hook \\\"x\\\" failed\\\\now\"\n"
		"influx_token_helper,name=other rotations=0i,failures=0i,hook_failures=0i,retired=0i,ok=false,"
		"state=\"error\",last_error=\"cannot read '/var/lib/x/other.state': permission denied\",last_hook_error=\"\"\n";

	two_models(hs);
	ith_health_influx(&hs[0], &sb);
	ith_health_influx(&hs[1], &sb);
	CU_ASSERT_STRING_EQUAL(sb.buf, want);
	if (strcmp(sb.buf, want))
		fprintf(stderr, "\n  got  [%s]\n  want [%s]\n", sb.buf, want);
	ith_strbuf_release(&sb);
	/* a name as given to --from (not validated there): one line whatever it holds */
	ith_health_init(&hs[0], "a b,c=d\\e\nf", "", NULL);
	ith_health_influx(&hs[0], &sb);
	want = "influx_token_helper,name=a\\ b\\,c\\=d\\\\e\\ f rotations=0i,";
	CU_ASSERT_EQUAL(strncmp(sb.buf, want, strlen(want)), 0);
	CU_ASSERT_PTR_EQUAL(strchr(sb.buf, '\n'), sb.buf + sb.len - 1);
	ith_strbuf_release(&sb);
}

/* Every sample line: a valid metric name, then labels, then a value. */
static void check_prom_lines(const char *text, size_t *nhelp, size_t *nsamples)
{
	char *copy = strdup(text), *save = NULL;

	*nhelp = *nsamples = 0;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "# HELP ", 7)) {
			(*nhelp)++;
			continue;
		}
		if (l[0] == '#')
			continue;
		char *brace = strchr(l, '{');
		CU_ASSERT_PTR_NOT_NULL_FATAL(brace);
		*brace = '\0';
		CU_ASSERT_TRUE(ith_prom_valid_name(l));
		(*nsamples)++;
	}
	free(copy);
}

static void test_prometheus(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_health hs[2];
	size_t nhelp, nsamples;
	const char *head = "# HELP influx_token_helper_rotations_total Switches to a new token.\n"
		"# TYPE influx_token_helper_rotations_total counter\n"
		"influx_token_helper_rotations_total{profile=\"other\",cluster=\"\"} 0\n# HELP ";

	two_models(hs);
	ith_health_prometheus(&hs[1], 1, &sb);  /* no current token: no expiry families */
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "expiry_timestamp_seconds"));
	CU_ASSERT_EQUAL(strncmp(sb.buf, head, strlen(head)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_state{profile=\"other\",cluster=\"\",state=\"ok\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_state{profile=\"other\",cluster=\"\",state=\"missing\"} 0\n"
		"influx_token_helper_state{profile=\"other\",cluster=\"\",state=\"error\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_ok{profile=\"other\",cluster=\"\"} 0\n"));
	ith_strbuf_release(&sb);

	ith_health_prometheus(hs, 2, &sb);
	check_prom_lines(sb.buf, &nhelp, &nsamples);
	CU_ASSERT_EQUAL(nhelp, 12);                  /* HELP once per family */
	CU_ASSERT_EQUAL(nsamples, 4 + 2 * 7 + 2 * 8); /* expiry families for one, state has 8 series each */
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "# HELP influx_token_helper_expiry_timestamp_seconds When the current "
		"token expires (Unix time).\n# TYPE influx_token_helper_expiry_timestamp_seconds gauge\n"
		"influx_token_helper_expiry_timestamp_seconds{profile=\"telegraf\",cluster=\"" CLUSTER "\"} 1800086400\n"
		"# HELP influx_token_helper_seconds_left "));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_retired_tokens{profile=\"telegraf\",cluster=\""
		CLUSTER "\"} 1\ninflux_token_helper_retired_tokens{profile=\"other\",cluster=\"\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_state{profile=\"telegraf\",cluster=\"" CLUSTER
		"\",state=\"ok\"} 1\ninflux_token_helper_state{profile=\"telegraf\",cluster=\"" CLUSTER
		"\",state=\"renew-due\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "{profile=\"other\",cluster=\"\",state=\"error\"} 1\n"));
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "\"x\""));  /* no strings (errors) in Prometheus */
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "permission denied"));
	ith_strbuf_release(&sb);
	/* label escaping in a sample */
	ith_health_init(&hs[0], "q\"b\\n\nx", "", NULL);
	ith_health_prometheus(hs, 1, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_ok{profile=\"q\\\"b\\\\n\\nx\",cluster=\"\"} 1\n"));
	ith_strbuf_release(&sb);
}

static bool fake_present(const char *path)
{
	return strstr(path, "here") != NULL;
}

static void test_text(void)
{
	struct ith_sink sinks[2] = { { .path = (char *)"/run/here/token" }, { .path = (char *)"/run/gone/token" } };
	struct ith_profile p = { .sinks = sinks, .nsinks = 2 };
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_state st;
	struct ith_health h;
	const char *want =
		"telegraf: failing\n"
		"  token:       " CUR "\n"
		"  expires:     2027-01-16T08:00:00Z (1d0h left)\n"
		"  renewal:     2027-01-15T09:00:00Z (in 1h0m)\n"
		"  next:        " NEXT " (activating for 42s)\n"
		"  rotations:   3, failures: 1, hook failures: 2\n"
		"  sink:        /run/here/token (present)\n"
		"  sink:        /run/gone/token (missing)\n"
		"  last error:  probe failed\n"
		"  hook:        pending (on_rotate has not run for the current token yet; the next rotate runs it)\n";

	state_current(&st);
	state_next(&st);
	snprintf(st.last_error, sizeof(st.last_error), "probe failed");
	snprintf(st.hook_pending, sizeof(st.hook_pending), "%s", CUR);
	ith_health_init(&h, "telegraf", CLUSTER, &p);
	ith_health_from_state(&h, &st, NOW + 3600, NOW);
	ith_health_text(&h, NOW, fake_present, &sb);
	CU_ASSERT_STRING_EQUAL(sb.buf, want);
	if (strcmp(sb.buf, want))
		fprintf(stderr, "\n  got  [%s]\n  want [%s]\n", sb.buf, want);
	ith_strbuf_release(&sb);
	ith_state_release(&st);
}

static void test_json(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_health hs[2];
	json_object *root, *arr, *p0, *p1, *v;

	two_models(hs);
	ith_health_json(INST, hs, 2, &sb);
	CU_ASSERT_EQUAL(sb.buf[sb.len - 1], '\n');
	root = json_tokener_parse(sb.buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_TRUE(json_object_object_get_ex(root, "instance", &v) && !strcmp(json_object_get_string(v), INST));
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(root, "profiles", &arr) && json_object_array_length(arr) == 2);
	p0 = json_object_array_get_idx(arr, 0);
	p1 = json_object_array_get_idx(arr, 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "state", &v) && !strcmp(json_object_get_string(v), "ok"));
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "seconds_left", &v) && json_object_get_int64(v) == DAY);
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "renew_at", &v) &&
		!strcmp(json_object_get_string(v), "2027-01-15T09:00:00Z"));
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "last_hook_error", &v) &&
		!strcmp(json_object_get_string(v), "hook \"x\" failed\\now"));
	CU_ASSERT_TRUE(json_object_object_get_ex(p1, "state", &v) && !strcmp(json_object_get_string(v), "error"));
	CU_ASSERT_FALSE(json_object_object_get_ex(p1, "expires_at", &v));  /* no token: no token fields */
	CU_ASSERT_TRUE(json_object_object_get_ex(p1, "hook_pending", &v) && !json_object_get_boolean(v));
	json_object_put(root);
	ith_strbuf_release(&sb);
}

/* A sink failing to take the current token: publish-failing, above failing, below expired; every encoding says it. */
static void test_publish_failing(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_state st;
	struct ith_health h;
	json_object *root, *arr, *p0, *v;

	state_current(&st);
	CU_ASSERT_EQUAL(model_of(&st, NOW + 3600, &h), ITH_HEALTH_OK);
	CU_ASSERT_EQUAL(h.publish_failed_sinks, 0);
	st.publish.since = NOW - 90;
	st.publish.sinks = 2;
	snprintf(st.publish.sink, sizeof(st.publish.sink), "/run/x/token");
	snprintf(st.publish.error, sizeof(st.publish.error), "Permission denied");
	CU_ASSERT_EQUAL(model_of(&st, NOW + 3600, &h), ITH_HEALTH_PUBLISH_FAILING);
	CU_ASSERT_STRING_EQUAL(ith_health_state_name(h.state), "publish-failing");
	CU_ASSERT_EQUAL(model_of(&st, NOW - 1, &h), ITH_HEALTH_PUBLISH_FAILING);  /* worse than renew-due */
	snprintf(st.last_error, sizeof(st.last_error), "/run/x/token: Permission denied");
	state_next(&st);
	CU_ASSERT_EQUAL(model_of(&st, NOW - 1, &h), ITH_HEALTH_PUBLISH_FAILING);  /* than failing, activating */
	st.current.expires_at = NOW;
	CU_ASSERT_EQUAL(model_of(&st, NOW - 1, &h), ITH_HEALTH_EXPIRED);          /* not as bad as expired */
	st.current.expires_at = NOW + DAY;
	model_of(&st, NOW + 3600, &h);
	ith_health_influx(&h, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ",age_seconds=86400i,publish_failing=1i,publish_failed_sinks=2i,rotations=3i,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ",ok=false,state=\"publish-failing\","));
	ith_strbuf_release(&sb);
	ith_health_prometheus(&h, 1, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "\ninflux_token_helper_publish_failing{profile=\"telegraf\",cluster=\""
		CLUSTER "\"} 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "\ninflux_token_helper_publish_failed_sinks{profile=\"telegraf\",cluster=\""
		CLUSTER "\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "state=\"publish-failing\"} 1\n"));
	ith_strbuf_release(&sb);
	ith_health_text(&h, NOW, NULL, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "telegraf: publish-failing\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "  publish:     failing since 2027-01-15T07:58:30Z (1m30s), 2 sinks: "
		"/run/x/token: Permission denied\n"));
	ith_strbuf_release(&sb);
	ith_health_json(INST, &h, 1, &sb);
	root = json_tokener_parse(sb.buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(root, "profiles", &arr));
	p0 = json_object_array_get_idx(arr, 0);
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "publish_failing", &v) && json_object_get_boolean(v));
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "publish_failed_sinks", &v) && json_object_get_int64(v) == 2);
	CU_ASSERT_TRUE(json_object_object_get_ex(p0, "publish_failing_since", &v) &&
		!strcmp(json_object_get_string(v), "2027-01-15T07:58:30Z"));
	json_object_put(root);
	ith_strbuf_release(&sb);
	/* publishing again: ok, and the metrics say 0 */
	memset(&st.publish, 0, sizeof(st.publish));
	st.last_error[0] = '\0';
	ith_state_token_release(&st.next);
	st.has_next = false;
	CU_ASSERT_EQUAL(model_of(&st, NOW + 3600, &h), ITH_HEALTH_OK);
	ith_health_influx(&h, &sb);
	CU_ASSERT_PTR_NULL(strstr(sb.buf, "publish"));
	ith_strbuf_release(&sb);
	ith_health_prometheus(&h, 1, &sb);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, "influx_token_helper_publish_failing{profile=\"telegraf\",cluster=\""
		CLUSTER "\"} 0\n"));
	ith_strbuf_release(&sb);
	ith_state_release(&st);
}

int register_health_tests(void)
{
	CU_pSuite s = CU_add_suite("health: the status model and its encodings", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_model_valid);
	ADD(s, test_model_expiring_expired);
	ADD(s, test_model_none_and_next);
	ADD(s, test_model_failing_hook_error);
	ADD(s, test_lp_escaping);
	ADD(s, test_prom_escaping);
	ADD(s, test_influx);
	ADD(s, test_prometheus);
	ADD(s, test_text);
	ADD(s, test_json);
	ADD(s, test_publish_failing);
	return 0;
}
