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

int register_names_tests(void)
{
	CU_pSuite s = CU_add_suite("names: profiles and databases", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_db_names);
	ADD(s, test_profile_names);
	ADD(s, test_db_name_edges);
	return 0;
}
