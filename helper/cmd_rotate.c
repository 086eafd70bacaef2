#include "cli.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_rotate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ith_profile **profiles = NULL;
	size_t n = 0;
	int flags = ITH_ROTATE_WAIT, c, rc = 0;

	while ((c = getopt_long(argc, argv, "fnh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': flags |= ITH_ROTATE_FORCE; break;
		case 'n': flags |= ITH_ROTATE_DRY_RUN; break;
		case 'h': return cli_command_help("rotate");
		default: return cli_usage_error("rotate", "unknown option");
		}
	}
	if ((rc = cli_load(cli, flags & ITH_ROTATE_DRY_RUN ? CLI_STATE_READONLY : CLI_STATE)) ||
	    (rc = cli_profiles(cli, argc - optind, argv + optind, &profiles, &n)))
		return rc;
	/* Every profile gets its chance; the first failure decides the exit code. */
	struct cli_failures fails = CLI_FAILURES_INIT;
	for (size_t i = 0; i < n; i++) {
		struct ith_strbuf err = ITH_STRBUF_INIT;
		struct ith_rotate_result res;
		int r = ith_rotate(&cli->ctx, profiles[i], flags, &res, &err);
		if (r < 0) {
			cli_profile_fail(&fails, profiles[i]->name, r, &err);
		} else if (flags & ITH_ROTATE_DRY_RUN) {
			fputs(res.plan.buf ? res.plan.buf : "", stdout);
		} else if (!res.created && !res.rotated && !res.revoked && !res.sinks_written && !res.patched) {
			ith_log(&cli->ctx, ITH_LOG_DEBUG, "%s: nothing due", profiles[i]->name);
		}
		ith_rotate_result_release(&res);
		ith_strbuf_release(&err);
	}
	if (!(flags & ITH_ROTATE_DRY_RUN))
		cli_prometheus_textfile(cli);
	free(profiles);
	return cli_failures_flush(&fails);
}
