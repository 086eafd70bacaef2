/*
 * exec NAME -- CMD [ARGS...]: a supervisor (container entrypoint) for a
 * consumer that reads its token once, from its environment. CMD runs with
 * the token in the profile's env_variable; rotations run in the background
 * (helper/sched.h); after each switch, whoever made it (this process, a
 * timer's rotate, a watch), CMD is stopped with --signal, killed after
 * --grace, and started again with the new token. Signals TERM, INT and HUP
 * are forwarded; exec exits with CMD's status (128+N when killed by signal
 * N). Children of any kind are reaped (as PID 1 must). Should exec itself
 * be killed (-9), CMD gets SIGTERM (PR_SET_PDEATHSIG) and, without a
 * terminal, a guardian process ends CMD's whole process group.
 *
 * The token goes only into the envp given to execve(2): never into argv,
 * never into this process's own environment.
 */
#include "cli.h"
#include "layout.h"
#include "commands.h"
#include "sched.h"
#include "time.h"
#include "schedule.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "QUIT", SIGQUIT },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "KILL", SIGKILL },
};

static int parse_signal(const char *s)
{
	char *end;
	long n;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (!strcmp(s, signames[i].name))
			return signames[i].sig;
	errno = 0;
	n = strtol(s, &end, 10);
	if (!errno && !*end && end != s && n > 0 && n < NSIG)
		return (int)n;
	return -1;
}

struct child {
	pid_t pid;
	bool group;                  /* CMD leads a process group of its own: signals reach its children too */
	char id[ITH_UUID_LEN + 1];   /* the token it was given */
	bool restarting;             /* we asked it to stop, to start it again */
	double kill_at;              /* SIGKILL then (0: not asked to stop) */
};

struct execx {
	struct cli *cli;
	const struct ith_profile *p;
	char *name;                  /* the profile, as given (NULL: the only one) */
	char **cmd;
	int restart_sig;
	int64_t grace;
	bool group;                  /* no terminal: CMD leads a process group of its own */
	int guard_fd;                /* the guardian's socket (-1: none) */
	pid_t guard_pid;
	sigset_t set;
	struct stat seen;            /* the state file as last looked at */
};

/*
 * The guardian: should exec itself be killed (SIGKILL, the OOM killer), no
 * one would be left to stop CMD's process group, whose processes would run
 * on with the token (PR_SET_PDEATHSIG reaches CMD alone). So a small child of
 * exec, forked before any secret is read and holding none, waits on a socket:
 * exec writes CMD's process group each time it starts CMD, and -1 when it
 * ends normally. EOF without that -1 means exec is gone: the group gets
 * SIGTERM, then SIGKILL after --grace. It ignores the signals a terminal or a
 * service manager sends to a whole group, to outlive exec.
 */
static void guardian_run(int fd, int64_t grace)
{
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	pid_t group = 0, v;
	ssize_t n;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while ((n = read(fd, &v, sizeof(v))) == (ssize_t)sizeof(v) || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (v < 0)
			_exit(0);
		group = v;
	}
	if (group > 0 && kill(-group, SIGTERM) == 0) {
		for (int64_t i = 0; i < grace * 10 && kill(-group, 0) == 0; i++)
			nanosleep(&nap, NULL);
		kill(-group, SIGKILL);
	}
	_exit(0);
}

