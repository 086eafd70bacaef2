/* url.c: the base URL parser, the http-only-to-loopback rule, and a URL as a message shows it. */
#include "suites.h"
#include "url.h"

#include <string.h>

static void test_loopback(void)
{
	CU_ASSERT_TRUE(ith_url_is_loopback_http("http://127.0.0.1:8080/api"));
	CU_ASSERT_TRUE(ith_url_is_loopback_http("http://127.1.2.3"));
	CU_ASSERT_TRUE(ith_url_is_loopback_http("http://localhost:1/"));
	CU_ASSERT_TRUE(ith_url_is_loopback_http("http://[::1]:9/x"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://128.0.0.1/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://localhost.evil.com/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1.evil.com/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://[::1].x/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("https://127.0.0.1/"));
	/* userinfo: for curl the host is after the '@' */
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1:80@192.0.2.2:8086/api/v0"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://localhost:x@host/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://[::1]:1@host/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://u@127.0.0.1/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1\\@host/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1?@host/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1#@host/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1%2f@host/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://[::1%lo]/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1:99999/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1:/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://::1/"));
	CU_ASSERT_FALSE(ith_url_is_loopback_http("http://127.0.0.1 /"));
	CU_ASSERT_TRUE(ith_url_is_loopback_http("HTTP://LOCALHOST"));
	CU_ASSERT_TRUE(ith_url_is_loopback_http("http://[0:0:0:0:0:0:0:1]/api"));
}

static void test_url_parse(void)
{
	struct ith_url u;

	CU_ASSERT_PTR_NULL(ith_url_parse("https://[2001:db8::1]:8443/api/v0", &u));
	CU_ASSERT_TRUE(u.https && u.ipv6);
	CU_ASSERT_STRING_EQUAL(u.host, "2001:db8::1");
	CU_ASSERT_EQUAL(u.port, 8443);
	CU_ASSERT_STRING_EQUAL(u.path, "/api/v0");
	CU_ASSERT_PTR_NULL(ith_url_parse("https://console.influxdata.com", &u));
	CU_ASSERT_STRING_EQUAL(u.host, "console.influxdata.com");
	CU_ASSERT_EQUAL(u.port, -1);
	CU_ASSERT_STRING_EQUAL(u.path, "");
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://user:pw@console.influxdata.com/api", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://@console.influxdata.com/api", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https:///api", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://[::1/api", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://[::1]x/api", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h/api?x=1", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("ftp://h/", &u));
}

/* user:password@ anywhere before the path is refused, whatever its shape; an '@' in the path is the path's */
static void test_url_userinfo(void)
{
	struct ith_url u;

	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://user@h.example.com/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://:@h.example.com/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://u:p@[::1]:8443/", &u));
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_url_parse("https://a:b@h/", &u), "user:password@"));
	CU_ASSERT_PTR_NULL(ith_url_parse("https://h.example.com/api/a@b", &u));
	CU_ASSERT_STRING_EQUAL(u.host, "h.example.com");
	CU_ASSERT_STRING_EQUAL(u.path, "/api/a@b");
}

static void test_url_ports(void)
{
	struct ith_url u;

	CU_ASSERT_PTR_NULL(ith_url_parse("https://h:443", &u));
	CU_ASSERT_EQUAL(u.port, 443);
	CU_ASSERT_STRING_EQUAL(u.path, "");
	CU_ASSERT_PTR_NULL(ith_url_parse("https://h:1/x", &u));
	CU_ASSERT_EQUAL(u.port, 1);
	CU_ASSERT_PTR_NULL(ith_url_parse("https://h:65535/x", &u));
	CU_ASSERT_EQUAL(u.port, 65535);
	CU_ASSERT_PTR_NULL(ith_url_parse("https://h:00080/x", &u));  /* five digits, leading zeros */
	CU_ASSERT_EQUAL(u.port, 80);
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:0/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:65536/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:123456/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:8a/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:-1/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h:1:2/", &u));
}

