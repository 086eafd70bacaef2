#include "hook.h"
#include "error.h"
#include "fs.h"
#include "time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
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

/* The hook running now (its pid and process group), for a signal handler; 0: none. */
static volatile sig_atomic_t running;

pid_t ith_hook_running(void)
{
	return (pid_t)running;
}

/* The signals that stop a helper: blocked from the fork until running is set. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

/* In the child: only async-signal-safe calls until execve. out: the pipe's write end. */
static void child(char *const argv[], char *const envp[], int out, pid_t parent)
{
	int null = open("/dev/null", O_RDONLY);
	sigset_t none;

	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	close_from(3);
	setpgid(0, 0);
	/* never left running unsupervised: with no helper to enforce hook_timeout, it gets SIGTERM */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(argv[0], argv, envp);
	_exit(errno == ENOENT ? 127 : 126);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The hook's output, split into lines for the callback; capped. */
struct relay {
	char line[ITH_HOOK_LINE_MAX + 1];
	size_t len;
	size_t total;
	bool cut;
	ith_hook_output_fn fn;
	void *ud;
};

static void relay_flush(struct relay *rl)
{
	if (!rl->len)
		return;
	rl->line[rl->len] = '\0';
	if (rl->fn)
		rl->fn(rl->ud, rl->line);
	rl->len = 0;
}

static void relay_bytes(struct relay *rl, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (rl->total >= ITH_HOOK_OUTPUT_MAX) {
			if (!rl->cut && rl->fn)
				rl->fn(rl->ud, "(more output dropped)");
			rl->cut = true;
			return;
		}
		rl->total++;
		if (buf[i] == '\n') {
			relay_flush(rl);
			continue;
		}
		if (rl->len == ITH_HOOK_LINE_MAX)
			relay_flush(rl);
		rl->line[rl->len++] = buf[i];
	}
}

/* Read what is there now, never blocking: a grandchild may hold the pipe open for ever. */
static void drain(int fd, struct relay *rl)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			relay_bytes(rl, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;  /* EAGAIN (nothing more now), EOF or an error */
	}
}

/*
 * Wait for the child itself -- never for EOF on its output, which a daemon it
 * started may keep open -- relaying its output meanwhile; kill its process
 * group (TERM, then KILL 2s later) once it outlives timeout_ms.
 */
static int wait_bounded(pid_t pid, int out, int64_t timeout_ms, struct relay *rl, int *status, bool *timed_out)
{
	int64_t deadline = now_ms() + timeout_ms, kill_at = 0;
	bool eof = false;

	*timed_out = false;
	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid) {
			drain(out, rl);
			relay_flush(rl);
			return 0;
		}
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
		if (eof) {
			struct timespec nap = { 0, 20 * 1000 * 1000 };
			nanosleep(&nap, NULL);
		} else {
			struct pollfd pfd = { out, POLLIN, 0 };
			if (poll(&pfd, 1, 20) > 0) {
				char buf[4096];
				ssize_t n = read(out, buf, sizeof(buf));
				if (n > 0)
					relay_bytes(rl, buf, (size_t)n);
				else if (n == 0 || (errno != EAGAIN && errno != EINTR))
					eof = true;
			}
		}
	}
}

/* Fork the hook, its output into pipefd; running is set before a stop signal can be taken. */
static pid_t hook_fork(const struct ith_profile *p, char *const envp[], int pipefd[2])
{
	pid_t parent = getpid(), pid;
	sigset_t block, old;

	stop_signals(&block);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		child(p->on_rotate.v, envp, pipefd[1], parent);
	if (pid > 0) {
		setpgid(pid, pid);  /* also in the parent: no race with kill(-pid) */
		running = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* Why the hook failed, or 0. */
static int hook_result(const struct ith_profile *p, int64_t timeout, int status, bool timed_out, struct ith_strbuf *err)
{
	char limit[32];

	if (timed_out) {
		ith_format_duration(p->hook_timeout, limit, sizeof(limit));
		if (timeout < p->hook_timeout)
			return ith_err(err, ITH_ERR_HOOK_TIMEOUT, "on_rotate %s: killed after %llds (hook_timeout %s, capped by "
				"management.deadline)", p->on_rotate.v[0], (long long)timeout, limit);
		return ith_err(err, ITH_ERR_HOOK_TIMEOUT, "on_rotate %s: killed after the %llds hook_timeout", p->on_rotate.v[0],
			(long long)timeout);
	}
	if (WIFSIGNALED(status))
		return ith_err(err, ITH_ERR_HOOK_FAILED, "on_rotate %s: killed by signal %d", p->on_rotate.v[0], WTERMSIG(status));
	if (WEXITSTATUS(status) == 127)
		return ith_err(err, ITH_ERR_HOOK_EXEC, "on_rotate %s: cannot execute (not found?)", p->on_rotate.v[0]);
	if (WEXITSTATUS(status) != 0)
		return ith_err(err, ITH_ERR_HOOK_FAILED, "on_rotate %s: exited %d", p->on_rotate.v[0], WEXITSTATUS(status));
	return 0;
}

int ith_hook_run(const struct ith_profile *p, int64_t timeout, const struct ith_state_token *t, ith_hook_output_fn fn,
	void *ud, struct ith_strbuf *err)
{
	struct relay rl = { .fn = fn, .ud = ud };
	int pipefd[2];
	char when[32], e_profile[128], e_id[80], e_exp[80];
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", e_profile, e_id, e_exp, NULL };
	bool timed_out;
	int status = 0;
	pid_t pid;

	if (!p->on_rotate.n)
		return 0;
	struct stat st;
	if (stat(p->on_rotate.v[0], &st) < 0)
		return ith_err(err, ITH_ERR_HOOK_EXEC, "on_rotate %s: cannot execute (%s)", p->on_rotate.v[0], strerror(errno));
	/* the program and every directory and link on its way: whoever can replace it runs as us */
	int r = ith_check_trusted_path(p->on_rotate.v[0], "on_rotate program", err);
	if (r < 0)
		return r;
	ith_format_rfc3339(t->expires_at, when, sizeof(when));
	snprintf(e_profile, sizeof(e_profile), "INFLUX_TOKEN_HELPER_PROFILE=%s", p->name);
	snprintf(e_id, sizeof(e_id), "INFLUX_TOKEN_HELPER_TOKEN_ID=%s", t->id);
	snprintf(e_exp, sizeof(e_exp), "INFLUX_TOKEN_HELPER_EXPIRES_AT=%s", when);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ith_err(err, ITH_ERR_IO, "on_rotate: cannot make a pipe: %s", strerror(errno));
	if ((pid = hook_fork(p, envp, pipefd)) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return ith_err(err, ITH_ERR_IO, "on_rotate: cannot fork: %s", strerror(errno));
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	int wr = wait_bounded(pid, pipefd[0], timeout * 1000, &rl, &status, &timed_out), we = errno;
	running = 0;
	close(pipefd[0]);  /* a daemon still holding the write end gets EPIPE: not our wait */
	if (wr < 0)
		return ith_err(err, ITH_ERR_IO, "on_rotate: cannot wait for %s: %s", p->on_rotate.v[0], strerror(we));
	return hook_result(p, timeout, status, timed_out, err);
}
