#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* What a revoke would do, from local state alone (no API call). */
static int plan(struct cli *cli, const struct ith_profile *p)
{
	struct ith_state st;
	int r = ith_state_load(cli->cfg.state_dir, p->name, cli->ctx.instance, &st);

	if (r < 0)
		return cli_fail(r);
	printf("%s: would revoke", p->name);
	if (st.has_current)
		printf(" %s (current)", st.current.id);
	if (st.has_next)
		printf(" %s (next)", st.next.id);
	for (size_t i = 0; i < st.nretired; i++)
		printf(" %s (retired)", st.retired[i].id);
	printf(" and any orphans of this instance; would remove %zu sink file(s) and the state\n", p->nsinks);
	ith_state_release(&st);
	return 0;
}

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
	if ((rc = cli_load(cli, true)) || (rc = cli_profiles(cli, argc - optind, argv + optind, &profiles, &n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		unsigned revoked = 0;
		int r;
		if (dry) {
			if ((r = plan(cli, profiles[i])) && !rc)
				rc = r;
			continue;
		}
		r = ith_revoke_profile(&cli->ctx, profiles[i], &revoked);
		if (r < 0) {
			int e = cli_fail(r);
			if (!rc)
				rc = e;
			continue;
		}
		printf("%s: revoked %u token(s); removed sinks and state\n", profiles[i]->name, revoked);
	}
	free(profiles);
	return rc;
}