static void test_url_ipv6(void)
{
	struct ith_url u;

	CU_ASSERT_PTR_NULL(ith_url_parse("https://[::1]", &u));
	CU_ASSERT_TRUE(u.ipv6);
	CU_ASSERT_STRING_EQUAL(u.host, "::1");
	CU_ASSERT_EQUAL(u.port, -1);
	CU_ASSERT_PTR_NULL(ith_url_parse("http://[::ffff:127.0.0.1]/", &u));  /* parses; not literally loopback */
	CU_ASSERT_FALSE(ith_url_host_is_loopback(&u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://[fe80::1%25eth0]/", &u));  /* zone ids: not an address */
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://[127.0.0.1]/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://[]/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://[::1]:/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://2001:db8::1/", &u));   /* unbracketed: a bad port */
}

/* The scheme, the host's characters, length and the characters curl would read differently */
static void test_url_shape(void)
{
	struct ith_url u;
	char big[2100];

	CU_ASSERT_PTR_NULL(ith_url_parse("HtTpS://H.Example.COM/api/v0/", &u));
	CU_ASSERT_TRUE(u.https);
	CU_ASSERT_STRING_EQUAL(u.host, "H.Example.COM");
	CU_ASSERT_STRING_EQUAL(u.path, "/api/v0/");
	CU_ASSERT_PTR_NULL(ith_url_parse("https://under_score.example/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https:/h/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("//h/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://ex%41mple.com/", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h/a b", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h/a\tb", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h/caf\xc3\xa9", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h/{x}", &u));
	CU_ASSERT_PTR_NOT_NULL(ith_url_parse("https://h#frag", &u));
	memcpy(big, "https://h/", 10);
	memset(big + 10, 'a', sizeof(big) - 11);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_url_parse(big, &u), "too long"));
	big[2000] = '\0';
	CU_ASSERT_PTR_NULL(ith_url_parse(big, &u));
}

static bool allowed(const char *url)
{
	struct ith_url u;

	return !ith_url_parse(url, &u) && ith_url_scheme_allowed(&u);
}

/* The rule: https anywhere; plain http only to a host that is literally loopback */
static void test_url_scheme_rule(void)
{
	CU_ASSERT_TRUE(allowed("https://console.influxdata.com/api/v0"));
	CU_ASSERT_TRUE(allowed("https://192.0.2.1/"));
	CU_ASSERT_TRUE(allowed("http://127.0.0.1:8086/api"));
	CU_ASSERT_TRUE(allowed("http://127.255.255.254/"));
	CU_ASSERT_TRUE(allowed("http://LocalHost:8086"));
	CU_ASSERT_TRUE(allowed("http://[::1]/"));
	CU_ASSERT_FALSE(allowed("http://console.influxdata.com/api/v0"));
	CU_ASSERT_FALSE(allowed("http://192.0.2.1/"));
	CU_ASSERT_FALSE(allowed("http://10.0.0.1/api"));
	CU_ASSERT_FALSE(allowed("http://[2001:db8::1]/"));
	CU_ASSERT_FALSE(allowed("http://[::ffff:127.0.0.1]/"));
	CU_ASSERT_FALSE(allowed("http://localhost./"));
	CU_ASSERT_FALSE(allowed("http://127.0.0.1./"));
	CU_ASSERT_FALSE(allowed("http://0x7f.0.0.1/"));
	CU_ASSERT_FALSE(allowed("http://2130706433/"));
	CU_ASSERT_FALSE(allowed("http://0.0.0.0/"));
}

static void shown_is(const char *url, const char *want)
{
	char out[96];

	CU_ASSERT_STRING_EQUAL(ith_url_shown(url, out, sizeof(out)), want);
}

/* What a message may show: no userinfo, no query or fragment */
static void test_url_shown(void)
{
	shown_is("https://h.example.com/api/v0", "https://h.example.com/api/v0");
	shown_is("https://bob:s3cretpw@h.example.com/api/v0", "https://h.example.com/api/v0");
	shown_is("https://h.example.com/?token=s3cret", "https://h.example.com/");
	shown_is("https://h.example.com/a#s3cret", "https://h.example.com/a");
	shown_is("https://bob:pw/with/slash@h.example.com/api", "https://...@h.example.com/api");
	shown_is("not a url", "not a url");
}

int register_url_tests(void)
{
	CU_pSuite s = CU_add_suite("url: parser and http rule", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_loopback);
	ADD(s, test_url_parse);
	ADD(s, test_url_userinfo);
	ADD(s, test_url_ports);
	ADD(s, test_url_ipv6);
	ADD(s, test_url_shape);
	ADD(s, test_url_scheme_rule);
	ADD(s, test_url_shown);
	return 0;
}
