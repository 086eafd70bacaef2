#include "sched.h"
#include "hook.h"
#include "hosts.h"
#include "time.h"
#include "schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double sched_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sched_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

static void noop(int sig)
{
	(void)sig;
}

/* Give every signal of set this handler, then block or unblock them (how). */
static void signals_set(const sigset_t *set, void (*handler)(int), int how)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig) == 1)
			sigaction(sig, &sa, NULL);
	sigprocmask(how, set, NULL);
}

void sched_block_signals(const sigset_t *set)
{
	signals_set(set, noop, SIG_BLOCK);
}

void sched_child_signals(const sigset_t *set)
{
	signals_set(set, SIG_DFL, SIG_UNBLOCK);
}

/* A running rotation of a profile that a reload removed: still reaped, and stopped with the others. */
static void detach(struct sched *s, pid_t pid)
{
	s->detached = realloc(s->detached, (s->ndetached + 1) * sizeof(*s->detached));
	if (!s->detached)
		abort();
	s->detached[s->ndetached++] = pid;
}

static void profiles_set(struct sched *s, const struct ith_profile **v, size_t n)
{
	struct sched_prof *ps = ith_xcalloc(n ? n : 1, sizeof(*ps));

	/* keep the backoff (and the running rotation) of profiles that stay */
	for (size_t i = 0; i < n; i++) {
		snprintf(ps[i].name, sizeof(ps[i].name), "%s", v[i]->name);
		for (size_t j = 0; j < s->n; j++)
			if (!strcmp(s->ps[j].name, v[i]->name)) {
				ps[i] = s->ps[j];
				s->ps[j].child = 0;
				ps[i].last_cycle = 0;  /* a new configuration: refresh its sinks at once */
				ps[i].due_known = false;
			}
	}
	for (size_t j = 0; j < s->n; j++)
		if (s->ps[j].child)
			detach(s, s->ps[j].child);
	free(s->profiles);
	free(s->ps);
	s->profiles = v;
	s->ps = ps;
	s->n = n;
}

int sched_init(struct sched *s, struct cli *cli, int nnames, char **names)
{
	const struct ith_profile **v;
	size_t n;
	int rc;

	memset(s, 0, sizeof(*s));
	s->child_close_fd = -1;
	s->cli = cli;
	s->nnames = nnames;
	s->names = names;
	if ((rc = cli_profiles(cli, nnames, names, &v, &n)))
		return rc;
	profiles_set(s, v, n);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	return 0;
}

void sched_release(struct sched *s)
{
	free(s->profiles);
	free(s->ps);
	free(s->detached);
	s->profiles = NULL;
	s->ps = NULL;
	s->detached = NULL;
	s->n = s->ndetached = 0;
}

/* When profile i has something due next (wall clock), as the core and the schedule say; *what names it. */
static double profile_due(struct sched *s, size_t i, int64_t now, const char **what)
{
	struct sched_prof *sp = &s->ps[i];

	/* a state that cannot be read is due now: the rotation reports it (and backs off) */
	if (!sp->due_known) {
		sp->due = (double)ith_profile_due(&s->cli->ctx, s->profiles[i], now, (int64_t)sp->last_cycle, &sp->due_what);
		sp->due_known = true;
	}
	*what = sp->due_what;
	return ith_cycle_due(sp->due, (double)now, sp->last_cycle, sp->retry_at, sp->not_before, what);
}

/* The jitter's draw: uniform in [0, 1], from random() (seeded in sched_init). */
static double draw_random(void *ud)
{
	(void)ud;
	return (double)random() / (double)RAND_MAX;
}

