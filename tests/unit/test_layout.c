/* layout.c: the names of the helper's files, and the default state_dir; state.c writes where it says. */
#include "suites.h"
#include "error.h"
#include "layout.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INST "7d3c9e1a-5b2f-4c8d-9e0a-1b2c3d4e5f6a"

static void file_is(const char *dir, const char *name, const char *kind, const char *want)
{
	char *got = ith_layout_file(dir, name, kind);

	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_layout_names(void)
{
	file_is("/var/lib/ith", "telegraf", ITH_LAYOUT_STATE, "/var/lib/ith/telegraf.state");
	file_is("/var/lib/ith", "telegraf", ITH_LAYOUT_LOCK, "/var/lib/ith/telegraf.lock");
	file_is("/run/ith-status", "telegraf", ITH_LAYOUT_STATUS, "/run/ith-status/telegraf.json");
	file_is("/var/lib/ith", ITH_LAYOUT_INSTANCE, ITH_LAYOUT_PLAIN, "/var/lib/ith/instance");
	file_is("/var/lib/ith", ITH_LAYOUT_INSTANCE, ITH_LAYOUT_LOCK, "/var/lib/ith/instance.lock");
	file_is("/run/credentials/x.service", ITH_LAYOUT_CREDENTIAL, ITH_LAYOUT_PLAIN,
		"/run/credentials/x.service/management-token");
	file_is("/var/lib/ith", ITH_LAYOUT_TEXTFILE_LOCK, ITH_LAYOUT_LOCK, "/var/lib/ith/.prometheus-textfile.lock");
}

/* Set (value) or unset (NULL) a variable; returns its old value (to free) for restore(). */
static char *setenv_saved(const char *name, const char *value)
{
	const char *old = getenv(name);
	char *saved = old ? strdup(old) : NULL;

	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
	return saved;
}

static void restore(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

static void default_is(const char *xdg, const char *home, const char *want)
{
	char *sx = setenv_saved("XDG_STATE_HOME", xdg), *sh = setenv_saved("HOME", home), *dir = NULL;

	CU_ASSERT_EQUAL(ith_layout_default_state_dir(&dir, &E), 0);
	if (dir && strcmp(dir, want)) {
		fprintf(stderr, "\n  default state_dir (XDG_STATE_HOME=%s HOME=%s) = '%s', want '%s'\n",
			xdg ? xdg : "(unset)", home ? home : "(unset)", dir, want);
		CU_FAIL("default state_dir");
	}
	free(dir);
	restore("HOME", sh);
	restore("XDG_STATE_HOME", sx);
}

static void test_default_state_dir(void)
{
	if (geteuid() == 0) {
		default_is("/x/state", "/home/u", ITH_DEFAULT_STATE_DIR);
		return;
	}
	default_is("/x/state", "/home/u", "/x/state/influx-token-helper");
	/* the XDG spec: a relative value is ignored */
	default_is("rel/state", "/home/u", "/home/u/.local/state/influx-token-helper");
	default_is("", "/home/u", "/home/u/.local/state/influx-token-helper");
	default_is(NULL, "/home/u", "/home/u/.local/state/influx-token-helper");
}

static bool exists(const char *dir, const char *name, const char *kind)
{
	char *path = ith_layout_file(dir, name, kind);
	struct stat sb;
	bool there = stat(path, &sb) == 0;

	free(path);
	return there;
}

/* The one definition is the one state.c uses: its files are where layout.h says */
static void test_state_follows_layout(void)
{
	char *dir = test_tmpdir(), id[ITH_UUID_LEN + 1];
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_public pub = { INST, 0 };
	struct ith_state st;
	bool regen;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	ith_state_init(&st, INST);
	CU_ASSERT_EQUAL(ith_state_save(dir, "telegraf", &st, &E), 0);
	CU_ASSERT_TRUE(exists(dir, "telegraf", ITH_LAYOUT_STATE));
	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "telegraf", 1000, &lock, &E), 0);
	CU_ASSERT_TRUE(exists(dir, "telegraf", ITH_LAYOUT_LOCK));
	ith_lock_release(&lock);
	CU_ASSERT_EQUAL(ith_state_publish(dir, "telegraf", &st, &pub, &E), 0);
	CU_ASSERT_TRUE(exists(dir, "telegraf", ITH_LAYOUT_STATUS));
	CU_ASSERT_EQUAL(ith_instance_load(dir, id, &regen, &E), 0);
	CU_ASSERT_TRUE(exists(dir, ITH_LAYOUT_INSTANCE, ITH_LAYOUT_PLAIN));
	CU_ASSERT_TRUE(exists(dir, ITH_LAYOUT_INSTANCE, ITH_LAYOUT_LOCK));
	CU_ASSERT_EQUAL(ith_state_remove(dir, "telegraf", &E), 0);
	CU_ASSERT_FALSE(exists(dir, "telegraf", ITH_LAYOUT_STATE));
	ith_state_release(&st);
	test_rm_rf(dir);
	free(dir);
}

int register_layout_tests(void)
{
	CU_pSuite s = CU_add_suite("layout: file names, default state_dir", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_layout_names);
	ADD(s, test_default_state_dir);
	ADD(s, test_state_follows_layout);
	return 0;
}
