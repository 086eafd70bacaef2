#include "suites.h"
#include "error.h"
#include "util.h"

#include <string.h>

static void test_durations(void)
{
	int64_t d;
	CU_ASSERT_EQUAL(ith_parse_duration("90s", &d), 0); CU_ASSERT_EQUAL(d, 90);
	CU_ASSERT_EQUAL(ith_parse_duration("30m", &d), 0); CU_ASSERT_EQUAL(d, 1800);
	CU_ASSERT_EQUAL(ith_parse_duration("24h", &d), 0); CU_ASSERT_EQUAL(d, 86400);
	CU_ASSERT_EQUAL(ith_parse_duration("7d", &d), 0); CU_ASSERT_EQUAL(d, 604800);
	CU_ASSERT_EQUAL(ith_parse_duration("3600", &d), 0); CU_ASSERT_EQUAL(d, 3600);
	CU_ASSERT_EQUAL(ith_parse_duration("0", &d), 0); CU_ASSERT_EQUAL(d, 0);
}

static void test_bad_durations(void)
{
	static const char *bad[] = { "", "s", "-5s", "5 s", "5x", "1.5h", "5ss", "h5", "99999999999999999999",
		"4000d", " 5s", "5s ", NULL };
	int64_t d = 42;
	for (const char **b = bad; *b; b++) {
		CU_ASSERT_EQUAL(ith_parse_duration(*b, &d), ITH_E_CONFIG);
		CU_ASSERT_EQUAL(d, 42);  /* untouched on error */
	}
	CU_ASSERT_EQUAL(ith_parse_duration(NULL, &d), ITH_E_CONFIG);
}

static void test_rfc3339(void)
{
	int64_t t;
	CU_ASSERT_EQUAL(ith_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0); CU_ASSERT_EQUAL(t, 0);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21T17:32:28.000Z", &t), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21T18:32:28+01:00", &t), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21t17:32:28.123456z", &t), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2024-02-29T00:00:00Z", &t), 0); CU_ASSERT_EQUAL(t, 1709164800);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2030-01-01T00:00:00Z", &t), 0); CU_ASSERT_EQUAL(t, 1893456000);
}

static void test_bad_rfc3339(void)
{
	static const char *bad[] = { "", "2023-12-21", "2023-12-21T17:32:28", "2023-13-01T00:00:00Z",
		"2023-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2023-12-21T24:00:00Z", "2023-12-21T17:32:28.Z",
		"2023-12-21T17:32:28+0100", "2023-12-21T17:32:28Zjunk", "x023-12-21T17:32:28Z", NULL };
	int64_t t = 7;
	for (const char **b = bad; *b; b++) {
		CU_ASSERT_EQUAL(ith_parse_rfc3339(*b, &t), ITH_E_DATA);
		CU_ASSERT_EQUAL(t, 7);
	}
}

static void test_format_roundtrip(void)
{
	char buf[32];
	int64_t t;
	ith_format_rfc3339(1703179948, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2023-12-21T17:32:28Z");
	CU_ASSERT_EQUAL(ith_parse_rfc3339(buf, &t), 0);
	CU_ASSERT_EQUAL(t, 1703179948);
	ith_format_duration(90061, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1d1h");
	ith_format_duration(-45, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "-45s");
}

static void test_uuid(void)
{
	char a[ITH_UUID_LEN + 1], b[ITH_UUID_LEN + 1];
	CU_ASSERT_EQUAL(ith_uuid_v4(a), 0);
	CU_ASSERT_EQUAL(ith_uuid_v4(b), 0);
	CU_ASSERT_TRUE(ith_is_uuid(a));
	CU_ASSERT_EQUAL(a[14], '4');
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_TRUE(ith_is_uuid("11111111-1111-4111-8111-111111111111"));
	CU_ASSERT_FALSE(ith_is_uuid("11111111-1111-4111-8111-11111111111"));
	CU_ASSERT_FALSE(ith_is_uuid("11111111-1111-4111-8111-11111111111g"));
	CU_ASSERT_FALSE(ith_is_uuid("111111111111-4111-8111-1111111111111"));
}

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

static void test_safe_text(void)
{
	char b[16], big[64];
	char s[] = "ok\x1b[31m\nx";

	CU_ASSERT_STRING_EQUAL(ith_safe_text("plain text", b, sizeof(b)), "plain text");
	CU_ASSERT_STRING_EQUAL(ith_safe_text(NULL, b, sizeof(b)), "");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("a\x1b]0;t\x07\r\n", b, sizeof(b)), "a?]0;t???");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("caf\xc3\xa9", b, sizeof(b)), "caf\xc3\xa9");           /* UTF-8 kept */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xc2\x9b" "2J", b, sizeof(b)), "?2J");                  /* C1 CSI */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xe2\x80\xae" "abc", b, sizeof(b)), "?abc");           /* RLO */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xff\xc3(\xe0\x80\x80", b, sizeof(b)), "?" "?(?");   /* invalid; an overlong form is one ? */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789abcdefghij", b, sizeof(b)), "0123456789ab...");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789abcde", b, sizeof(b)), "0123456789abcde");
	/* never cut inside a character */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789a\xc3\xa9\xc3\xa9\xc3\xa9", b, sizeof(b)), "0123456789a...");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(strlen(ith_safe_text(big, b, sizeof(b))), sizeof(b) - 1);
	CU_ASSERT_TRUE(ith_text_is_safe("caf\xc3\xa9 ok"));
	CU_ASSERT_FALSE(ith_text_is_safe("a\tb"));
	ith_sanitize_inplace(s);
	CU_ASSERT_STRING_EQUAL(s, "ok?[31m?x");
}

int register_time_tests(void)
{
	CU_pSuite s = CU_add_suite("util: durations, RFC 3339, ids", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_durations);
	ADD(s, test_bad_durations);
	ADD(s, test_rfc3339);
	ADD(s, test_bad_rfc3339);
	ADD(s, test_format_roundtrip);
	ADD(s, test_uuid);
	ADD(s, test_strbuf);
	ADD(s, test_safe_text);
	return 0;
}
