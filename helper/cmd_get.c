#include "cli.h"
#include "commands.h"
#include "output.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_get(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "min-ttl", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ith_format fmt = ITH_FMT_RAW;
	int64_t min_ttl = -1;
	const struct ith_profile *p;
	struct ith_state_token tok;
	struct ith_strbuf out = ITH_STRBUF_INIT, err = ITH_STRBUF_INIT;
	bool stale;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (ith_format_parse(optarg, &fmt, &err) < 0) {
				r = cli_usage_error("get", "%s", ith_err_msg(&err));
				ith_strbuf_release(&err);
				return r;
			}
			break;
		case 't':
			if ((r = cli_duration_option("get", "--min-ttl", optarg, &min_ttl)))
				return r;
			break;
		case 'h':
			return cli_command_help("get");
		default:
			return cli_usage_error("get", "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("get", "at most one profile NAME");
	if ((r = cli_load(cli, CLI_STATE)))
		return r;
	if ((r = cli_profile_one(cli, optind < argc ? argv[optind] : NULL, &p, &err)) < 0 ||
	    (r = ith_get(&cli->ctx, p, min_ttl, &tok, &stale, &err)) < 0)
		return cli_fail(r, &err);
	ith_strbuf_release(&err);
	ith_format_token(fmt, p, &tok, &out);
	r = cli_write_stdout(out.buf, out.len);
	ith_strbuf_release(&out);
	ith_state_token_release(&tok);
	return r;
}
