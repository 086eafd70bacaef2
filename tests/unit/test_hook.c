/* hook.c: on_rotate runs its argv as given (no shell, no PATH lookup), stdin from /dev/null, with a scrubbed
 * environment (no secret, nothing inherited), its output relayed line by line, bounded by the timeout (its
 * whole process group killed), and each failure named by its cause. */
#include "suites.h"
#include "error.h"
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_ID "5a1f0c8e-2b3d-4c5e-8f90-123456789abc"
#define SECRET "apiv1_hook_must_never_see_this"

struct lines {
	char text[8192];
	unsigned n;
};

static void collect(void *ud, const char *line)
{
	struct lines *l = ud;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "%s\n", line);
	l->n++;
}

/* Run argv (NULL-terminated) as profile telegraf's hook with timeout; its output lines into *out. */
static int run_hook(char **argv, int64_t timeout, struct lines *out)
{
	struct ith_profile p;
	struct ith_state_token t;
	size_t n = 0;
	int r;

	while (argv[n])
		n++;
	memset(&p, 0, sizeof(p));
	p.name = "telegraf";
	p.hook_timeout = timeout;
	p.on_rotate.v = argv;
	p.on_rotate.n = n;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", TOKEN_ID);
	ith_secret_set(&t.token, SECRET, strlen(SECRET));
	t.expires_at = 1703179948;
	memset(out, 0, sizeof(*out));
	r = ith_hook_run(&p, timeout, &t, collect, out, &E);
	ith_secret_release(&t.token);
	return r;
}

static void write_script(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	CU_ASSERT_EQUAL(chmod(path, mode), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The environment is exactly the four variables: no secret, nothing of ours. */
static void test_scrubbed_env(void)
{
	char *argv[] = { "/usr/bin/env", NULL };
	struct lines out;

	setenv("ITH_TEST_INHERITED", "leak", 1);
	setenv("INFLUX_TOKEN", SECRET, 1);
	CU_ASSERT_EQUAL_FATAL(run_hook(argv, 10, &out), 0);
	CU_ASSERT_STRING_EQUAL(out.text, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
		"INFLUX_TOKEN_HELPER_PROFILE=telegraf\n"
		"INFLUX_TOKEN_HELPER_TOKEN_ID=" TOKEN_ID "\n"
		"INFLUX_TOKEN_HELPER_EXPIRES_AT=2023-12-21T17:32:28Z\n");
	CU_ASSERT_PTR_NULL(strstr(out.text, "apiv1_"));
	unsetenv("ITH_TEST_INHERITED");
	unsetenv("INFLUX_TOKEN");
}

/* argv reaches the program as given: no shell splits, expands or runs anything; stdin is /dev/null. */
static void test_argv_no_shell(void)
{
	char *dir = test_tmpdir(), script[512], mark[512], arg_mark[600];
	char *argv[] = { script, "two words", "$(touch x)", "*", "", arg_mark, NULL };
	struct lines out;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	snprintf(mark, sizeof(mark), "%s/ran", dir);
	snprintf(arg_mark, sizeof(arg_mark), "; touch %s", mark);
	/* one line per argument, then what stdin held */
	write_script(script, "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:[$a]\"; done\necho \"stdin:[$(cat)]\"\n", 0700);
	CU_ASSERT_EQUAL_FATAL(run_hook(argv, 10, &out), 0);
	{
		char want[2048];

		snprintf(want, sizeof(want), "arg:[two words]\narg:[$(touch x)]\narg:[*]\narg:[]\narg:[; touch %s]\n"
			"stdin:[]\n", mark);
		CU_ASSERT_STRING_EQUAL(out.text, want);
	}
	CU_ASSERT_NOT_EQUAL(stat(mark, &st), 0);
	test_rm_rf(dir);
	free(dir);
}

/* A hook that outlives its timeout is killed with its process group (a child it left behind too). */
static void test_timeout_kills_group(void)
{
	char *dir = test_tmpdir(), script[512], pidfile[512], text[1024];
	char *argv[] = { script, NULL };
	struct lines out;
	double t0;
	int r;
	FILE *f;
	int child = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(script, sizeof(script), "%s/slow.sh", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", dir);
	snprintf(text, sizeof(text), "#!/bin/sh\nsleep 60 </dev/null >/dev/null 2>&1 &\necho $! > %s\necho started\n"
		"sleep 60\n", pidfile);
	write_script(script, text, 0700);
	t0 = now_s();
	r = run_hook(argv, 1, &out);
	CU_ASSERT_EQUAL(r, ITH_ERR_HOOK_TIMEOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "killed after the 1s hook_timeout"));
	ith_strbuf_release(&E);
	CU_ASSERT_TRUE(now_s() - t0 < 10);  /* SIGTERM at 1 s; SIGKILL 2 s later at the latest */
	CU_ASSERT_STRING_EQUAL(out.text, "started\n");
	f = fopen(pidfile, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fscanf(f, "%d", &child), 1);
	fclose(f);
	/* the left-behind child was in the hook's group: gone (reaped by init, give it a moment) */
	for (int i = 0; i < 50 && child > 0 && kill(child, 0) == 0; i++)
		usleep(100000);
	CU_ASSERT_TRUE(child > 0 && kill(child, 0) < 0 && errno == ESRCH);
	if (child > 0)
		kill(child, SIGKILL);
	CU_ASSERT_EQUAL(ith_hook_running(), 0);
	test_rm_rf(dir);
	free(dir);
}

/* Each failure has its cause: exit status, a signal, a missing program, one others may replace. */
static void test_failures(void)
{
	char *dir = test_tmpdir(), script[512], missing[512];
	char *fail[] = { "/bin/false", NULL };
	char *none[] = { missing, NULL };
	char *unsafe[] = { script, NULL };
	char *killed[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	struct lines out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL(run_hook(fail, 10, &out), ITH_ERR_HOOK_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "on_rotate /bin/false: exited 1"));
	ith_strbuf_release(&E);
	CU_ASSERT_EQUAL(run_hook(killed, 10, &out), ITH_ERR_HOOK_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "killed by signal 9"));
	ith_strbuf_release(&E);
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	CU_ASSERT_EQUAL(run_hook(none, 10, &out), ITH_ERR_HOOK_EXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "cannot execute"));
	ith_strbuf_release(&E);
	snprintf(script, sizeof(script), "%s/open.sh", dir);
	write_script(script, "#!/bin/sh\nexit 0\n", 0777);
	CU_ASSERT_EQUAL(run_hook(unsafe, 10, &out), ITH_ERR_UNSAFE);
	CU_ASSERT_EQUAL(out.n, 0);
	ith_strbuf_release(&E);
	test_rm_rf(dir);
	free(dir);
}

int register_hook_tests(void)
{
	CU_pSuite s = CU_add_suite("hook: argv, no shell, timeout, scrubbed environment", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_scrubbed_env);
	ADD(s, test_argv_no_shell);
	ADD(s, test_timeout_kills_group);
	ADD(s, test_failures);
	return 0;
}
