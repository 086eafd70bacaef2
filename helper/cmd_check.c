#include "cli.h"
#include "fs.h"
#include "time.h"
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * A file sink that does not exist yet: Telegraf resolves every secret when it
 * loads its config, so a secretstores.docker (or a LoadCredential=) reading
 * this file stops all of Telegraf from starting. The helper cannot read
 * Telegraf's config to know which sinks it uses: it warns about each one.
 * A warning, not an error: before the first rotate this is the normal state.
 */
static void warn_missing_sinks(const struct ith_config *cfg)
{
	struct stat st;

	for (size_t i = 0; i < cfg->nprofiles; i++) {
		const struct ith_profile *p = &cfg->profiles[i];
		for (size_t j = 0; j < p->nsinks && !p->host; j++) {  /* hosts: counted by check_hosts */
			if (p->sinks[j].type != ITH_SINK_FILE || lstat(p->sinks[j].path, &st) == 0 || errno != ENOENT)
				continue;
			fprintf(stderr, "influx-token-helper: warning: file sink '%s' of profile '%s' does not exist yet; "
				"Telegraf does not start while a secret store or LoadCredential= it reads is missing: "
				"run `influx-token-helper rotate` (or start influx-token-helper.service) before Telegraf\n",
				p->sinks[j].path, p->name);
		}
	}
}

/* Each hosts_file: its error (78), or how many hosts it lists, are retired, have no file sink yet. Offline (the
 * configuration alone), a hosts_file not there yet is a note: it is read on every run. */
static int check_hosts(const struct ith_config *cfg, bool offline)
{
	int rc = 0;

	for (size_t b = 0; b < cfg->nbases; b++) {
		const struct ith_profile *base = &cfg->bases[b];
		size_t hosts = 0, removed = 0, missing = 0, blen = strlen(base->name);
		struct stat st;
		for (size_t i = 0; i < cfg->nprofiles; i++) {
			const struct ith_profile *p = &cfg->profiles[i];
			if (p->hosts_cause && !strcmp(p->name, base->name) && offline && p->hosts_cause == ITH_ERR_FILE_NOT_FOUND) {
				printf("hosts_file:       %s not there yet (read on every run; rotate needs it)\n", base->hosts_file);
			} else if (p->hosts_cause && !strcmp(p->name, base->name)) {
				fprintf(stderr, "influx-token-helper: %s\n", p->hosts_error);
				rc = rc ? rc : cli_exit_code(p->hosts_cause);
			}
			if (!p->host || strncmp(p->name, base->name, blen) || p->name[blen] != '@')
				continue;
			hosts += !p->host_removed;
			removed += p->host_removed;
			for (size_t j = 0; j < p->nsinks && !p->host_removed; j++)
				missing += p->sinks[j].type == ITH_SINK_FILE && lstat(p->sinks[j].path, &st) < 0 && errno == ENOENT;
		}
		if (hosts)
			printf("hosts_file:       %s ok (%s: %zu hosts, %zu removed awaiting decommission, %zu file sinks "
				"not written yet)\n", base->hosts_file, base->name, hosts, removed, missing);
	}
	return rc;
}

/* Each remote sink (vault, kubernetes) read, changing nothing: does it hold the current token? rotate with
 * nothing due does not look (its publish record says what it published), so this is where drift shows: a
 * secret deleted or changed there. 75 when one does not hold it (each is named, with the repair). */
static int check_remote(struct cli *cli)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;
	unsigned checked = 0, stale = 0;
	int r;

	for (size_t i = 0; i < cli->cfg.nprofiles; i++)
		if ((r = ith_check_remote_sinks(&cli->ctx, &cli->cfg.profiles[i], &checked, &stale, &err)) < 0)
			return cli_fail(r, &err);
	ith_strbuf_release(&err);
	if (!checked)
		return 0;
	printf("remote sinks:     %u read, %u holding the current token\n", checked, checked - stale);
	return stale ? cli_exit_code(ITH_ERR_SINK_CONFLICT) : 0;
}

/* A hook_timeout longer than management.deadline is cut to it when the hook runs: say so. */
static void warn_hook_timeouts(const struct ith_config *cfg)
{
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		const struct ith_profile *p = &cfg->profiles[i];
		char t[32], d[32];
		if (!p->on_rotate.n || p->hook_timeout <= cfg->deadline)
			continue;
		ith_format_duration(p->hook_timeout, t, sizeof(t));
		ith_format_duration(cfg->deadline, d, sizeof(d));
		fprintf(stderr, "influx-token-helper: warning: profile '%s': hook_timeout %s is longer than "
			"management.deadline %s: on_rotate is killed after %s\n", p->name, t, d, d);
	}
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offline", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool offline = false;
	struct ith_token_list l = { NULL, 0 };
	struct ith_strbuf err = ITH_STRBUF_INIT;
	struct ith_list_stats stats;
	struct ith_api *api;
	int c, r;

	while ((c = getopt_long(argc, argv, "oh", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_command_help("check");
		if (c == 'o') {
			offline = true;
			continue;
		}
		return cli_usage_error("check", "unknown option");
	}
	if (optind < argc)
		return cli_usage_error("check", "no arguments expected");
	if ((r = cli_load(cli, CLI_CONFIG)))
		return r;
	printf("config:           %s ok (%zu token profile%s)\n", cli->cfg.path, cli->cfg.nprofiles,
		cli->cfg.nprofiles == 1 ? "" : "s");
	warn_missing_sinks(&cli->cfg);
	warn_hook_timeouts(&cli->cfg);
	int hrc = check_hosts(&cli->cfg, offline);
	if (offline || hrc)
		return hrc;
	if ((r = cli_load(cli, CLI_STATE)))
		return r;
	printf("state_dir:        %s ok\n", cli->cfg.state_dir);
	printf("instance:         %s\n", cli->ctx.instance);
	if (cli->cfg.prometheus_textfile) {
		if ((r = ith_write_check(cli->cfg.prometheus_textfile, "prometheus_textfile", &err)) < 0)
			return cli_fail(r, &err);
		printf("prometheus_textfile: %s ok (directory writable; written after each rotation)\n",
			cli->cfg.prometheus_textfile);
	}
	if ((r = ith_ctx_api(&cli->ctx, &api, &err)) < 0)
		return cli_fail(r, &err);
	printf("management token: loaded from %s\n", cli->cfg.token_file ? cli->cfg.token_file :
		cli->cfg.token_env ? "the environment" : "$CREDENTIALS_DIRECTORY");
	if ((r = ith_list_ours(&cli->ctx, api, &l, &stats, &err)) < 0)
		return cli_fail(r, &err);
	ith_strbuf_release(&err);
	printf("management API:   %s ok (%zu tokens on the cluster, %zu of this instance)\n", cli->cfg.url,
		stats.total, stats.ours);
	ith_token_list_release(&l);
	return check_remote(cli);
}