double sched_next(struct sched *s)
{
	int64_t now = ith_now();
	double best = 0;
	bool found = false;

	s->due_idx = 0;
	s->due_what = "";
	if (s->nchildren >= SCHED_MAX_CHILDREN)
		return sched_wall() + ITH_IDLE_WAIT;  /* a child's end (SIGCHLD) wakes the caller */
	for (size_t i = 0; i < s->n; i++) {
		const char *what;
		double due;
		if (s->ps[i].child)
			continue;  /* its rotation runs: the next moment is known once it ends */
		due = profile_due(s, i, now, &what);
		if (!found || due < best) {
			best = due;
			s->due_idx = i;
			s->due_what = what;
			found = true;
		}
	}
	if (!found)
		return sched_wall() + ITH_IDLE_WAIT;
	if (best > sched_wall() && best != s->logged_due) {
		char when[32];
		ith_format_rfc3339((int64_t)best, when, sizeof(when));
		ith_log(&s->cli->ctx, strcmp(s->due_what, "refresh") ? ITH_LOG_INFO : ITH_LOG_DEBUG,
			"%s: next: %s at %s (in %.0fs)", s->profiles[s->due_idx]->name, s->due_what, when, best - sched_wall());
		s->logged_due = best;
	}
	return best;
}

/* The child: one profile's rotation, as `rotate NAME` would do it (without
 * waiting for activation: the scheduler comes back for that). */
static int child_rotate(struct sched *s, const struct ith_profile *p)
{
	struct cli *cli = s->cli;
	struct ith_strbuf err = ITH_STRBUF_INIT;
	struct ith_rotate_result res;
	int r = ith_rotate(&cli->ctx, p, 0, &res, &err), rc = 0;

	ith_rotate_result_release(&res);
	if (r == ITH_ERR_NO_VALID_TOKEN && res.pending) {
		/* the rotation did its part; the activation check comes on its own schedule, not a backoff */
		ith_log(&cli->ctx, ITH_LOG_WARN, "%s", ith_err_msg(&err));
		r = 0;
	}
	if (r < 0) {
		rc = cli_fail(r, &err);
		/* keep serving the cached token (e.g. /run emptied while the API is down) */
		if (ith_publish_cached(&cli->ctx, p, &err) < 0)
			ith_log(&cli->ctx, ITH_LOG_DEBUG, "%s: cached token not republished: %s", p->name, ith_err_msg(&err));
	}
	ith_strbuf_release(&err);
	cli_prometheus_textfile(cli);
	return rc;
}

/*
 * A rotation stopped (SIGTERM from sched_stop; SIGINT or SIGHUP from a
 * terminal) takes the process group of the hook it runs with it: SIGTERM,
 * up to 0.5 s for the hook to end, then SIGKILL for what is left of the
 * group. Async-signal-safe calls only.
 */
static void child_stop(int sig)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	pid_t hook = ith_hook_running();

	if (hook > 0) {
		kill(-hook, SIGTERM);
		for (int i = 0; i < 25 && waitpid(hook, NULL, WNOHANG) == 0; i++)
			nanosleep(&nap, NULL);
		kill(-hook, SIGKILL);
	}
	_exit(128 + sig);
}

static void child_setup(struct sched *s)
{
	struct sigaction sa;
	sigset_t set;

	sched_signals(&set);
	sched_child_signals(&set);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_stop;
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (s->child_close_fd >= 0)
		close(s->child_close_fd);
}

int sched_start(struct sched *s)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ith_log(&s->cli->ctx, ITH_LOG_WARN, "cannot fork a rotation: %s", strerror(errno));
		s->ps[s->due_idx].retry_at = sched_wall() + ITH_BACKOFF_FIRST;
		return -1;
	}
	if (pid == 0) {
		child_setup(s);
		int rc = child_rotate(s, s->profiles[s->due_idx]);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	s->ps[s->due_idx].child = pid;
	s->ps[s->due_idx].last_cycle = sched_wall();
	s->nchildren++;
	ith_log(&s->cli->ctx, ITH_LOG_DEBUG, "%s: rotating (%s)", s->profiles[s->due_idx]->name, s->due_what);
	return 0;
}

