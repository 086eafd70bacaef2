#include "hook.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 4096; fd++)
		close(fd);
}

/* In the child: only async-signal-safe calls until execve. */
static void child(char *const argv[], char *const envp[])
{
	int null = open("/dev/null", O_RDONLY);

	if (null < 0 || dup2(null, 0) < 0)
		_exit(126);
	close_from(3);
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	execve(argv[0], argv, envp);
	_exit(errno == ENOENT ? 127 : 126);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_bounded(pid_t pid, int64_t timeout_ms, int *status, bool *timed_out)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	int64_t deadline = now_ms() + timeout_ms, kill_at = 0;

	*timed_out = false;
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -1;
		int64_t t = now_ms();
		if (!*timed_out && t >= deadline) {
			*timed_out = true;
			kill(-pid, SIGTERM);
			kill(pid, SIGTERM);
			kill_at = t + 2000;
		} else if (*timed_out && kill_at && t >= kill_at) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		nanosleep(&nap, NULL);
	}
}

int ith_hook_run(const struct ith_profile *p, const struct ith_state_token *t)
{
	char when[32], e_profile[128], e_id[80], e_exp[80];
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", e_profile, e_id, e_exp, NULL };
	bool timed_out;
	int status = 0;
	pid_t pid;

	if (!p->on_rotate.n)
		return 0;
	ith_format_rfc3339(t->expires_at, when, sizeof(when));
	snprintf(e_profile, sizeof(e_profile), "INFLUX_TOKEN_HELPER_PROFILE=%s", p->name);
	snprintf(e_id, sizeof(e_id), "INFLUX_TOKEN_HELPER_TOKEN_ID=%s", t->id);
	snprintf(e_exp, sizeof(e_exp), "INFLUX_TOKEN_HELPER_EXPIRES_AT=%s", when);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return ith_error(ITH_E_INTERNAL, "on_rotate: cannot fork: %s", strerror(errno));
	if (pid == 0)
		child(p->on_rotate.v, envp);
	setpgid(pid, pid);  /* also in the parent: no race with kill(-pid) */
	if (wait_bounded(pid, p->hook_timeout * 1000, &status, &timed_out) < 0)
		return ith_error(ITH_E_INTERNAL, "on_rotate: cannot wait for %s: %s", p->on_rotate.v[0], strerror(errno));
	if (timed_out)
		return ith_error(ITH_E_TEMP, "on_rotate %s: killed after the %llds hook_timeout", p->on_rotate.v[0],
			(long long)p->hook_timeout);
	if (WIFSIGNALED(status))
		return ith_error(ITH_E_INTERNAL, "on_rotate %s: killed by signal %d", p->on_rotate.v[0], WTERMSIG(status));
	if (WEXITSTATUS(status) == 127)
		return ith_error(ITH_E_CONFIG, "on_rotate %s: cannot execute (not found?)", p->on_rotate.v[0]);
	if (WEXITSTATUS(status) != 0)
		return ith_error(ITH_E_INTERNAL, "on_rotate %s: exited %d", p->on_rotate.v[0], WEXITSTATUS(status));
	return 0;
}
