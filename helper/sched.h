/*
 * sched.h - the rotation scheduler behind `watch` and `exec`: sleeps until
 * the next moment one of its profiles has something due (engine.h
 * ith_profile_due, from schedule.h: renewal, activation check, sweep, grace
 * end; and the scheduler's own refresh and retry), then runs that profile's
 * rotation in a child process, so that the caller stays responsive to
 * signals (a rotation blocked in an API call is simply stopped: the state
 * it leaves is repaired by the next run, as after a crash). Each profile
 * has its own child, so profiles rotate concurrently: a profile whose
 * on_rotate hangs (up to hook_timeout) holds no other. A stopped rotation
 * ends the process group of the hook it is running. A failed rotation is
 * retried after a capped exponential backoff with jitter (schedule.h
 * ith_retry_backoff, drawing from random()); the sinks keep
 * being served from the cached token meanwhile.
 *
 * Same state, same locks as `rotate`: a timer's rotate or a `get` never
 * conflicts with it.
 *
 * Calling sequence (signals TERM, INT, HUP, CHLD blocked by the caller):
 *     sched_init(&s, cli, n, names);
 *     for (;;) {
 *         double due = sched_next(&s);       // wall-clock seconds; profiles without a running child
 *         if (due <= now) sched_start(&s);   // forks that profile's rotation
 *         ... sigtimedwait ...; sched_reaped(&s, pid, status);
 *     }
 *     sched_stop(&s); sched_release(&s);
 */
#ifndef ITH_SCHED_H
#define ITH_SCHED_H

#include "cli.h"

#include <signal.h>
#include <sys/types.h>

/* Rotations at once, at most: a watch over a hosts_file's thousands of profiles starts them as they end. */
#define SCHED_MAX_CHILDREN 8

struct sched_prof {
	char name[ITH_PROFILE_MAX + 1];
	unsigned failures;
	double retry_at;      /* after a failure: not before this (wall clock) */
	double not_before;    /* after a success: no second cycle within a second */
	double last_cycle;    /* when its last cycle started (0: none yet, or reloaded) */
	pid_t child;          /* its rotation running, or 0 */
	bool due_known;       /* due/due_what hold what the state said (ith_profile_due), read again only after a
	                       * rotation of it ended or a reload: no state file read while idle */
	double due;
	const char *due_what;
};

struct sched {
	struct cli *cli;
	int nnames;
	char **names;         /* as given on the command line (none: every profile) */
	const struct ith_profile **profiles;
	struct sched_prof *ps;   /* parallel to profiles */
	size_t n;
	pid_t *detached;      /* rotations of profiles a reload removed, still running */
	size_t ndetached;
	int child_close_fd;   /* closed in each rotation child (-1: none): exec's guardian socket */
	size_t due_idx;       /* set by sched_next */
	const char *due_what;
	double logged_due;
	bool reload_pending;
	size_t nchildren;     /* rotations running (at most SCHED_MAX_CHILDREN) */
};

/* Signals the long-running commands take with sigtimedwait. */
void sched_signals(sigset_t *set);
/* Block them (with no-op handlers, so that they are queued even as PID 1). */
void sched_block_signals(const sigset_t *set);
/* In a child: default handlers, nothing blocked. */
void sched_child_signals(const sigset_t *set);

int sched_init(struct sched *s, struct cli *cli, int nnames, char **names);
void sched_release(struct sched *s);
/* When the next rotation is due (wall clock, seconds), among the profiles
 * without a rotation running (none, or SCHED_MAX_CHILDREN running: ITH_IDLE_WAIT
 * from now, a child's end wakes the caller); sets due_idx. Each profile's state
 * is read once per cycle (cached until its rotation ends). Logs the plan once
 * per change. */
double sched_next(struct sched *s);
/* Fork the rotation of profile due_idx. */
int sched_start(struct sched *s);
/* pid reaped: ours? Then account for its result. */
bool sched_reaped(struct sched *s, pid_t pid, int status);
/* Reload the configuration (SIGHUP); when it fails, keep the old one.
 * Rotations running go on with the configuration they started with. */
void sched_reload(struct sched *s);
/* Stop every running rotation: SIGTERM (each ends its hook's process group),
 * then SIGKILL what is left after 0.7 s. */
void sched_stop(struct sched *s);
double sched_wall(void);

#endif
