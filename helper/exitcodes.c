/*
 * exitcodes.c - the one table of exit codes. Every code the program can
 * return is listed here with what it means (the --help text and the README's
 * "Exit codes" table, which a test compares with `--exit-codes`), and every
 * cause of the core (src/error.h) maps to one of them. Only helper/ picks exit
 * codes, and only through cli_exit_code().
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_exit {
	const char *code;     /* a number, or "128+N" */
	const char *brief;    /* --help; NULL: not in the summary */
	const char *meaning;  /* the README's table */
} codes[] = {
	{ "0", "ok", "ok" },
	{ "64", "usage", "usage error" },
	{ "65", "malformed or refused API answer",
	  "malformed or refused API answer (bad JSON, wrong types, or an HTTP 4xx other than 401, 403, 404 and 429)" },
	{ "69", "API unavailable or no valid token",
	  "API unavailable (unreachable, 5xx, TLS failure, HTTP 404), a new token's activation probe failed, or no "
	  "valid token to hand out (also a `rotate` that leaves the consumers none)" },
	{ "70", "internal error", "internal error" },
	{ "74", "I/O error (a full or read-only disk, stdout not writable)",
	  "I/O error: a state, sink or other file could not be written (a full or read-only disk, EIO), or stdout "
	  "could not be written (a reader that closed the pipe ends the program by SIGPIPE instead)" },
	{ "75", "temporary (rate limited, lock busy)",
	  "temporary: rate limited (429), the profile's lock stayed busy, or another rotator published a newer token "
	  "to a remote sink first (a check-and-set conflict)" },
	{ "77", "permission (management token rejected, unsafe file modes)",
	  "permission: management token rejected (401/403), unsafe file modes or owners (a token file or state "
	  "others can read; a configuration, CA file, template or hook program others can write), symlinked paths, a "
	  "remote sink's credential refused (401/403) or its secret not ours (no marker of this instance)" },
	{ "78", "configuration", "configuration error (the message names file, line and setting)" },
	{ "126", NULL, "`exec`: CMD was found but could not be run" },
	{ "127", NULL, "`exec`: CMD was not found" },
	{ "128+N", NULL, "`exec`: CMD was killed by signal N" },
};

/* Each cause of src/error.h, once. */
static const struct {
	int cause;
	int code;
} causes[] = {
	{ ITH_ERR_USAGE, 64 },
	{ ITH_ERR_CONFIG, 78 },
	{ ITH_ERR_FILE_NOT_FOUND, 78 },
	{ ITH_ERR_FILE_TOO_BIG, 78 },
	{ ITH_ERR_ACCESS, 77 },
	{ ITH_ERR_UNSAFE, 77 },
	{ ITH_ERR_IO, 70 },
	{ ITH_ERR_NOMEM, 70 },
	{ ITH_ERR_INTERNAL, 70 },
	{ ITH_ERR_STATE_DAMAGED, 70 },
	{ ITH_ERR_API_MALFORMED, 65 },
	{ ITH_ERR_API_REFUSED, 65 },
	{ ITH_ERR_API_NOT_FOUND, 69 },
	{ ITH_ERR_CREDENTIAL, 77 },
	{ ITH_ERR_RATE_LIMITED, 75 },
	{ ITH_ERR_API_UNAVAILABLE, 69 },
	{ ITH_ERR_LOCK_BUSY, 75 },
	{ ITH_ERR_NO_VALID_TOKEN, 69 },
	{ ITH_ERR_ACTIVATION, 69 },
	{ ITH_ERR_HOOK_EXEC, 78 },
	{ ITH_ERR_HOOK_TIMEOUT, 75 },
	{ ITH_ERR_HOOK_FAILED, 70 },
	{ ITH_ERR_OUTPUT, 74 },
	{ ITH_ERR_DISK, 74 },
	{ ITH_ERR_SINK_FOREIGN, 77 },
	{ ITH_ERR_SINK_CONFLICT, 75 },
	{ ITH_ERR_SINK_DENIED, 77 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int cli_exit_code(int cause)
{
	if (cause >= 0)
		return 0;
	for (size_t i = 0; i < N(causes); i++)
		if (causes[i].cause == cause)
			return causes[i].code;
	return 70;  /* a cause missing above is a bug: --exit-codes says so */
}

/* The summary for --help: "Exit codes: 0 ok, 64 usage, ...", wrapped at 77 columns. */
void cli_exit_codes_help(FILE *f)
{
	size_t col = 0;
	bool first = true;

	for (size_t i = 0; i < N(codes); i++) {
		char item[160];
		if (!codes[i].brief)
			continue;
		snprintf(item, sizeof(item), "%s%s %s%s", first ? "Exit codes: " : "", codes[i].code, codes[i].brief,
			i + 1 < N(codes) && codes[i + 1].brief ? "," : ".");
		first = false;
		for (const char *w = item; *w; w += strcspn(w, " ") + (w[strcspn(w, " ")] == ' ')) {
			int len = (int)strcspn(w, " ");
			if (col && col + 1 + (size_t)len > 77) {
				fputc('\n', f);
				col = 0;
			}
			fprintf(f, "%s%.*s", col ? " " : "", len, w);
			col += (col ? 1 : 0) + (size_t)len;
		}
	}
	fputc('\n', f);
}

/*
 * --exit-codes: the codes as the README's table rows, then each cause with
 * its code. Exits 70 when a cause of src/error.h is missing from the table
 * or maps to a code that is not listed.
 */
int cli_exit_codes_dump(void)
{
	int rc = 0;

	printf("| code | meaning |\n|---|---|\n");
	for (size_t i = 0; i < N(codes); i++)
		printf("| %s | %s |\n", codes[i].code, codes[i].meaning);
	printf("\n| cause | code | what |\n|---|---|---|\n");
	for (int c = -1; c >= ITH_CAUSE_MIN; c--) {
		char code[16];
		bool listed = false;
		size_t i;
		for (i = 0; i < N(causes) && causes[i].cause != c; i++)
			;
		snprintf(code, sizeof(code), "%d", i < N(causes) ? causes[i].code : -1);
		for (size_t j = 0; j < N(codes); j++)
			listed = listed || !strcmp(codes[j].code, code);
		if (i == N(causes) || !listed) {
			fprintf(stderr, "influx-token-helper: %s has no listed exit code\n", ith_cause_name(c));
			rc = 70;
		}
		printf("| %s | %s | %s |\n", ith_cause_name(c), code, ith_cause_str(c));
	}
	return rc;
}
