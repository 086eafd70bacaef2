/*
 * error.h - the one error model of the core: causes, and a message in a
 * buffer the caller owns.
 *
 * Core code never prints, never exits and knows nothing of exit codes. A
 * failing function writes one human-readable message (what failed, on what,
 * what to do; never a secret) into the caller's `struct ith_strbuf *err` and
 * returns a negative enum ith_cause saying what kind of failure it was. A
 * caller that adds context puts it in front (ith_err_prefix), it never formats
 * the buffer into itself. Only the command layer (helper/exitcodes.c) maps
 * causes to exit codes and prints the message.
 *
 * Calling sequence:
 *     int f(..., struct ith_strbuf *err)
 *     {
 *             if (something_failed)
 *                     return ith_err(err, ITH_ERR_CONFIG, "%s:%d: %s: must be ...", ...);
 *             if ((r = g(..., err)) < 0)
 *                     return ith_err_prefix(err, r, "profile %s", name);
 *     }
 *     struct ith_strbuf err = ITH_STRBUF_INIT;
 *     if ((r = f(..., &err)) < 0)
 *             ... print ith_err_msg(&err), pick the exit code for r ...
 *     ith_strbuf_release(&err);
 *
 * Error handling: ith_err() replaces what err held; messages are sanitised
 * to one printable line (they quote paths and server text). A caller that
 * swallows a failure (a DELETE answered 404, a warning) passes a local buffer
 * and releases it. err may be NULL: the message is then dropped.
 */
#ifndef ITH_ERROR_H
#define ITH_ERROR_H

struct ith_strbuf;

/* What went wrong. Negative; 0 is success. ith_cause_str() names each. */
enum ith_cause {
	ITH_OK = 0,
	ITH_ERR_USAGE = -1,           /* bad command line, unknown profile, unmeetable request */
	ITH_ERR_CONFIG = -2,          /* invalid configuration */
	ITH_ERR_FILE_NOT_FOUND = -3,  /* a file the configuration names does not exist */
	ITH_ERR_FILE_TOO_BIG = -4,    /* a file the configuration names is over its size cap */
	ITH_ERR_ACCESS = -5,          /* permission denied by the system (EACCES, EPERM) */
	ITH_ERR_UNSAFE = -6,          /* unsafe mode, owner or a symlink: refused by us */
	ITH_ERR_IO = -7,              /* local I/O: a missing directory, write, rename, fsync... */
	ITH_ERR_NOMEM = -8,           /* out of memory */
	ITH_ERR_INTERNAL = -9,        /* a bug: an impossible request or state */
	ITH_ERR_STATE_DAMAGED = -10,  /* a state or status file that cannot be used */
	ITH_ERR_API_MALFORMED = -11,  /* an answer of the API that is not what it must be */
	ITH_ERR_API_REFUSED = -12,    /* the API refused the request (4xx not named below) */
	ITH_ERR_API_NOT_FOUND = -13,  /* HTTP 404 */
	ITH_ERR_CREDENTIAL = -14,     /* the management token was rejected (HTTP 401/403) */
	ITH_ERR_RATE_LIMITED = -15,   /* HTTP 429 */
	ITH_ERR_API_UNAVAILABLE = -16,/* no answer, 5xx, TLS, deadline, no libcurl */
	ITH_ERR_LOCK_BUSY = -17,      /* the profile's lock stayed busy */
	ITH_ERR_NO_VALID_TOKEN = -18, /* nothing valid to hand out */
	ITH_ERR_ACTIVATION = -19,     /* a new token did not become active (probe failed) */
	ITH_ERR_HOOK_EXEC = -20,      /* the on_rotate program cannot be executed */
	ITH_ERR_HOOK_TIMEOUT = -21,   /* the on_rotate program outlived hook_timeout */
	ITH_ERR_HOOK_FAILED = -22,    /* the on_rotate program exited non-zero or was killed */
	ITH_ERR_OUTPUT = -23,         /* standard output could not be written */
	ITH_ERR_DISK = -24,           /* the disk refused a file: full (ENOSPC, EDQUOT), read-only (EROFS), EIO */
	ITH_ERR_SINK_FOREIGN = -25,   /* a remote sink's secret exists and is not ours: refused by us */
	ITH_ERR_SINK_CONFLICT = -26,  /* another rotator published a newer token there first */
	ITH_ERR_SINK_DENIED = -27,    /* a remote sink refused our credential (HTTP 401/403, after one retry) */
};
#define ITH_CAUSE_MIN ITH_ERR_SINK_DENIED

#if defined(__GNUC__)
#define ITH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ITH_PRINTF(a, b)
#endif

/* Replace err's message with the formatted one; returns cause. */
int ith_err(struct ith_strbuf *err, int cause, const char *fmt, ...) ITH_PRINTF(3, 4);
/* Put "CONTEXT: " in front of err's message; returns cause. */
int ith_err_prefix(struct ith_strbuf *err, int cause, const char *fmt, ...) ITH_PRINTF(3, 4);
/* Pass on a failure a callee wrote into a local buffer: src's message
 * replaces dst's (src is left empty); returns cause. */
int ith_err_move(struct ith_strbuf *dst, struct ith_strbuf *src, int cause);
/* err's message, or "unknown error" when none was recorded. */
const char *ith_err_msg(const struct ith_strbuf *err);
/* The cause of a failed system call on a local file: ITH_ERR_ACCESS for
 * EACCES and EPERM, ITH_ERR_NOMEM for ENOMEM, ITH_ERR_DISK for ENOSPC,
 * EDQUOT, EROFS and EIO (the operator must fix the disk), ITH_ERR_IO else. */
int ith_errno_cause(int e);
/* A short text for a cause, e.g. "configuration invalid". */
const char *ith_cause_str(int cause);
/* The identifier of a cause, e.g. "ITH_ERR_CONFIG" (for tables and tests). */
const char *ith_cause_name(int cause);

#endif