bool sched_reaped(struct sched *s, pid_t pid, int status)
{
	struct sched_prof *sp = NULL;

	for (size_t i = 0; i < s->ndetached; i++)
		if (s->detached[i] == pid) {
			s->detached[i] = s->detached[--s->ndetached];
			s->nchildren--;
			return true;
		}
	for (size_t i = 0; i < s->n && !sp; i++)
		if (s->ps[i].child && s->ps[i].child == pid)
			sp = &s->ps[i];
	if (!sp)
		return false;
	sp->child = 0;
	sp->due_known = false;  /* its state changed: read it again */
	s->nchildren--;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		sp->failures = 0;
		sp->retry_at = 0;
		sp->not_before = sched_wall() + ITH_CYCLE_GAP;
		return true;
	}
	sp->failures++;
	double d = ith_retry_backoff(sp->failures, draw_random, NULL);
	sp->retry_at = sched_wall() + d;
	if (WIFEXITED(status))
		ith_log(&s->cli->ctx, ITH_LOG_WARN, "%s: rotation failed (exit %d, %u in a row); retrying in %.0fs",
			sp->name, WEXITSTATUS(status), sp->failures, d);
	else
		ith_log(&s->cli->ctx, ITH_LOG_WARN, "%s: rotation stopped by signal %d; retrying in %.0fs", sp->name,
			WTERMSIG(status), d);
	return true;
}

void sched_reload(struct sched *s)
{
	struct cli *cli = s->cli;
	struct ith_config cfg = ITH_CONFIG_INIT;
	struct ith_strbuf err = ITH_STRBUF_INIT;
	struct ith_ctx ctx;
	const struct ith_profile **v;
	size_t n;
	int r;

	s->reload_pending = false;
	if ((r = ith_config_load(&cfg, ith_config_default_path(cli->config_opt), &err)) == 0) {
		ith_hosts_expand(&cfg);  /* hosts_file read again: hosts added or removed since */
		for (int i = 0; i < s->nnames && r == 0; i++) {
			const struct ith_profile **sel;
			size_t k;
			r = ith_hosts_select(&cfg, s->names[i], &sel, &k, &err);
			free(sel);
		}
		if (r == 0)
			r = ith_ctx_init(&ctx, &cfg, false, cli->ctx.log, cli->ctx.log_ud, &err);
		if (r < 0)
			ith_config_release(&cfg);
	}
	if (r < 0)
		ith_log(&cli->ctx, ITH_LOG_WARN, "reload: %s; keeping the running configuration", ith_err_msg(&err));
	ith_strbuf_release(&err);
	if (r < 0)
		return;
	ith_ctx_release(&cli->ctx);
	ith_config_release(&cli->cfg);
	cli->cfg = cfg;
	cli->ctx = ctx;
	cli->ctx.cfg = &cli->cfg;
	/* the names were checked above: this cannot fail */
	if (cli_profiles(cli, s->nnames, s->names, &v, &n) == 0)
		profiles_set(s, v, n);
	s->logged_due = 0;
	ith_log(&cli->ctx, ITH_LOG_INFO, "reloaded %s: %zu profile%s", cli->cfg.path, s->n, s->n == 1 ? "" : "s");
}

/* Every running rotation's pid into v (at most s->n + s->ndetached); returns how many. */
static size_t running(const struct sched *s, pid_t *v)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->ps[i].child)
			v[k++] = s->ps[i].child;
	for (size_t i = 0; i < s->ndetached; i++)
		v[k++] = s->detached[i];
	return k;
}

void sched_stop(struct sched *s)
{
	double deadline = sched_wall() + 0.7;
	pid_t *v = ith_xcalloc(s->n + s->ndetached + 1, sizeof(*v));
	size_t n = running(s, v), left = n;
	int status;

	for (size_t i = 0; i < n; i++)
		kill(v[i], SIGTERM);
	while (left) {
		for (size_t i = 0; i < n; i++) {
			pid_t w = v[i] ? waitpid(v[i], &status, WNOHANG) : 0;
			if (w == v[i] || (w < 0 && errno == ECHILD)) {
				v[i] = 0;
				left--;
			}
		}
		if (left && sched_wall() >= deadline) {
			for (size_t i = 0; i < n; i++)
				if (v[i] && kill(v[i], SIGKILL) == 0)
					waitpid(v[i], &status, 0);
			break;
		}
		if (left)
			nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->ps[i].child) {
			ith_log(&s->cli->ctx, ITH_LOG_INFO, "%s: rotation in progress stopped (the next run repairs its state)",
				s->ps[i].name);
			s->ps[i].child = 0;
		}
	s->ndetached = 0;
	free(v);
}
