#include "cli.h"

#include <getopt.h>
#include <stdlib.h>

int cmd_rotate(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ith_profile **profiles = NULL;
	size_t n = 0;
	int flags = 0, c, rc = 0;

	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': flags |= ITH_ROTATE_FORCE; break;
		case 'h': return cli_command_help("rotate");
		default: return cli_usage_error("rotate", "unknown option");
		}
	}
	if ((rc = cli_load(cli, true)) || (rc = cli_profiles(cli, argc - optind, argv + optind, &profiles, &n)))
		return rc;
	/* Every profile gets its chance; the first failure decides the exit code. */
	for (size_t i = 0; i < n; i++) {
		struct ith_rotate_result res;
		int r = ith_rotate(&cli->ctx, profiles[i], flags, &res);
		if (r < 0) {
			int e = cli_fail(r);
			if (!rc)
				rc = e;
			continue;
		}
		if (!res.rotated && !res.revoked && !res.sinks_written)
			ith_log(&cli->ctx, ITH_LOG_DEBUG, "%s: nothing due", profiles[i]->name);
		else if (res.rotated)
			ith_log(&cli->ctx, ITH_LOG_INFO, "%s: rotated to %s%s%s", profiles[i]->name, res.new_id,
				res.old_id[0] ? "; kept " : "", res.old_id[0] ? res.old_id : "");
	}
	free(profiles);
	return rc;
}
