#include "cli.h"
#include "hosts.h"
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * A name the configuration does not have: a profile removed from it, whose
 * tokens this instance made (found by their ownership marker) and whose
 * state may be left. Its sinks are not known any more.
 */
static void revoke_unconfigured(struct cli *cli, const char *name, bool dry, struct cli_failures *fails)
{
	struct ith_strbuf plan = ITH_STRBUF_INIT, err = ITH_STRBUF_INIT;
	unsigned revoked = 0;
	bool known = false;
	int r;

	if (!ith_valid_profile_ref(name)) {
		r = ith_err(&err, ITH_ERR_USAGE, "'%.320s' is not a profile name", name);
	} else if ((r = ith_revoke_unconfigured(&cli->ctx, name, dry, &plan, &revoked, &known, &err)) == 0 && !known) {
		r = ith_err(&err, ITH_ERR_USAGE, "no token profile named '%s' in %s, and no token of this instance carries "
			"its marker", name, cli->cfg.path);
	}
	if (r < 0) {
		cli_profile_fail(fails, name, r, &err);
	} else if (dry) {
		printf("%s%s: its sinks are not known any more (the configuration no longer names them): remove them "
			"yourself\n", plan.buf ? plan.buf : "", name);
	} else {
		printf("%s: revoked %u token(s) of a profile no longer configured; removed its state; its sinks are not "
			"known any more: remove them yourself\n", name, revoked);
	}
	ith_strbuf_release(&plan);
	ith_strbuf_release(&err);
}

static void revoke_one(struct cli *cli, const struct ith_profile *p, bool dry, struct cli_failures *fails)
{
	struct ith_strbuf plan = ITH_STRBUF_INIT, err = ITH_STRBUF_INIT;
	unsigned revoked = 0;
	int r = ith_revoke_profile(&cli->ctx, p, dry, &plan, &revoked, &err);

	if (r < 0)
		cli_profile_fail(fails, p->name, r, &err);
	else if (dry)
		fputs(plan.buf ? plan.buf : "", stdout);
	else
		printf("%s: revoked %u token(s); removed sinks and state\n", p->name, revoked);
	ith_strbuf_release(&plan);
	ith_strbuf_release(&err);
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
	if ((rc = cli_load(cli, dry ? CLI_STATE_READONLY : CLI_STATE)) || (all && (rc = cli_profiles(cli, 0, NULL,
		&profiles, &n))))
		return rc;
	struct cli_failures fails = CLI_FAILURES_INIT;
	for (size_t i = 0; i < n; i++)
		revoke_one(cli, profiles[i], dry, &fails);
	for (int i = optind; i < argc; i++) {
		struct ith_strbuf ignored = ITH_STRBUF_INIT;  /* not configured: the marker decides */
		const struct ith_profile **sel;
		size_t k;
		if (ith_hosts_select(&cli->cfg, argv[i], &sel, &k, &ignored) == 0) {  /* NAME: every host of it */
			for (size_t j = 0; j < k; j++)
				revoke_one(cli, sel[j], dry, &fails);
			free(sel);
		} else {
			revoke_unconfigured(cli, argv[i], dry, &fails);
		}
		ith_strbuf_release(&ignored);
	}
	free(profiles);
	return cli_failures_flush(&fails);
}
