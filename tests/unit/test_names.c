/* names.c: what a profile name and a database name may be. */
#include "suites.h"
#include "names.h"
#include "id.h"

#include <string.h>

static void test_db_names(void)
{
	CU_ASSERT_TRUE(ith_valid_db_name("sensors"));
	CU_ASSERT_TRUE(ith_valid_db_name("caf\xc3\xa9"));
	CU_ASSERT_FALSE(ith_valid_db_name("a\x1b[2J"));
	CU_ASSERT_FALSE(ith_valid_db_name("a\xc2\x9b" "2J"));  /* C1 CSI */
	CU_ASSERT_FALSE(ith_valid_db_name("a\xff"));
}

static void test_profile_names(void)
{
	char longest[ITH_NAME_MAX + 2];

	CU_ASSERT_TRUE(ith_valid_profile_name("telegraf"));
	CU_ASSERT_TRUE(ith_valid_profile_name("a"));
	CU_ASSERT_TRUE(ith_valid_profile_name("Grafana_2"));
	CU_ASSERT_FALSE(ith_valid_profile_name(""));
	CU_ASSERT_FALSE(ith_valid_profile_name("2a"));
	CU_ASSERT_FALSE(ith_valid_profile_name("_a"));
	CU_ASSERT_FALSE(ith_valid_profile_name("a-b"));
	CU_ASSERT_FALSE(ith_valid_profile_name("a.b"));
	CU_ASSERT_FALSE(ith_valid_profile_name("a/b"));
	CU_ASSERT_FALSE(ith_valid_profile_name("a b"));
	CU_ASSERT_FALSE(ith_valid_profile_name("caf\xc3\xa9"));
	CU_ASSERT_FALSE(ith_valid_profile_name("\xc3\xa9t\xc3\xa9"));
	memset(longest, 'a', ITH_NAME_MAX);
	longest[ITH_NAME_MAX] = '\0';
	CU_ASSERT_TRUE(ith_valid_profile_name(longest));
	longest[ITH_NAME_MAX] = 'a';
	longest[ITH_NAME_MAX + 1] = '\0';
	CU_ASSERT_FALSE(ith_valid_profile_name(longest));
}

static void test_db_name_edges(void)
{
	char n[66];

	CU_ASSERT_TRUE(ith_valid_db_name("*"));
	CU_ASSERT_FALSE(ith_valid_db_name(""));
	CU_ASSERT_FALSE(ith_valid_db_name("a\nb"));
	CU_ASSERT_FALSE(ith_valid_db_name("a\x7f"));
	memset(n, 'd', 64);
	n[64] = '\0';
	CU_ASSERT_TRUE(ith_valid_db_name(n));
	n[64] = 'd';
	n[65] = '\0';
	CU_ASSERT_FALSE(ith_valid_db_name(n));
}

/* RFC 1123 host names, kept as written; NAME@HOST for an expanded profile. */
static void test_host_names(void)
{
	char label[70], longest[ITH_HOST_MAX + 2], ref[ITH_PROFILE_MAX + 2];

	CU_ASSERT_TRUE(ith_valid_host_name("web-1"));
	CU_ASSERT_TRUE(ith_valid_host_name("Web-1.Example.COM"));
	CU_ASSERT_TRUE(ith_valid_host_name("1a"));
	CU_ASSERT_TRUE(ith_valid_host_name("a"));
	CU_ASSERT_FALSE(ith_valid_host_name(""));
	CU_ASSERT_FALSE(ith_valid_host_name("-a"));
	CU_ASSERT_FALSE(ith_valid_host_name("a-"));
	CU_ASSERT_FALSE(ith_valid_host_name("a..b"));
	CU_ASSERT_FALSE(ith_valid_host_name(".a"));
	CU_ASSERT_FALSE(ith_valid_host_name("a."));
	CU_ASSERT_FALSE(ith_valid_host_name("a_b"));
	CU_ASSERT_FALSE(ith_valid_host_name("a/b"));
	CU_ASSERT_FALSE(ith_valid_host_name("a b"));
	CU_ASSERT_FALSE(ith_valid_host_name("a@b"));
	CU_ASSERT_FALSE(ith_valid_host_name("caf\xc3\xa9"));
	memset(label, 'a', 63);
	label[63] = '\0';
	CU_ASSERT_TRUE(ith_valid_host_name(label));
	label[63] = 'a';
	label[64] = '\0';
	CU_ASSERT_FALSE(ith_valid_host_name(label));
	/* 253 bytes: labels of 63 with dots; 254 refused */
	memset(longest, 'a', sizeof(longest));
	for (size_t i = 63; i < ITH_HOST_MAX; i += 64)
		longest[i] = '.';
	longest[ITH_HOST_MAX] = '\0';
	CU_ASSERT_TRUE(ith_valid_host_name(longest));
	longest[ITH_HOST_MAX] = 'a';
	longest[ITH_HOST_MAX + 1] = '\0';
	CU_ASSERT_FALSE(ith_valid_host_name(longest));

	CU_ASSERT_TRUE(ith_valid_expanded_name("telegraf@web-1"));
	CU_ASSERT_FALSE(ith_valid_expanded_name("telegraf"));
	CU_ASSERT_FALSE(ith_valid_expanded_name("telegraf@"));
	CU_ASSERT_FALSE(ith_valid_expanded_name("@web"));
	CU_ASSERT_FALSE(ith_valid_expanded_name("a@b@c"));
	CU_ASSERT_FALSE(ith_valid_expanded_name("a-b@web"));
	CU_ASSERT_TRUE(ith_valid_profile_ref("telegraf"));
	CU_ASSERT_TRUE(ith_valid_profile_ref("telegraf@web.example.com"));
	CU_ASSERT_FALSE(ith_valid_profile_ref("telegraf@web/x"));
	/* the longest: a 64-byte name, '@', a 253-byte host */
	memset(ref, 'n', ITH_NAME_MAX);
	ref[ITH_NAME_MAX] = '@';
	memcpy(ref + ITH_NAME_MAX + 1, longest, ITH_HOST_MAX);
	ref[ITH_PROFILE_MAX] = '\0';
	CU_ASSERT_TRUE(ith_valid_profile_ref(ref));
}

int register_names_tests(void)
{
	CU_pSuite s = CU_add_suite("names: profiles and databases", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_db_names);
	ADD(s, test_profile_names);
	ADD(s, test_db_name_edges);
	ADD(s, test_host_names);
	return 0;
}