/* Fork the guardian (without a terminal only: on one, CMD shares exec's group). */
static void guardian_start(struct execx *x)
{
	int fd[2];

	x->guard_fd = -1;
	/* a socket, not a pipe: a write after the guardian's end must not SIGPIPE exec (MSG_NOSIGNAL) */
	if (!x->group || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	x->guard_pid = fork();
	if (x->guard_pid == 0) {
		close(fd[1]);
		guardian_run(fd[0], x->grace);
	}
	close(fd[0]);
	if (x->guard_pid < 0) {
		close(fd[1]);
		return;
	}
	x->guard_fd = fd[1];
}

/* Tell the guardian CMD's group (> 0), or that exec ends normally (-1: it exits, and is reaped). */
static void guardian_tell(struct execx *x, pid_t v)
{
	if (x->guard_fd < 0)
		return;
	if (send(x->guard_fd, &v, sizeof(v), MSG_NOSIGNAL) != (ssize_t)sizeof(v))
		ith_log(&x->cli->ctx, ITH_LOG_WARN, "exec: the guardian of %s's process group is gone", x->cmd[0]);
	if (v < 0) {
		close(x->guard_fd);
		x->guard_fd = -1;
		waitpid(x->guard_pid, NULL, 0);
	}
}

/* execve with PATH search (as execvp), never through a shell. */
static void exec_path(char **argv, char **envp)
{
	const char *path = getenv("PATH");
	int err = ENOENT;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		err = errno;
	} else {
		if (!path || !*path)
			path = "/usr/local/bin:/usr/bin:/bin";
		while (*path) {
			const char *colon = strchr(path, ':');
			size_t dl = colon ? (size_t)(colon - path) : strlen(path);
			char full[4096];
			if (snprintf(full, sizeof(full), "%.*s%s%s", (int)dl, path, dl ? "/" : "", argv[0]) <
			    (int)sizeof(full)) {
				execve(full, argv, envp);
				if (errno != ENOENT && errno != ENOTDIR)
					err = errno;
			}
			path += dl + (colon ? 1 : 0);
		}
	}
	fprintf(stderr, "influx-token-helper: exec: cannot run '%s': %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

static bool env_is(const char *entry, const char *name)
{
	size_t l = name ? strlen(name) : 0;

	return l && !strncmp(entry, name, l) && entry[l] == '=';
}

/* Start CMD with tok in its environment, in place of any variable of that
 * name, and without the management token's variable (token_env). */
static int start_child(struct execx *x, const struct ith_state_token *tok, struct child *ch, struct ith_strbuf *err)
{
	const char *var = x->p->env_variable;
	size_t n = 0, k = 0;
	struct ith_strbuf entry = ITH_STRBUF_INIT;
	char **envp;
	pid_t pid;

	for (char **e = environ; *e; e++)
		n++;
	envp = ith_xcalloc(n + 2, sizeof(*envp));
	for (char **e = environ; *e; e++)
		if (!env_is(*e, var) && !env_is(*e, x->cli->cfg.token_env))
			envp[k++] = *e;
	entry.secret = true;
	ith_strbuf_addf(&entry, "%s=", var);
	ith_strbuf_add(&entry, tok->token.s, tok->token.len);
	envp[k++] = entry.buf;
	envp[k] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	bool group = x->group;
	pid = fork();
	if (pid == 0) {
		if (group)
			setpgid(0, 0);
		/* CMD never outlives its supervisor (killed with -9, say) unsupervised */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(cli_exit_code(ITH_ERR_INTERNAL));
		sched_child_signals(&x->set);
		umask(cli_orig_umask);
		setrlimit(RLIMIT_CORE, &cli_orig_core);
		exec_path(x->cmd, envp);
	}
	ith_strbuf_release(&entry);  /* wiped */
	free(envp);
	if (pid < 0)
		return ith_err(err, ith_errno_cause(errno), "exec: cannot fork: %s", strerror(errno));
	if (group)
		setpgid(pid, pid);  /* also here: no race with the first signal */
	guardian_tell(x, pid);
	ch->pid = pid;
	ch->group = group;
	ch->restarting = false;
	ch->kill_at = 0;
	snprintf(ch->id, sizeof(ch->id), "%s", tok->id);
	ith_log(&x->cli->ctx, ITH_LOG_INFO, "%s: started %s (pid %d) with token %s in %s", x->p->name, x->cmd[0],
		(int)pid, tok->id, var);
	return 0;
}

/* Has the state file changed since last time (cheap: stat)? */
static bool state_changed(struct execx *x)
{
	char *path = ith_layout_file(x->cli->cfg.state_dir, x->p->name, ITH_LAYOUT_STATE);
	struct stat st;

	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	free(path);
	if (st.st_ino == x->seen.st_ino && st.st_size == x->seen.st_size &&
	    st.st_mtim.tv_sec == x->seen.st_mtim.tv_sec && st.st_mtim.tv_nsec == x->seen.st_mtim.tv_nsec)
		return false;
	x->seen = st;
	return true;
}

/* Signal CMD: its whole process group when it has one. */
static void signal_child(const struct child *ch, int sig)
{
	if (!ch->pid)
		return;
	if (!ch->group || kill(-ch->pid, sig) < 0)
		kill(ch->pid, sig);
}

/* After a change of the state: a new token to serve? Then restart CMD. */
static void check_switch(struct execx *x, struct child *ch)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;  /* nothing to serve: keep CMD as it is */
	struct ith_state_token tok;
	int r = ch->restarting || !ch->pid ? -1 : ith_serving_token(&x->cli->ctx, x->p, &tok, &err);

	ith_strbuf_release(&err);
	if (r < 0)
		return;
	if (strcmp(tok.id, ch->id)) {
		ith_log(&x->cli->ctx, ITH_LOG_INFO, "%s: switched to token %s; restarting %s (pid %d) with signal %d, "
			"SIGKILL after %llds", x->p->name, tok.id, x->cmd[0], (int)ch->pid, x->restart_sig,
			(long long)x->grace);
		signal_child(ch, x->restart_sig);
		ch->restarting = true;
		ch->kill_at = sched_wall() + (double)x->grace;
	}
	ith_state_token_release(&tok);
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return cli_exit_code(ITH_ERR_INTERNAL);
}

/*
 * Options and NAME before "--", CMD after it. Returns 0 to go on, or sets
 * *done and returns the exit status (usage error, or --help).
 */
static int exec_options(struct execx *x, int argc, char **argv, bool *done)
{
	static const struct option opts[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int dd = -1, c;

	*done = true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dd = i;
			break;
		}
	while ((c = getopt_long(dd < 0 ? argc : dd, argv, "+s:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if ((x->restart_sig = parse_signal(optarg)) < 0)
				return cli_usage_error("exec", "--signal: '%s' is not a signal (TERM, HUP, INT, QUIT, USR1, "
					"USR2, or a number)", optarg);
			break;
		case 'g':
			if ((c = cli_duration_option("exec", "--grace", optarg, &x->grace)))
				return c;
			break;
		case 'h': return cli_command_help("exec");
		default: return cli_usage_error("exec", "unknown option");
		}
	}
	if (dd < 0 || dd + 1 >= argc)
		return cli_usage_error("exec", "give the command after '--': exec NAME -- CMD [ARGS...]");
	if (dd - optind > 1)
		return cli_usage_error("exec", "one profile only, after the options: exec [--signal SIG] [--grace D] NAME "
			"-- CMD [ARGS...]");
	x->name = dd - optind == 1 ? argv[optind] : NULL;
	x->cmd = argv + dd + 1;
	*done = false;
	return 0;
}

/* The supervisor's running state, between turns of its loop. */
struct exec_run {
	struct execx *x;
	struct child *ch;
	struct sched *s;
	bool stopping;
	int rc;
};

/*
 * Starts a due rotation (after a pending reload) and SIGKILLs a child past
 * its grace; returns how long to wait for the next signal, in seconds.
 */
static double exec_turn(struct exec_run *e)
{
	struct cli *cli = e->x->cli;
	double wait = ITH_EXEC_POLL;

	if (!e->stopping) {
		if (e->s->reload_pending) {
			struct ith_strbuf err = ITH_STRBUF_INIT;  /* checked by sched_reload: cannot fail */
			sched_reload(e->s);
			cli_profile_one(cli, e->x->name, &e->x->p, &err);
			ith_strbuf_release(&err);
		}
		double due = sched_next(e->s), now = sched_wall();
		if (due <= now) {
			sched_start(e->s);
		} else {
			wait = ith_sleep_for(due, now, wait);
		}
	}
	if (e->ch->pid && e->ch->kill_at) {
		double left = e->ch->kill_at - sched_wall();
		if (left <= 0) {
			ith_log(&cli->ctx, ITH_LOG_WARN, "%s (pid %d) still runs %llds after the signal: SIGKILL",
				e->x->cmd[0], (int)e->ch->pid, (long long)e->x->grace);
			signal_child(e->ch, SIGKILL);
			e->ch->kill_at = sched_wall() + 3600;
		} else if (left < wait) {
			wait = left;
		}
	}
	return wait;
}

/* SIGCHLD: reaps every child. Returns true when exec is done (status in e->rc). */
static bool exec_reap(struct exec_run *e)
{
	int status, r;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (sched_reaped(e->s, pid, status)) {
			if (!e->stopping)
				check_switch(e->x, e->ch);
			continue;
		}
		if (pid != e->ch->pid)
			continue;  /* an orphan we adopted as PID 1 */
		e->ch->pid = 0;
		if (e->ch->restarting && !e->stopping) {
			struct ith_strbuf err = ITH_STRBUF_INIT;
			struct ith_state_token t2;
			if ((r = ith_serving_token(&e->x->cli->ctx, e->x->p, &t2, &err)) == 0) {
				r = start_child(e->x, &t2, e->ch, &err);
				ith_state_token_release(&t2);
			}
			if (r < 0) {
				e->rc = cli_fail(r, &err);
				return true;
			}
			ith_strbuf_release(&err);
			continue;
		}
		e->rc = exit_status(status);
		ith_log(&e->x->cli->ctx, e->stopping ? ITH_LOG_INFO : ITH_LOG_WARN, "%s exited (status %d)%s",
			e->x->cmd[0], e->rc, e->stopping ? "" : "; exiting with its status");
		return true;
	}
	return false;
}

/* TERM, INT, HUP: forwarded; HUP also reloads, the others stop. Returns true when exec is done. */
static bool exec_forward(struct exec_run *e, int sig)
{
	signal_child(e->ch, sig);
	if (sig == SIGHUP) {
		e->s->reload_pending = true;
		return false;
	}
	e->stopping = true;
	sched_stop(e->s);
	if (!e->ch->pid) {
		e->rc = 128 + sig;
		return true;
	}
	if (!e->ch->kill_at)  /* it gets the same grace as for a restart */
		e->ch->kill_at = sched_wall() + (double)e->x->grace;
	return false;
}

/* Supervises until CMD exits for good or a stop signal ends it; returns exec's status. */
static int exec_loop(struct execx *x, struct child *ch, struct sched *s)
{
	struct exec_run e = { x, ch, s, false, 0 };

	for (;;) {
		double wait = exec_turn(&e);
		struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
		siginfo_t info;
		int sig = sigtimedwait(&x->set, &info, &ts);
		if (sig == SIGCHLD) {
			if (exec_reap(&e))
				return e.rc;
		} else if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			if (exec_forward(&e, sig))
				return e.rc;
		} else if (!e.stopping && state_changed(x)) {
			check_switch(x, ch);  /* a switch by another process (timer, watch) */
		}
	}
}

