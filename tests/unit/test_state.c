#include "suites.h"
#include "id.h"
#include "mem.h"
#include "error.h"
#include "state.h"
#include "state_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void test_file_roundtrip(void)
{
	char *dir = test_tmpdir(), path[512];
	struct ith_state a, b;
	struct stat sb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	state_fixture_fill(&a);
	CU_ASSERT_EQUAL(ith_state_save(dir, "telegraf", &a, &E), 0);
	snprintf(path, sizeof(path), "%s/telegraf.state", dir);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(ith_state_load(dir, "telegraf", INST, &b, &E), 0);
	state_fixture_check(&b);
	CU_ASSERT_FALSE(b.loaded_foreign);
	ith_state_release(&b);
	/* another instance's state is ignored, never acted on */
	CU_ASSERT_EQUAL(ith_state_load(dir, "telegraf", "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5c", &b, &E), 0);
	CU_ASSERT_TRUE(b.loaded_foreign);
	CU_ASSERT_FALSE(b.has_current);
	ith_state_release(&b);
	/* missing: empty */
	CU_ASSERT_EQUAL(ith_state_load(dir, "other", INST, &b, &E), 0);
	CU_ASSERT_FALSE(b.has_current);
	ith_state_release(&b);
	/* readable by others: refused */
	chmod(path, 0644);
	CU_ASSERT_EQUAL(ith_state_load(dir, "telegraf", INST, &b, &E), ITH_ERR_UNSAFE);
	chmod(path, 0600);
	/* symlink: refused */
	char link[512];
	snprintf(link, sizeof(link), "%s/linked.state", dir);
	CU_ASSERT_EQUAL(symlink(path, link), 0);
	CU_ASSERT_EQUAL(ith_state_load(dir, "linked", INST, &b, &E), ITH_ERR_UNSAFE);
	/* damaged */
	int fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(write(fd, "{\"ver", 5), 5);
	close(fd);
	CU_ASSERT_EQUAL(ith_state_load(dir, "telegraf", INST, &b, &E), ITH_ERR_STATE_DAMAGED);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "damaged"));
	ith_state_release(&a);
	test_rm_rf(dir);
	free(dir);
}

static void test_lock(void)
{
	char *dir = test_tmpdir();
	struct ith_lock a = ITH_LOCK_INIT, b = ITH_LOCK_INIT;

	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "p", 1000, &a, &E), 0);
	/* flock is per open file: a second open in the same process conflicts */
	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "p", 100, &b, &E), ITH_ERR_LOCK_BUSY);
	ith_lock_release(&a);
	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "p", 100, &b, &E), 0);
	ith_lock_release(&b);
	test_rm_rf(dir);
	free(dir);
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The lock wait uses no signal and no timer: a caller's interval timer
 * survives it, a caller that blocks SIGALRM still gets its timeout, and a
 * waiter takes the lock soon after it is released.
 */
static void test_lock_wait(void)
{
	char *dir = test_tmpdir();
	struct ith_lock a = ITH_LOCK_INIT, b = ITH_LOCK_INIT;
	struct itimerval it, left;
	sigset_t set, old;
	int64_t t0;
	pid_t pid;
	int status = -1;

	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "p", 1000, &a, &E), 0);
	/* a timer of the caller's, SIGALRM ignored so it can do no harm */
	signal(SIGALRM, SIG_IGN);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = 60;
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = ms_now();
	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "p", 150, &b, &E), ITH_ERR_LOCK_BUSY);
	CU_ASSERT_TRUE(ms_now() - t0 >= 150);
	CU_ASSERT_TRUE(ms_now() - t0 < 3000);
	getitimer(ITIMER_REAL, &left);
	CU_ASSERT_TRUE(left.it_value.tv_sec > 0);  /* still armed */
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
	/* SIGALRM blocked: the timeout still ends the wait (in a child, killed after 5s) */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0)
		_exit(ith_lock_acquire(dir, "p", 200, &b, &E) == ITH_ERR_LOCK_BUSY ? 0 : 1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* released by its holder while we wait: taken well before the timeout */
	pid = fork();
	if (pid == 0) {
		usleep(300000);
		_exit(0);  /* the child's copy of a's descriptor; the lock goes with the last one */
	}
	ith_lock_release(&a);  /* now only the child holds the lock */
	t0 = ms_now();
	CU_ASSERT_EQUAL(ith_lock_acquire(dir, "p", 10000, &b, &E), 0);
	CU_ASSERT_TRUE(ms_now() - t0 < 3000);
	ith_lock_release(&b);
	waitpid(pid, &status, 0);
	test_rm_rf(dir);
	free(dir);
}

static void test_instance(void)
{
	char *dir = test_tmpdir(), a[ITH_UUID_LEN + 1], b[ITH_UUID_LEN + 1], mid[600];
	bool regen;
	FILE *f;

	snprintf(mid, sizeof(mid), "%s/machine-id", dir);
	f = fopen(mid, "w");
	fputs("aaaa\n", f);
	fclose(f);
	setenv("INFLUX_TOKEN_HELPER_MACHINE_ID_FILE", mid, 1);
	CU_ASSERT_EQUAL(ith_instance_load(dir, a, &regen, &E), 0);
	CU_ASSERT_FALSE(regen);
	CU_ASSERT_TRUE(ith_is_uuid(a));
	CU_ASSERT_EQUAL(ith_instance_load(dir, b, &regen, &E), 0);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_FALSE(regen);
	f = fopen(mid, "w");
	fputs("bbbb\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(ith_instance_load(dir, b, &regen, &E), 0);
	CU_ASSERT_TRUE(regen);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	unsetenv("INFLUX_TOKEN_HELPER_MACHINE_ID_FILE");
	test_rm_rf(dir);
	free(dir);
}

/* A wrapped error keeps its cause, word for word (the wrapper must not format
 * the message buffer into itself). */
static void test_damaged_messages(void)
{
	char *dir = test_tmpdir(), path[512], want[1600];
	struct ith_state st;
	int fd;

	snprintf(path, sizeof(path), "%s/telegraf.state", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_EQUAL(write(fd, "{\"ver", 5), 5);
	close(fd);
	CU_ASSERT_EQUAL(ith_state_load(dir, "telegraf", INST, &st, &E), ITH_ERR_STATE_DAMAGED);
	snprintf(want, sizeof(want), "state file '%s' is damaged (not valid JSON); move it aside and run 'rotate' "
		"(its tokens then show as orphans in 'list')", path);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), want);

	snprintf(path, sizeof(path), "%s/telegraf.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_EQUAL(write(fd, "{\"version\": 2}", 14), 14);
	close(fd);
	CU_ASSERT_EQUAL(ith_state_load_public(dir, "telegraf", &st, NULL, &E), ITH_ERR_STATE_DAMAGED);
	snprintf(want, sizeof(want), "status file '%s' is damaged (unknown state version)", path);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), want);
	test_rm_rf(dir);
	free(dir);
}

int register_state_tests(void)
{
	CU_pSuite s = CU_add_suite("state: files, locks, instance", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_file_roundtrip);
	ADD(s, test_lock);
	ADD(s, test_lock_wait);
	ADD(s, test_instance);
	ADD(s, test_damaged_messages);
	return 0;
}
