/* The id module (src/id.c): UUIDs and the stable hash. */
#include "suites.h"
#include "id.h"

#include <stdint.h>
#include <stddef.h>

static void test_uuid(void)
{
	char a[ITH_UUID_LEN + 1], b[ITH_UUID_LEN + 1];
	CU_ASSERT_EQUAL(ith_uuid_v4(a, &E), 0);
	CU_ASSERT_EQUAL(ith_uuid_v4(b, &E), 0);
	CU_ASSERT_TRUE(ith_is_uuid(a));
	CU_ASSERT_EQUAL(a[14], '4');
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_TRUE(ith_is_uuid("11111111-1111-4111-8111-111111111111"));
	CU_ASSERT_FALSE(ith_is_uuid("11111111-1111-4111-8111-11111111111"));
	CU_ASSERT_FALSE(ith_is_uuid("11111111-1111-4111-8111-11111111111g"));
	CU_ASSERT_FALSE(ith_is_uuid("111111111111-4111-8111-1111111111111"));
}

/* FNV-1a over the bytes, with the core's own offset basis: stable across runs and hosts (renewal phases). */
static void test_hash64(void)
{
	CU_ASSERT_EQUAL(ith_hash64(""), 1469598103934665603ULL);
	CU_ASSERT_EQUAL(ith_hash64("a"), (1469598103934665603ULL ^ 'a') * 1099511628211ULL);
	CU_ASSERT_EQUAL(ith_hash64("host-1/telegraf"), ith_hash64("host-1/telegraf"));
	CU_ASSERT_NOT_EQUAL(ith_hash64("host-1/telegraf"), ith_hash64("host-2/telegraf"));
}

int register_id_tests(void)
{
	CU_pSuite s = CU_add_suite("id", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_uuid);
	ADD(s, test_hash64);
	return 0;
}
