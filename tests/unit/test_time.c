/* The time module (src/time.c): durations, RFC 3339, human durations. */
#include "suites.h"
#include "error.h"
#include "time.h"

#include <stdint.h>

static void test_durations(void)
{
	int64_t d;
	CU_ASSERT_EQUAL(ith_parse_duration("90s", &d, &E), 0); CU_ASSERT_EQUAL(d, 90);
	CU_ASSERT_EQUAL(ith_parse_duration("30m", &d, &E), 0); CU_ASSERT_EQUAL(d, 1800);
	CU_ASSERT_EQUAL(ith_parse_duration("24h", &d, &E), 0); CU_ASSERT_EQUAL(d, 86400);
	CU_ASSERT_EQUAL(ith_parse_duration("7d", &d, &E), 0); CU_ASSERT_EQUAL(d, 604800);
	CU_ASSERT_EQUAL(ith_parse_duration("3600", &d, &E), 0); CU_ASSERT_EQUAL(d, 3600);
	CU_ASSERT_EQUAL(ith_parse_duration("0", &d, &E), 0); CU_ASSERT_EQUAL(d, 0);
}

static void test_bad_durations(void)
{
	static const char *bad[] = { "", "s", "-5s", "5 s", "5x", "1.5h", "5ss", "h5", "99999999999999999999",
		"4000d", " 5s", "5s ", NULL };
	int64_t d = 42;
	for (const char **b = bad; *b; b++) {
		CU_ASSERT_EQUAL(ith_parse_duration(*b, &d, &E), ITH_ERR_CONFIG);
		CU_ASSERT_EQUAL(d, 42);  /* untouched on error */
	}
	CU_ASSERT_EQUAL(ith_parse_duration(NULL, &d, &E), ITH_ERR_CONFIG);
}

static void test_rfc3339(void)
{
	int64_t t;
	CU_ASSERT_EQUAL(ith_parse_rfc3339("1970-01-01T00:00:00Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 0);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21T17:32:28.000Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21T18:32:28+01:00", &t, &E), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21t17:32:28.123456z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2024-02-29T00:00:00Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1709164800);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2030-01-01T00:00:00Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1893456000);
}

static void test_bad_rfc3339(void)
{
	static const char *bad[] = { "", "2023-12-21", "2023-12-21T17:32:28", "2023-13-01T00:00:00Z",
		"2023-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2023-12-21T24:00:00Z", "2023-12-21T17:32:28.Z",
		"2023-12-21T17:32:28+0100", "2023-12-21T17:32:28Zjunk", "x023-12-21T17:32:28Z", NULL };
	int64_t t = 7;
	for (const char **b = bad; *b; b++) {
		CU_ASSERT_EQUAL(ith_parse_rfc3339(*b, &t, &E), ITH_ERR_API_MALFORMED);
		CU_ASSERT_EQUAL(t, 7);
	}
}

static void test_format_roundtrip(void)
{
	char buf[32];
	int64_t t;
	ith_format_rfc3339(1703179948, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2023-12-21T17:32:28Z");
	CU_ASSERT_EQUAL(ith_parse_rfc3339(buf, &t, &E), 0);
	CU_ASSERT_EQUAL(t, 1703179948);
	ith_format_duration(90061, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1d1h");
	ith_format_duration(-45, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "-45s");
}

int register_time_tests(void)
{
	CU_pSuite s = CU_add_suite("time", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_durations);
	ADD(s, test_bad_durations);
	ADD(s, test_rfc3339);
	ADD(s, test_bad_rfc3339);
	ADD(s, test_format_roundtrip);
	return 0;
}
