/*
 * influx-token-helper - keeps InfluxDB Cloud Dedicated database tokens
 * short-lived and always valid. main() only hardens the process, parses the
 * global options and dispatches to helper/cmd_*.c (commands.h) through the
 * table below; what the commands share is helper/cli.c's.
 */
#include "cli.h"
#include "commands.h"
#include "version.h"
#include "time.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct cli_command commands[] = {
	{ "get", cmd_get, "get [NAME] [--format raw|json|env|exec-credential] [--min-ttl DURATION]",
	  "Print a valid token: the cached one when fresh, else rotate first.\n"
	  "  --format F      raw (default; no trailing newline), json, env, exec-credential\n"
	  "  --min-ttl D     the token must stay valid at least D (e.g. 1h); default: renew\n"
	  "                  when the profile's renew_before window is reached\n"
	  "A cached get makes no network call. With the API down and the cached token\n"
	  "still valid, it is printed with a warning on stderr (exit 0)." },
	{ "rotate", cmd_rotate, "rotate [NAME...] [--force] [--dry-run]",
	  "Renew due tokens, wait (up to activation_timeout) for the new token to\n"
	  "activate, publish it to the sinks, revoke tokens past their grace and\n"
	  "orphans, and bring permissions in line with the config (PATCH, same secret).\n"
	  "What the systemd timer or cron runs; a no-op without network when nothing is due.\n"
	  "  --force         renew now even when not due\n"
	  "  --dry-run       print the plan (create, promote, patch, revoke ids, sinks to\n"
	  "                  (re)write, an owed on_rotate); change nothing: no\n"
	  "                  POST/PATCH/DELETE, no state or sink writes" },
	{ "status", cmd_status, "status [NAME...] [--format text|json|influx|prometheus] [--from DIR]",
	  "Show each profile's token: id, expiry, renewal time, counters, last error,\n"
	  "and whether a sink (Vault, Kubernetes, a file) has yet to receive it\n"
	  "(state publish-failing).\n"
	  "Reads local state only; never prints a secret. Exits 0 even when a profile\n"
	  "is unhealthy (its state field says so).\n"
	  "  --format influx  one line-protocol line per profile, measurement\n"
	  "                   influx_token_helper, for Telegraf [[inputs.exec]]\n"
	  "  --format prometheus  the same health in the Prometheus text format\n"
	  "                   (influx_token_helper_* metrics, labels profile and\n"
	  "                   cluster); the setting prometheus_textfile writes it\n"
	  "                   after every rotate, watch or exec cycle\n"
	  "  --from DIR       read the secret-free copies published in DIR (the\n"
	  "                   config's status_dir) instead: no configuration needed,\n"
	  "                   for users such as telegraf who may not read it" },
	{ "list", cmd_list, "list [--format table|json]",
	  "List this helper instance's tokens on the cluster with their role and\n"
	  "state (one read-only API call). Roles: current, next (created, waiting\n"
	  "to be active), retired (revoked after its grace), orphan (ours but unknown\n"
	  "to the state: revoked by the next rotate), former (ours, already revoked\n"
	  "or expired)." },
	{ "revoke", cmd_revoke, "revoke NAME... | --all [--dry-run]",
	  "Decommission profiles: revoke their tokens (current, retired, orphans),\n"
	  "remove their sink files and state. A NAME no longer in the configuration:\n"
	  "revoke this instance's tokens that carry its marker, remove its state.\n"
	  "  --all           every configured profile\n"
	  "  --dry-run       say what would be revoked, change nothing" },
	{ "check", cmd_check, "check [--offline]",
	  "Validate the configuration, state directory, management token, and\n"
	  "reach the API with one read-only call; read each vault and kubernetes\n"
	  "sink's secret (75 when one no longer holds the current token: rotate\n"
	  "--force NAME publishes a new one). Exit 0 when all is well.\n"
	  "  --offline       validate the configuration only: no files, no network" },
	{ "watch", cmd_watch, "watch [NAME...]",
	  "Stay in the foreground (a container, a sidecar) and rotate every profile,\n"
	  "or the named ones, whenever something is due: renewal, activation check,\n"
	  "grace end; sleep until then. Same state and locks as rotate. Failures are\n"
	  "retried with a jittered backoff (5s doubling to 5m) while the sink files\n"
	  "keep being served from the cache. SIGHUP reloads the configuration;\n"
	  "SIGTERM or SIGINT stop it (exit 0). One log line per action on stderr." },
	{ "exec", cmd_exec, "exec [--signal SIG] [--grace DURATION] NAME -- CMD [ARGS...]",
	  "Run CMD with the profile's token in its environment (the variable is the\n"
	  "profile's env_variable, default INFLUX_TOKEN; never in argv), rotate in\n"
	  "the background like watch, and restart CMD after each switch to a new\n"
	  "token, also one made by another process (a timer's rotate, a watch),\n"
	  "noticed within about a second. SIGTERM, SIGINT and SIGHUP are passed on\n"
	  "to CMD; exec exits with CMD's status (128+N if signal N killed it);\n"
	  "should exec itself be killed, CMD gets SIGTERM.\n"
	  "CMD is looked up in PATH and never run through a shell.\n"
	  "  --signal SIG    what stops CMD for a restart (default TERM; HUP, INT,\n"
	  "                  QUIT, USR1, USR2 or a number)\n"
	  "  --grace D       SIGKILL CMD if it still runs D after the signal\n"
	  "                  (default 10s)" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: influx-token-helper [-c FILE] [-v|-q] COMMAND [ARGS]\n"
		"\n"
		"Keeps InfluxDB Cloud Dedicated database tokens short-lived and always valid.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f,
		"\n"
		"NAME is a profile of the configuration; with hosts_file, NAME@HOST is one\n"
		"host's profile and NAME every host's.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  configuration (default: $INFLUX_TOKEN_HELPER_CONFIG,\n"
		"                     else " ITH_DEFAULT_CONFIG ")\n"
		"  -v, --verbose      also log each API request (never headers or secrets)\n"
		"  -q, --quiet        only warnings and errors on stderr\n"
		"  -h, --help         this help; COMMAND --help for a command's\n"
		"  -V, --version      print the version\n"
		"\n");
	cli_exit_codes_help(f);
	fprintf(f, "\n"
		"Secrets go to stdout or sink files only, never to stderr, logs or argv.\n");
}

