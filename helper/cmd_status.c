#include "cli.h"
#include "commands.h"
#include "health-load.h"
#include "fs.h"
#include "time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool sink_present(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Prints the health of n profiles in fmt (text, json, influx, prometheus). */
static void status_print(struct cli *cli, const struct ith_health *hs, size_t n, const char *fmt, bool from,
	int64_t now)
{
	struct ith_strbuf out = ITH_STRBUF_INIT;

	if (!strcmp(fmt, "json")) {
		ith_health_json(cli->ctx.instance, hs, n, &out);
	} else if (!strcmp(fmt, "influx")) {
		for (size_t i = 0; i < n; i++)
			ith_health_influx(&hs[i], &out);
	} else if (!strcmp(fmt, "prometheus")) {
		ith_health_prometheus(hs, n, &out);
	} else {
		for (size_t i = 0; i < n; i++)
			ith_health_text(&hs[i], now, sink_present, &out);
		if (!from)
			ith_strbuf_addf(&out, "instance: %s\n", cli->ctx.instance[0] ? cli->ctx.instance : "(none yet)");
	}
	fputs(out.buf ? out.buf : "", stdout);
	ith_strbuf_release(&out);
}

/*
 * The profiles to report on: the NAMEs given, or all, from the config (and
 * the state, or its public copies when the state is not ours to read).
 * Returns 0, or the exit status.
 */
static int status_profiles(struct cli *cli, int argc, char **argv, const struct ith_profile ***profiles,
	size_t *n, bool *public)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;
	int rc, r;

	if ((rc = cli_load(cli, CLI_CONFIG)) || (rc = cli_profiles(cli, argc, argv, profiles, n)))
		return rc;
	r = ith_ctx_init(&cli->ctx, &cli->cfg, true, NULL, NULL, &err);
	if (r == 0) {
		cli->ctx_ready = true;
	} else if ((r == ITH_ERR_UNSAFE || r == ITH_ERR_ACCESS) && cli->cfg.status_dir) {
		*public = true;  /* not ours to read: the published, secret-free copies */
	} else {
		free(*profiles);
		return cli_fail(r, &err);
	}
	ith_strbuf_release(&err);
	return 0;
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "from", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ith_profile **profiles = NULL;
	const char *fmt = "text", *from = NULL;
	char **names = NULL;
	struct ith_health *hs;
	bool public = false;
	size_t n = 0;
	int64_t now = ith_now();
	int c, rc, r;

	while ((c = getopt_long(argc, argv, "f:F:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'F': from = optarg; break;
		case 'h': return cli_command_help("status");
		default: return cli_usage_error("status", "unknown option");
		}
	}
	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "influx") && strcmp(fmt, "prometheus"))
		return cli_usage_error("status", "unknown format '%s' (text, json, influx, prometheus)", fmt);
	if (from) {
		if (optind < argc) {
			n = (size_t)(argc - optind);
			names = ith_xcalloc(n, sizeof(*names));
			for (size_t i = 0; i < n; i++)
				names[i] = ith_xstrdup(argv[optind + (int)i]);
		} else {
			struct ith_strbuf err = ITH_STRBUF_INIT;
			if ((r = ith_health_published_names(from, &names, &n, &err)) < 0)
				return cli_fail(r, &err);
			ith_strbuf_release(&err);
		}
	} else if ((rc = status_profiles(cli, argc - optind, argv + optind, &profiles, &n, &public))) {
		return rc;
	}
	hs = ith_xcalloc(n, sizeof(*hs));
	for (size_t i = 0; i < n; i++) {
		if (from)
			ith_health_load_published(from, names[i], now, &hs[i]);
		else
			ith_health_load(&cli->cfg, profiles[i], cli->ctx.instance, public, now, &hs[i]);
	}
	/* Unhealthy profiles are data, not failures: exit 0 so inputs.exec keeps collecting. */
	status_print(cli, hs, n, fmt, from != NULL, now);
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(hs);
	free(profiles);
	return 0;
}
