/* health-load.c: the health model read from a state file or a published copy; the names published. */
#include "suites.h"
#include "error.h"
#include "health-load.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INST "3c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"

static void touch(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
}

static void test_published_names(void)
{
	static const char *const good[] = { "zeta", "mike", "alpha", "yankee", "kilo", "bravo", "x_1", "delta" };
	char *dir = test_tmpdir(), missing[512], **names = NULL;
	size_t n = 99;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char file[64];
		snprintf(file, sizeof(file), "%s.json", good[i]);
		touch(dir, file);
	}
	touch(dir, "9bad.json");       /* not a profile name */
	touch(dir, "beta.state");      /* not a published copy */
	touch(dir, ".json");
	CU_ASSERT_EQUAL(ith_health_published_names(dir, &names, &n, &E), 0);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	CU_ASSERT_STRING_EQUAL(names[0], "alpha");
	CU_ASSERT_STRING_EQUAL(names[7], "zeta");
	for (size_t i = 1; i < n; i++)
		CU_ASSERT_TRUE(strcmp(names[i - 1], names[i]) < 0);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	/* a directory nothing was published to: an error that says so, not an empty success */
	snprintf(missing, sizeof(missing), "%s/none", dir);
	CU_ASSERT_EQUAL(ith_health_published_names(missing, &names, &n, &E), ITH_ERR_FILE_NOT_FOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "does not exist: nothing has been published there since boot"));
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(names);
	ith_strbuf_release(&E);
	test_rm_rf(dir);
	free(dir);
}

/* A state that cannot be read is the profile's health "error", not a failure of the report. */
static void test_load_unreadable(void)
{
	char *dir = test_tmpdir(), path[512];
	struct ith_config cfg;
	struct ith_profile p;
	struct ith_health h;
	FILE *f;

	memset(&cfg, 0, sizeof(cfg));
	memset(&p, 0, sizeof(p));
	cfg.state_dir = dir;
	snprintf(cfg.cluster_id, sizeof(cfg.cluster_id), "%s", "22222222-1111-4111-8111-111111111111");
	p.name = "telegraf";
	/* no state at all: missing */
	ith_health_load(&cfg, &p, INST, false, 1000, &h);
	CU_ASSERT_EQUAL(h.state, ITH_HEALTH_MISSING);
	/* a damaged one: error, with the reason */
	snprintf(path, sizeof(path), "%s/telegraf.state", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("{ not json", f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	ith_health_load(&cfg, &p, INST, false, 1000, &h);
	CU_ASSERT_EQUAL(h.state, ITH_HEALTH_ERROR);
	CU_ASSERT_NOT_EQUAL(h.last_error[0], '\0');
	test_rm_rf(dir);
	free(dir);
}

int register_health_load_tests(void)
{
	CU_pSuite s = CU_add_suite("health-load: the health model from state files", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_published_names);
	ADD(s, test_load_unreadable);
	return 0;
}
