/*
 * strbuf.h - tier 0: a growable NUL-terminated string. libc and mem.h only;
 * no error.h.
 *
 * Owns struct ith_strbuf: the buffer every message, JSON document and
 * rendered template is built in, and the error buffer of error.h. A strbuf
 * marked secret is wiped on every reallocation (it never reallocs in place,
 * so no copy of a token is left in freed memory) and on release.
 *
 * Calling sequence:
 *     struct ith_strbuf sb = ITH_STRBUF_INIT;
 *     sb.secret = true;                   when it will hold a token
 *     ith_strbuf_addf(&sb, "%s=%d", k, v);
 *     ... sb.buf (never NULL after an add), sb.len ...
 *     ith_strbuf_release(&sb);            or ith_strbuf_detach() to keep buf
 *
 * Error handling: none to report; growth aborts on out of memory (mem.h).
 * A format that vsnprintf refuses adds nothing.
 */
#ifndef ITH_STRBUF_H
#define ITH_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct ith_strbuf {
	char *buf;
	size_t len, alloc;
	bool secret;   /* wipe on every reallocation and on release */
};
#define ITH_STRBUF_INIT { NULL, 0, 0, false }
void ith_strbuf_add(struct ith_strbuf *sb, const char *s, size_t n);
void ith_strbuf_addstr(struct ith_strbuf *sb, const char *s);
void ith_strbuf_addf(struct ith_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ith_strbuf_vaddf(struct ith_strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Insert n bytes of s at pos (at most len): ith_err_prefix puts context in front with it. */
void ith_strbuf_insert(struct ith_strbuf *sb, size_t pos, const char *s, size_t n);
void ith_strbuf_release(struct ith_strbuf *sb);
char *ith_strbuf_detach(struct ith_strbuf *sb);

#endif
