#include "strbuf.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strbuf_grow(struct ith_strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	char *nb;

	if (want <= sb->alloc)
		return;
	size_t n = sb->alloc ? sb->alloc : 64;
	while (n < want)
		n *= 2;
	/* Never realloc: a secret must not be left behind in freed memory. */
	nb = ith_xmalloc(n);
	if (sb->buf) {
		memcpy(nb, sb->buf, sb->len + 1);
		if (sb->secret)
			ith_wipe(sb->buf, sb->alloc);
		free(sb->buf);
	} else {
		nb[0] = '\0';
	}
	sb->buf = nb;
	sb->alloc = n;
}

void ith_strbuf_add(struct ith_strbuf *sb, const char *s, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void ith_strbuf_addstr(struct ith_strbuf *sb, const char *s)
{
	ith_strbuf_add(sb, s, strlen(s));
}

void ith_strbuf_vaddf(struct ith_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void ith_strbuf_addf(struct ith_strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ith_strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void ith_strbuf_insert(struct ith_strbuf *sb, size_t pos, const char *s, size_t n)
{
	if (pos > sb->len)
		pos = sb->len;
	strbuf_grow(sb, n);
	memmove(sb->buf + pos + n, sb->buf + pos, sb->len - pos + 1);
	memcpy(sb->buf + pos, s, n);
	sb->len += n;
}

void ith_strbuf_release(struct ith_strbuf *sb)
{
	if (sb->buf && sb->secret)
		ith_wipe(sb->buf, sb->alloc);
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

char *ith_strbuf_detach(struct ith_strbuf *sb)
{
	char *r;

	if (!sb->buf)
		strbuf_grow(sb, 0);
	r = sb->buf;
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return r;
}
