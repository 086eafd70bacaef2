#include "cli.h"
#include "commands.h"
#include "sched.h"
#include "schedule.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

int cmd_watch(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sched s;
	sigset_t set;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_command_help("watch");
		default: return cli_usage_error("watch", "unknown option");
		}
	}
	if ((rc = cli_load(cli, CLI_STATE)) || (rc = sched_init(&s, cli, argc - optind, argv + optind)))
		return rc;
	sched_signals(&set);
	sched_block_signals(&set);
	ith_log(&cli->ctx, ITH_LOG_INFO, "watching %zu profile%s of %s", s.n, s.n == 1 ? "" : "s", cli->cfg.path);
	for (;;) {
		double wait;

		if (s.reload_pending)
			sched_reload(&s);
		double due = sched_next(&s), now = sched_wall();
		if (due <= now) {
			sched_start(&s);
			continue;
		}
		/* just after the due moment, and no later than the state's next re-read */
		wait = ith_sleep_for(due, now, ITH_WATCH_MAX_SLEEP);
		struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
		siginfo_t info;
		int sig = sigtimedwait(&set, &info, &ts);
		if (sig < 0)
			continue;  /* EAGAIN: time is up; EINTR */
		if (sig == SIGCHLD) {
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				sched_reaped(&s, pid, status);
		} else if (sig == SIGHUP) {
			s.reload_pending = true;
		} else {
			ith_log(&cli->ctx, ITH_LOG_INFO, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			sched_stop(&s);
			break;
		}
	}
	sched_release(&s);
	return 0;
}