/* Everything printed reached stdout, or say so: rc, else 74 (a full disk, a pipe whose reader left). */
static int finish_stdout(int rc)
{
	int e = 0;

	errno = 0;
	if (fflush(stdout) == EOF)
		e = errno;
	if (!e && !ferror(stdout))
		return rc;
	fprintf(stderr, "influx-token-helper: cannot write to stdout: %s\n", e ? strerror(e) : "write error");
	return rc ? rc : cli_exit_code(ITH_ERR_OUTPUT);
}

/* Before any secret is read: no core dumps, no ptrace by peers, private files. */
static void harden(void)
{
	struct rlimit no_core = { 0, 0 };
	struct stat st;

	cli_orig_umask = umask(077);
	getrlimit(RLIMIT_CORE, &cli_orig_core);
	for (int fd = 0; fd <= 2; fd++)
		if (fstat(fd, &st) < 0 && errno == EBADF) {
			int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
			if (n < 0 || (n != fd && (dup2(n, fd) < 0 || close(n) < 0)))
				_exit(cli_exit_code(ITH_ERR_IO));
		}
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "exit-codes", no_argument, NULL, 'X' },  /* hidden: the exit-code table, for tests */
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli;
	int c, rc = cli_exit_code(ITH_ERR_USAGE);

	harden();
	cli_commands_set(commands, sizeof(commands) / sizeof(commands[0]));
	memset(&cli, 0, sizeof(cli));
	cli.verbosity = 1;
	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli.config_opt = optarg; break;
		case 'v': cli.verbosity = 2; break;
		case 'q': cli.verbosity = 0; break;
		case 'h': usage(stdout); return finish_stdout(0);
		case 'V': printf("influx-token-helper %s\n", ITH_VERSION); return finish_stdout(0);
		case 'X': return finish_stdout(cli_exit_codes_dump());
		default: fprintf(stderr, "Try 'influx-token-helper --help'.\n"); return cli_exit_code(ITH_ERR_USAGE);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return cli_exit_code(ITH_ERR_USAGE);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]))
			continue;
		int cargc = argc - optind;
		char **cargv = argv + optind;
		optind = 0;  /* glibc: full re-initialisation for the command's options */
		rc = commands[i].fn(&cli, cargc, cargv);
		goto out;
	}
	fprintf(stderr, "influx-token-helper: unknown command '%s' (commands:", argv[optind]);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, " %s", commands[i].name);
	fprintf(stderr, ")\nTry 'influx-token-helper --help'.\n");
out:
	if (cli.ctx_ready)
		ith_ctx_release(&cli.ctx);
	if (cli.cfg_loaded)
		ith_config_release(&cli.cfg);
	return finish_stdout(rc);
}
