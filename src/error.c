#include "error.h"
#include "strbuf.h"
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ith_err(struct ith_strbuf *err, int cause, const char *fmt, ...)
{
	va_list ap;

	struct ith_strbuf msg = ITH_STRBUF_INIT;

	if (!err)
		return cause;
	/* into a fresh buffer, then swapped in: an argument may point into err */
	va_start(ap, fmt);
	ith_strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	ith_strbuf_addstr(&msg, "");
	ith_sanitize_inplace(msg.buf);  /* messages quote server text and paths: one line, no escapes */
	msg.len = strlen(msg.buf);
	ith_strbuf_release(err);
	*err = msg;
	return cause;
}

int ith_err_prefix(struct ith_strbuf *err, int cause, const char *fmt, ...)
{
	struct ith_strbuf prefix = ITH_STRBUF_INIT;
	va_list ap;

	if (!err)
		return cause;
	va_start(ap, fmt);
	ith_strbuf_vaddf(&prefix, fmt, ap);
	va_end(ap);
	ith_strbuf_addstr(&prefix, ": ");
	ith_sanitize_inplace(prefix.buf);
	ith_strbuf_insert(err, 0, prefix.buf, strlen(prefix.buf));
	ith_strbuf_release(&prefix);
	return cause;
}

int ith_err_move(struct ith_strbuf *dst, struct ith_strbuf *src, int cause)
{
	if (dst) {
		ith_strbuf_release(dst);
		*dst = *src;
		src->buf = NULL;
		src->len = src->alloc = 0;
	}
	ith_strbuf_release(src);
	return cause;
}

const char *ith_err_msg(const struct ith_strbuf *err)
{
	return err && err->buf && err->buf[0] ? err->buf : "unknown error";
}

int ith_errno_cause(int e)
{
	if (e == EACCES || e == EPERM)
		return ITH_ERR_ACCESS;
	if (e == ENOSPC || e == EDQUOT || e == EROFS || e == EIO)
		return ITH_ERR_DISK;
	return e == ENOMEM ? ITH_ERR_NOMEM : ITH_ERR_IO;
}

static const struct {
	int cause;
	const char *name, *text;
} causes[] = {
	{ ITH_OK, "ITH_OK", "success" },
	{ ITH_ERR_USAGE, "ITH_ERR_USAGE", "usage error" },
	{ ITH_ERR_CONFIG, "ITH_ERR_CONFIG", "configuration invalid" },
	{ ITH_ERR_FILE_NOT_FOUND, "ITH_ERR_FILE_NOT_FOUND", "file not found" },
	{ ITH_ERR_FILE_TOO_BIG, "ITH_ERR_FILE_TOO_BIG", "file too big" },
	{ ITH_ERR_ACCESS, "ITH_ERR_ACCESS", "permission denied" },
	{ ITH_ERR_UNSAFE, "ITH_ERR_UNSAFE", "unsafe mode, owner or symlink" },
	{ ITH_ERR_IO, "ITH_ERR_IO", "local I/O error" },
	{ ITH_ERR_NOMEM, "ITH_ERR_NOMEM", "out of memory" },
	{ ITH_ERR_INTERNAL, "ITH_ERR_INTERNAL", "internal error" },
	{ ITH_ERR_STATE_DAMAGED, "ITH_ERR_STATE_DAMAGED", "damaged state file" },
	{ ITH_ERR_API_MALFORMED, "ITH_ERR_API_MALFORMED", "malformed API answer" },
	{ ITH_ERR_API_REFUSED, "ITH_ERR_API_REFUSED", "request refused by the API" },
	{ ITH_ERR_API_NOT_FOUND, "ITH_ERR_API_NOT_FOUND", "not found by the API" },
	{ ITH_ERR_CREDENTIAL, "ITH_ERR_CREDENTIAL", "management token rejected" },
	{ ITH_ERR_RATE_LIMITED, "ITH_ERR_RATE_LIMITED", "rate limited" },
	{ ITH_ERR_API_UNAVAILABLE, "ITH_ERR_API_UNAVAILABLE", "API unavailable" },
	{ ITH_ERR_LOCK_BUSY, "ITH_ERR_LOCK_BUSY", "lock busy" },
	{ ITH_ERR_NO_VALID_TOKEN, "ITH_ERR_NO_VALID_TOKEN", "no valid token" },
	{ ITH_ERR_ACTIVATION, "ITH_ERR_ACTIVATION", "activation failed" },
	{ ITH_ERR_HOOK_EXEC, "ITH_ERR_HOOK_EXEC", "hook cannot be executed" },
	{ ITH_ERR_HOOK_TIMEOUT, "ITH_ERR_HOOK_TIMEOUT", "hook timed out" },
	{ ITH_ERR_HOOK_FAILED, "ITH_ERR_HOOK_FAILED", "hook failed" },
	{ ITH_ERR_OUTPUT, "ITH_ERR_OUTPUT", "output not writable" },
	{ ITH_ERR_DISK, "ITH_ERR_DISK", "disk full, read-only or failing" },
	{ ITH_ERR_SINK_FOREIGN, "ITH_ERR_SINK_FOREIGN", "remote secret not ours" },
	{ ITH_ERR_SINK_CONFLICT, "ITH_ERR_SINK_CONFLICT", "another rotator is ahead" },
	{ ITH_ERR_SINK_DENIED, "ITH_ERR_SINK_DENIED", "remote sink denied the credential" },
};

const char *ith_cause_str(int cause)
{
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (causes[i].cause == cause)
			return causes[i].text;
	return "unknown error";
}

const char *ith_cause_name(int cause)
{
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		if (causes[i].cause == cause)
			return causes[i].name;
	return "?";
}

