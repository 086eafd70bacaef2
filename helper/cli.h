/*
 * cli.h - the command layer: option parsing, reporting, exit codes. Core
 * functions return a cause (src/error.h) with the message in the caller's
 * err buffer; commands report once (cli_fail), and exit codes come from the
 * one table, helper/exitcodes.c (cli_exit_code).
 *
 * The helpers are defined in helper/cli.c (the exit codes in exitcodes.c);
 * every cmd_*.c and sched.c include this header and call down into them.
 * The commands' own entry points are declared in commands.h, for main.c's
 * dispatch table: no command calls another.
 */
#ifndef ITH_CLI_H
#define ITH_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "config.h"
#include "engine.h"
#include "error.h"

struct cli {
	const char *config_opt;   /* -c */
	int verbosity;            /* 0 quiet, 1 normal, 2 verbose */
	struct ith_config cfg;
	bool cfg_loaded;
	struct ith_ctx ctx;
	bool ctx_ready;
};

struct cli_command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *usage;
	const char *help;
};

enum cli_need { CLI_CONFIG, CLI_STATE, CLI_STATE_READONLY };
/* Load the config and, for CLI_STATE*, the state dir and instance id
 * (read-only: creating nothing). Returns an exit code or 0. */
int cli_load(struct cli *cli, enum cli_need need);
/* Print "influx-token-helper: MSG" (err's message), release err and return
 * the exit code of cause. */
int cli_fail(int cause, struct ith_strbuf *err);
/* The exit code of a cause (0 for 0), from the table in exitcodes.c. */
int cli_exit_code(int cause);
/* The exit codes' summary for --help, from the same table. */
void cli_exit_codes_help(FILE *f);
/* --exit-codes: the table as markdown (codes, then causes); 70 if incomplete. */
int cli_exit_codes_dump(void);
/* Failures of commands that work through several profiles (rotate, revoke):
 * each is printed as "influx-token-helper: NAME: MSG", and when consecutive
 * profiles fail with the same message (a rejected management token, say) it
 * is printed once, naming them all: "influx-token-helper: a, b: MSG".
 * cli_profile_fail records one (err's message; err is released);
 * cli_failures_flush prints what is pending and returns the first failure's
 * exit code (0 when none). */
struct cli_failures {
	char msg[1024];
	char names[1024];
	bool pending;
	int rc;
};
#define CLI_FAILURES_INIT { "", "", false, 0 }
void cli_profile_fail(struct cli_failures *f, const char *profile, int cause, struct ith_strbuf *err);
int cli_failures_flush(struct cli_failures *f);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse a duration option's argument into *out: 0, or the usage error's exit code. */
int cli_duration_option(const char *cmd, const char *opt, const char *arg, int64_t *out);
/* Print a command's help (for --help) and return 0. */
int cli_command_help(const char *name);
/* The command table (main.c's dispatch table), handed over before any
 * command runs: cli_command_help and nothing else reads it. */
void cli_commands_set(const struct cli_command *v, size_t n);
/* Resolve profile names: none given -> all (or the only one when single). */
int cli_profiles(struct cli *cli, int n, char **names, const struct ith_profile ***out, size_t *count);
/* One profile by name (NULL: the only one): NAME, NAME@HOST, or the NAME of an
 * expanded profile with a single host; ITH_ERR_USAGE else (err says why). */
int cli_profile_one(struct cli *cli, const char *name, const struct ith_profile **out, struct ith_strbuf *err);
/* Write all of buf to fd 1. */
int cli_write_stdout(const char *buf, size_t len);
/* What the process started with, before main() hardened it: `exec` gives
 * them back to its command. */
extern mode_t cli_orig_umask;
extern struct rlimit cli_orig_core;

/* With prometheus_textfile set: write `status --format prometheus` of every
 * profile there (atomically, 0644); a failure is logged as a warning. */
int cli_prometheus_textfile(struct cli *cli);

#endif
