#include "text.h"
#include "mem.h"

#include <string.h>

/*
 * Length of the safe character at s (1-4 bytes), or 0 when it must be
 * replaced; *skip is how many bytes the character or bad byte takes.
 */
static size_t safe_char(const unsigned char *s, size_t *skip)
{
	unsigned c = s[0], cp;
	size_t n;

	*skip = 1;
	if (c < 0x20 || c == 0x7f)
		return 0;
	if (c < 0x80)
		return 1;
	n = c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
	if (!n)
		return 0;
	cp = c & (0x7fu >> n);
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3fu);
	}
	*skip = n;
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) ||       /* surrogates */
	    (cp >= 0x80 && cp <= 0x9f) ||           /* C1 controls (CSI ...) */
	    (cp >= 0x2028 && cp <= 0x202e) ||       /* line/paragraph separators, bidi embeddings */
	    (cp >= 0x2066 && cp <= 0x2069) ||       /* bidi isolates */
	    cp == 0x200e || cp == 0x200f || cp == 0xfeff)
		return 0;
	return n;
}

/* The length of the valid UTF-8 sequence at r (its code point in *cp), 0 when r starts none. */
static size_t utf8_seq(const unsigned char *r, unsigned *cp)
{
	size_t n = r[0] < 0x80 ? 1 : r[0] >= 0xc2 && r[0] < 0xe0 ? 2 : r[0] >= 0xe0 && r[0] < 0xf0 ? 3 :
		r[0] >= 0xf0 && r[0] < 0xf5 ? 4 : 0;

	*cp = n > 1 ? r[0] & (0x7fu >> n) : r[0];
	for (size_t k = 1; k < n; k++) {
		if ((r[k] & 0xc0) != 0x80)  /* a NUL too: the walk never passes the end */
			return 0;
		*cp = *cp << 6 | (r[k] & 0x3fu);
	}
	if ((n == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
	    (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
		return 0;  /* overlong, surrogate, beyond Unicode */
	return n;
}

static bool invisible(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x34f || cp == 0x61c ||
		cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
		(cp >= 0x2060 && cp <= 0x206f) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff ||
		(cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe0fff);
}

int ith_strip_invisible(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;
	int gone = 0;

	while (*r) {
		unsigned cp;
		size_t n = utf8_seq(r, &cp);
		if (!n || invisible(cp)) {
			n = n ? n : 1;
			gone += (int)n;
		} else {
			memmove(w, r, n);
			w += n;
		}
		r += n;
	}
	*w = '\0';
	return gone;
}

size_t ith_redact(char *s, const char *secret, size_t slen)
{
	size_t n = 0, rep = slen < 3 ? slen : 3;

	if (!s || !secret || !slen)
		return 0;
	for (char *p = s; *p; p++) {
		if (strncmp(p, secret, slen))
			continue;
		memset(p, '*', rep);
		memmove(p + rep, p + slen, strlen(p + slen) + 1);
		p += rep - 1;
		n++;
	}
	return n;
}

/* The longest run from p (NUL-terminated) that occurs somewhere inside sec. */
static size_t longest_inside(const char *p, const struct ith_secret *sec)
{
	size_t best = 0;

	for (size_t j = 0; j < sec->len && sec->len - j > best; j++) {
		size_t k = 0;
		while (p[k] && j + k < sec->len && p[k] == sec->s[j + k])
			k++;
		if (k > best)
			best = k;
	}
	return best;
}

size_t ith_redact_fragments(char *s, const struct ith_secret *secrets, size_t n, size_t min)
{
	size_t count = 0;

	if (!s || !secrets || !min)
		return 0;
	for (char *p = s; *p; p++) {
		size_t run = 0, rep;
		for (size_t i = 0; i < n; i++) {
			size_t k = secrets[i].s ? longest_inside(p, &secrets[i]) : 0;
			if (k > run)
				run = k;
		}
		if (run < min)
			continue;
		size_t tail = strlen(p + run);
		rep = run < 3 ? run : 3;
		memset(p, '*', rep);
		memmove(p + rep, p + run, tail + 1);
		ith_wipe(p + rep + tail + 1, run - rep);  /* no byte of the secret stays behind the new end */
		p += rep - 1;
		count++;
	}
	return count;
}

const char *ith_safe_text(const char *s, char *buf, size_t len)
{
	const unsigned char *in = (const unsigned char *)(s ? s : "");
	size_t i = 0, j = 0;

	if (len < 4) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	while (in[i]) {
		size_t skip, n = safe_char(in + i, &skip), need = n ? n : 1;
		if (j + need > len - 1) {
			/* cut: make room for "..." on a character boundary */
			if (j > len - 4) {
				j = len - 4;
				while (j > 0 && ((unsigned char)buf[j] & 0xc0) == 0x80)
					j--;
			}
			memcpy(buf + j, "...", 3);
			j += 3;
			break;
		}
		if (n)
			memcpy(buf + j, in + i, n);
		else
			buf[j] = '?';
		j += need;
		i += skip;
	}
	buf[j] = '\0';
	return buf;
}

bool ith_text_is_safe(const char *s)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t skip;

	for (size_t i = 0; in[i]; i += skip)
		if (!safe_char(in + i, &skip))
			return false;
	return true;
}

void ith_sanitize_inplace(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0, j = 0, skip, n;

	while (p[i]) {
		n = safe_char(p + i, &skip);
		if (n)
			memmove(p + j, p + i, n);
		else
			p[j] = '?';
		j += n ? n : 1;
		i += skip;
	}
	p[j] = '\0';
}
