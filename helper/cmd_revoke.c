#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

int cmd_revoke(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ith_profile **profiles = NULL;
	bool all = false, dry = false;
	size_t n = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "anh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'n': dry = true; break;
		case 'h': return cli_command_help("revoke");
		default: return cli_usage_error("revoke", "unknown option");
		}
	}
	if (all == (optind < argc))
		return cli_usage_error("revoke", "name the profiles to decommission, or give --all");
	if ((rc = cli_load(cli, dry ? CLI_STATE_READONLY : CLI_STATE)) ||
	    (rc = cli_profiles(cli, argc - optind, argv + optind, &profiles, &n)))
		return rc;
	struct cli_failures fails = CLI_FAILURES_INIT;
	for (size_t i = 0; i < n; i++) {
		struct ith_strbuf plan = ITH_STRBUF_INIT, err = ITH_STRBUF_INIT;
		unsigned revoked = 0;
		int r = ith_revoke_profile(&cli->ctx, profiles[i], dry, &plan, &revoked, &err);
		if (r < 0) {
			cli_profile_fail(&fails, profiles[i]->name, r, &err);
		} else if (dry) {
			fputs(plan.buf ? plan.buf : "", stdout);
		} else {
			printf("%s: revoked %u token(s); removed sinks and state\n", profiles[i]->name, revoked);
		}
		ith_strbuf_release(&plan);
		ith_strbuf_release(&err);
	}
	free(profiles);
	return cli_failures_flush(&fails);
}
