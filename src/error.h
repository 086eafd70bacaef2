/*
 * error.h - the one error model of the core.
 *
 * Core code never prints and never exits. A failing function records one
 * human-readable message (what failed, on what, what to do; never a secret)
 * and returns a negative ith_err. The command layer prints the message once
 * and maps the code to a sysexits(3) exit status with ith_exit_code().
 *
 * Calling sequence:
 *     if (something_failed)
 *             return ith_error(ITH_E_CONFIG, "%s:%d: %s: must be ...", ...);
 *     ...
 *     int r = core_call(...);
 *     if (r < 0) { fprintf(stderr, "...: %s\n", ith_errmsg()); return ith_exit_code(r); }
 *
 * Error handling: the message buffer is per thread and overwritten by the
 * next ith_error() call; ith_error_clear() empties it.
 */
#ifndef ITH_ERROR_H
#define ITH_ERROR_H

/* Negative values are errors; each maps to one exit code (see ith_exit_code). */
enum ith_err {
	ITH_OK = 0,
	ITH_E_USAGE = -64,       /* bad command line                          -> 64 */
	ITH_E_DATA = -65,        /* malformed or refused API answer           -> 65 */
	ITH_E_UNAVAILABLE = -69, /* API unreachable, 5xx, nothing valid       -> 69 */
	ITH_E_INTERNAL = -70,    /* bug, out of memory, local I/O failure     -> 70 */
	ITH_E_TEMP = -75,        /* rate limited, lock busy: try again later  -> 75 */
	ITH_E_PERM = -77,        /* credential rejected, unsafe file modes    -> 77 */
	ITH_E_CONFIG = -78,      /* configuration error                       -> 78 */
	ITH_E_NOTFOUND = -1,     /* API 404: callers decide (DELETE: done)    -> 69 */
};

#if defined(__GNUC__)
#define ITH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ITH_PRINTF(a, b)
#endif

/* Record a message and return code (so `return ith_error(...)` works). */
int ith_error(int code, const char *fmt, ...) ITH_PRINTF(2, 3);
/* Prefix the recorded message with "context: " and return code. */
int ith_error_prefix(int code, const char *fmt, ...) ITH_PRINTF(2, 3);
const char *ith_errmsg(void);
void ith_error_clear(void);
/* The sysexits value for an ith_err (0 for ITH_OK and other non-negatives). */
int ith_exit_code(int err);
/* Short name of an error class, e.g. "configuration error". */
const char *ith_strerror(int err);

#endif