/* The configuration, and a token to start CMD with (rotating when needed, as `get` would); 0 or the exit code. */
static int exec_first_token(struct execx *x, char name[ITH_PROFILE_MAX + 1], struct ith_state_token *tok)
{
	struct cli *cli = x->cli;
	struct ith_strbuf err = ITH_STRBUF_INIT;
	bool stale;
	int r;

	if ((r = cli_load(cli, CLI_STATE)))
		return r;
	if ((r = cli_profile_one(cli, x->name, &x->p, &err)) < 0 ||
	    (r = ith_get(&cli->ctx, x->p, -1, tok, &stale, &err)) < 0)
		return cli_fail(r, &err);
	ith_strbuf_release(&err);
	/*
	 * Rotations run in forked children: none may inherit this process's
	 * connection (its TLS state would be stale after the first child used
	 * it), and the management token has no business staying here.
	 */
	ith_api_close(cli->ctx.api);
	cli->ctx.api = NULL;
	ith_secret_release(&cli->ctx.mgmt);
	/* by name from now on: a reload must keep this profile */
	snprintf(name, ITH_PROFILE_MAX + 1, "%s", x->p->name);
	x->name = name;
	return 0;
}

/* Start CMD and supervise it until it exits for good or a stop signal ends exec; returns exec's status. */
static int exec_run(struct execx *x, struct ith_state_token *tok)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;
	struct child ch;
	struct sched s;
	int rc, r;

	memset(&ch, 0, sizeof(ch));
	if ((rc = sched_init(&s, x->cli, 1, &x->name)))
		return rc;
	s.child_close_fd = x->guard_fd;
	sched_signals(&x->set);
	sched_block_signals(&x->set);
	state_changed(x);
	r = start_child(x, tok, &ch, &err);
	ith_state_token_release(tok);
	if (r < 0) {
		sched_release(&s);
		return cli_fail(r, &err);
	}
	ith_strbuf_release(&err);
	rc = exec_loop(x, &ch, &s);
	sched_stop(&s);
	sched_release(&s);
	return rc;
}

int cmd_exec(struct cli *cli, int argc, char **argv)
{
	struct execx x;
	struct ith_state_token tok;
	char name[ITH_PROFILE_MAX + 1];
	bool done;
	int rc;

	memset(&x, 0, sizeof(x));
	x.cli = cli;
	x.restart_sig = SIGTERM;
	x.grace = 10;
	x.guard_fd = -1;
	if ((rc = exec_options(&x, argc, argv, &done)) || done)
		return rc;
	/* without a terminal (containers, services), CMD and whatever it starts form one group,
	 * signalled as a whole (as tini -g does): a restart leaves no child with the old token;
	 * on a terminal CMD stays in the foreground group, where the terminal's signals reach it */
	x.group = !isatty(STDIN_FILENO);
	guardian_start(&x);  /* before any secret is read */
	if ((rc = exec_first_token(&x, name, &tok)) == 0)
		rc = exec_run(&x, &tok);
	guardian_tell(&x, -1);
	return rc;
}
