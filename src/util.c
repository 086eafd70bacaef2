#include "util.h"
#include "error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- memory ---- */

static void oom(void)
{
	static const char msg[] = "influx-token-helper: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

void *ith_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *ith_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

char *ith_xstrdup(const char *s)
{
	return ith_xstrndup(s, strlen(s));
}

char *ith_xstrndup(const char *s, size_t n)
{
	char *p = ith_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void ith_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

void ith_freezero(void *p, size_t len)
{
	if (!p)
		return;
	ith_wipe(p, len);
	free(p);
}

void ith_free_secret_str(char *s)
{
	if (s)
		ith_freezero(s, strlen(s));
}

void ith_secret_set(struct ith_secret *sec, const char *s, size_t len)
{
	ith_secret_release(sec);
	sec->s = ith_xstrndup(s, len);
	sec->len = len;
}

void ith_secret_release(struct ith_secret *sec)
{
	if (sec->s)
		ith_freezero(sec->s, sec->len + 1);
	sec->s = NULL;
	sec->len = 0;
}

/* ---- strbuf ---- */

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

/* ---- time ---- */

#define MAX_DURATION (10LL * 366 * 86400)

int ith_parse_duration(const char *s, int64_t *out, struct ith_strbuf *err)
{
	int64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return ith_err(err, ITH_ERR_CONFIG, "'%s' is not a duration (use 90s, 30m, 24h, 7d or whole seconds)", s ? s : "");
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > MAX_DURATION)
			return ith_err(err, ITH_ERR_CONFIG, "duration '%s' is too long (at most 10 years)", s);
		p++;
	}
	switch (*p) {
	case '\0': break;
	case 's': mult = 1; p++; break;
	case 'm': mult = 60; p++; break;
	case 'h': mult = 3600; p++; break;
	case 'd': mult = 86400; p++; break;
	default: p = NULL; break;
	}
	if (!p || *p)
		return ith_err(err, ITH_ERR_CONFIG, "'%s' is not a duration (use 90s, 30m, 24h, 7d or whole seconds)", s);
	if (v * mult > MAX_DURATION)
		return ith_err(err, ITH_ERR_CONFIG, "duration '%s' is too long (at most 10 years)", s);
	*out = v * mult;
	return 0;
}

static int days_from_civil(int64_t y, unsigned m, unsigned d, int64_t *out)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01, proleptic Gregorian. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = era * 146097 + (int64_t)doe - 719468;
	return 0;
}

static int digits(const char *p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int ith_parse_rfc3339(const char *s, int64_t *out, struct ith_strbuf *err)
{
	int Y, M, D, h, mi, sec, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int64_t days;

	if (!s || strlen(s) < 20 || strlen(s) > 64)
		goto bad;
	if (digits(p, 4, &Y) || p[4] != '-' || digits(p + 5, 2, &M) || p[7] != '-' ||
	    digits(p + 8, 2, &D) || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    digits(p + 11, 2, &h) || p[13] != ':' || digits(p + 14, 2, &mi) ||
	    p[16] != ':' || digits(p + 17, 2, &sec))
		goto bad;
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60)
		goto bad;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		goto bad;
	p += 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		p += 6;
	} else {
		goto bad;
	}
	if (*p)
		goto bad;
	if (sec == 60)
		sec = 59;  /* leap second: close enough for expiry arithmetic */
	days_from_civil(Y, (unsigned)M, (unsigned)D, &days);
	*out = days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return ith_err(err, ITH_ERR_API_MALFORMED, "'%.64s' is not an RFC 3339 date-time", s ? s : "");
}

void ith_format_rfc3339(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "invalid");
}

void ith_format_duration(int64_t secs, char *buf, size_t len)
{
	const char *sign = secs < 0 ? "-" : "";
	int64_t a = secs < 0 ? -secs : secs;

	if (a >= 86400)
		snprintf(buf, len, "%s%lldd%lldh", sign, (long long)(a / 86400), (long long)(a % 86400 / 3600));
	else if (a >= 3600)
		snprintf(buf, len, "%s%lldh%lldm", sign, (long long)(a / 3600), (long long)(a % 3600 / 60));
	else if (a >= 60)
		snprintf(buf, len, "%s%lldm%llds", sign, (long long)(a / 60), (long long)(a % 60));
	else
		snprintf(buf, len, "%s%llds", sign, (long long)a);
}

int64_t ith_now(void)
{
	return (int64_t)time(NULL);
}

/* ---- ids ---- */

bool ith_is_uuid(const char *s)
{
	if (!s || strlen(s) != ITH_UUID_LEN)
		return false;
	for (int i = 0; i < ITH_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

int ith_uuid_v4(char out[ITH_UUID_LEN + 1], struct ith_strbuf *err)
{
	unsigned char b[16];
	static const char hex[] = "0123456789abcdef";
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ith_err(err, ITH_ERR_IO, "getrandom: %s", strerror(errno));
		}
		got += (size_t)r;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (int i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[ITH_UUID_LEN] = '\0';
	return 0;
}

uint64_t ith_hash64(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* ---- files ---- */

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

char *ith_path_normalize(const char *path)
{
	char cwd[4096] = "";
	size_t n, j = 1;
	char *out;
	const char *p;

	if (!ith_path_is_absolute(path) && !getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	n = strlen(cwd) + strlen(path) + 3;
	out = ith_xmalloc(n);
	out[0] = '/';
	for (int pass = 0; pass < 2; pass++) {
		p = pass == 0 ? cwd : path;
		while (*p) {
			size_t len;
			while (*p == '/')
				p++;
			len = strcspn(p, "/");
			if (len == 0)
				break;
			if (len == 2 && p[0] == '.' && p[1] == '.') {
				while (j > 1 && out[j - 1] != '/')
					j--;
				if (j > 1)
					j--;
			} else if (!(len == 1 && p[0] == '.')) {
				if (j > 1)
					out[j++] = '/';
				memcpy(out + j, p, len);
				j += len;
			}
			p += len;
		}
	}
	out[j] = '\0';
	return out;
}

bool ith_path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}

int ith_read_fd_capped(int fd, size_t cap, char **out, size_t *len, const char *what, struct ith_strbuf *err)
{
	size_t alloc = 4096 < cap + 1 ? 4096 : cap + 1, n = 0;
	char *buf = ith_xmalloc(alloc);

	for (;;) {
		if (n + 1 >= alloc) {
			if (alloc >= cap + 1) {
				ith_freezero(buf, alloc);
				return ith_err(err, ITH_ERR_FILE_TOO_BIG, "%s is larger than %zu bytes", what, cap);
			}
			size_t na = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
			char *nb = ith_xmalloc(na);
			memcpy(nb, buf, n);
			ith_freezero(buf, alloc);
			buf = nb;
			alloc = na;
		}
		ssize_t r = read(fd, buf + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			ith_freezero(buf, alloc);
			return ith_err(err, ith_errno_cause(e), "cannot read %s: %s", what, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int ith_read_file(const char *path, size_t cap, bool private, const char *what,
	char **out, size_t *len, struct ith_strbuf *err)
{
	/* O_NONBLOCK: a FIFO planted there must not hang the run (no effect on a regular file's reads) */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), r;
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "%s does not exist", what);
		if (errno == ELOOP)
			return ith_err(err, ITH_ERR_UNSAFE, "%s is a symbolic link; refusing it (remove it)", what);
		return ith_err(err, ith_errno_cause(errno), "cannot open %s: %s", what,
			strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return ith_err(err, ITH_ERR_UNSAFE, "%s is not a regular file (a FIFO, device or directory?); "
			"refusing it", what);
	}
	r = private ? ith_check_private_fd(fd, path, false, err) : 0;
	if (r == 0)
		r = ith_read_fd_capped(fd, cap, out, len, what, err);
	close(fd);
	return r;
}

int ith_check_private_fd(int fd, const char *path, bool is_dir, struct ith_strbuf *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ith_err(err, ITH_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
	if (is_dir && !S_ISDIR(st.st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is not a directory", path);
	if (!is_dir && !S_ISREG(st.st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is not a regular file", path);
	if (st.st_uid != geteuid())
		return ith_err(err, ITH_ERR_UNSAFE,
			"'%s' is owned by uid %u, not by uid %u who runs this; fix: chown %u '%s'",
			path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
	if (st.st_mode & 077)
		return ith_err(err, ITH_ERR_UNSAFE,
			"'%s' is accessible by group or others (mode %04o); fix: chmod %s '%s'",
			path, (unsigned)(st.st_mode & 07777), is_dir ? "0700" : "0600", path);
	return 0;
}

int ith_check_trusted(const struct stat *st, const char *path, const char *what, struct ith_strbuf *err)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is owned by uid %u, neither root nor uid %u who runs this; "
			"fix: chown root '%s'", what, path, (unsigned)st->st_uid, (unsigned)geteuid(), path);
	if (st->st_mode & 022)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is writable by %s (mode %04o): whoever can write it controls what "
			"this program does with the management token; fix: chmod go-w '%s'", what, path,
			(st->st_mode & 022) == 022 ? "group and others" : (st->st_mode & 002) ? "others" : "its group",
			(unsigned)(st->st_mode & 07777), path);
	return 0;
}

static const char *writable_by(mode_t m)
{
	return (m & 022) == 022 ? "group and others" : (m & 002) ? "others" : "its group";
}

/*
 * A directory walked through: owned by root or us, and writable by no one
 * else unless sticky (then others cannot rename or remove what root or we
 * own in it, and every entry the walk uses must be root's or ours).
 */
static int trusted_dir(const struct stat *st, const char *dir, const char *path, const char *what, struct ith_strbuf *err)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is in directory '%s', owned by uid %u, neither root nor uid %u "
			"who runs this: its owner can replace the file; fix: chown root '%s'", what, path, dir,
			(unsigned)st->st_uid, (unsigned)me, dir);
	if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is in directory '%s', writable by %s (mode %04o): whoever "
			"can write it can replace the file and so controls what this program does with the management "
			"token; fix: chmod go-w '%s'", what, path, dir, writable_by(st->st_mode),
			(unsigned)(st->st_mode & 07777), dir);
	return 0;
}

/* Walking a path one component at a time, as the kernel resolves it. */
struct twalk {
	const char *path, *what;  /* as given: for messages */
	char dir[PATH_MAX];       /* the directory reached: absolute, every step checked, no link in it */
	char *rest;               /* what is left to resolve */
	int links;
};

/* Symbolic link entry (in w->dir): root's or ours; what is left becomes its target, then the rest. */
static int walk_link(struct twalk *w, const char *entry, const struct stat *st, const char *after,
	struct ith_strbuf *err)
{
	char target[PATH_MAX];
	struct ith_strbuf next = ITH_STRBUF_INIT;
	uid_t me = geteuid();
	ssize_t n;

	if (st->st_uid != 0 && st->st_uid != me)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' goes through symbolic link '%s', owned by uid %u, neither root "
			"nor uid %u who runs this: its owner can point it elsewhere; fix: chown -h root '%s'", w->what, w->path,
			entry, (unsigned)st->st_uid, (unsigned)me, entry);
	if (++w->links > 40)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s': more than 40 symbolic links on the way (a loop?); "
			"give the real path", w->what, w->path);
	if ((n = readlink(entry, target, sizeof(target) - 1)) <= 0)
		return ith_err(err, n < 0 ? ith_errno_cause(errno) : ITH_ERR_FILE_NOT_FOUND, "%s '%s': cannot read "
			"symbolic link '%s': %s", w->what, w->path, entry, n < 0 ? strerror(errno) : "it is empty");
	target[n] = '\0';
	if (target[0] == '/')
		snprintf(w->dir, sizeof(w->dir), "/");  /* from the top again; "/" was checked first */
	ith_strbuf_addf(&next, "%s/%s", target, after);
	free(w->rest);
	w->rest = ith_strbuf_detach(&next);
	return 0;
}

/* One component of w->rest; *st is the final file once *done. */
static int walk_step(struct twalk *w, struct stat *st, bool *done, struct ith_strbuf *err)
{
	char *comp = w->rest, *after, entry[PATH_MAX];
	size_t dl = strlen(w->dir);

	while (*comp == '/')
		comp++;
	after = comp + strcspn(comp, "/");
	if (*after)
		*after++ = '\0';
	while (*after == '/')
		after++;
	if (!*comp || !strcmp(comp, ".")) {
		memmove(w->rest, after, strlen(after) + 1);
		return 0;
	}
	if (!strcmp(comp, "..")) {  /* w->dir holds no link: its parent is the one walked through */
		char *slash = strrchr(w->dir, '/');
		slash[slash == w->dir ? 1 : 0] = '\0';
		memmove(w->rest, after, strlen(after) + 1);
		return 0;
	}
	if ((size_t)snprintf(entry, sizeof(entry), "%s%s%s", w->dir, dl > 1 ? "/" : "", comp) >= sizeof(entry))
		return ith_err(err, ITH_ERR_CONFIG, "%s '%s': path too long", w->what, w->path);
	if (lstat(entry, st) < 0)
		return ith_err(err, errno == ENOENT || errno == ENOTDIR ? ITH_ERR_FILE_NOT_FOUND : ith_errno_cause(errno),
			"%s '%s': %s", w->what, w->path, strerror(errno));
	if (S_ISLNK(st->st_mode))
		return walk_link(w, entry, st, after, err);
	if (!*after) {
		*done = true;
		return S_ISREG(st->st_mode) ? 0 : ith_err(err, ITH_ERR_CONFIG, "%s '%s' is not a regular file", w->what, w->path);
	}
	if (!S_ISDIR(st->st_mode))
		return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "%s '%s': %s", w->what, w->path, strerror(ENOTDIR));
	int r = trusted_dir(st, entry, w->path, w->what, err);
	snprintf(w->dir, sizeof(w->dir), "%s", entry);
	memmove(w->rest, after, strlen(after) + 1);
	return r;
}

int ith_check_trusted_path(const char *path, const char *what, struct ith_strbuf *err)
{
	struct twalk w = { .path = path, .what = what, .dir = "/" };
	struct ith_strbuf full = ITH_STRBUF_INIT;
	char cwd[PATH_MAX];
	struct stat st;
	bool done = false;
	int r;

	if (path[0] != '/') {  /* relative: from the working directory, whose own directories count too */
		if (!getcwd(cwd, sizeof(cwd)))
			return ith_err(err, ith_errno_cause(errno), "%s '%s': cannot get the working directory: %s", what, path,
				strerror(errno));
		ith_strbuf_addf(&full, "%s/", cwd);
	}
	ith_strbuf_addstr(&full, path);
	w.rest = ith_strbuf_detach(&full);
	if (lstat("/", &st) < 0)
		r = ith_err(err, ITH_ERR_IO, "cannot stat '/': %s", strerror(errno));
	else
		r = trusted_dir(&st, "/", path, what, err);
	while (r == 0 && !done) {
		if (!w.rest[strspn(w.rest, "/")]) {  /* the path ends at a directory */
			r = ith_err(err, ITH_ERR_CONFIG, "%s '%s' is not a regular file", what, path);
			break;
		}
		r = walk_step(&w, &st, &done, err);
	}
	free(w.rest);
	return r < 0 ? r : ith_check_trusted(&st, path, what, err);
}

int ith_open_dir_nofollow(const char *path, struct ith_strbuf *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: tell them apart */
	if (errno == ELOOP || (errno == ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is a symbolic link; symlinks are refused (use the real path)", path);
	if (errno == ENOTDIR)
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is not a directory", path);
	return ith_err(err, ith_errno_cause(errno), "cannot open directory '%s': %s", path,
		strerror(errno));
}

/*
 * A directory the helper writes into must not be redirectable by someone
 * else: owned by root or by us, and not writable by group or others unless
 * sticky (/tmp) -- for the directory itself, sticky only when it is ours.
 */
static int check_dir_stat(const struct stat *st, const char *path, bool last, const char *what, struct ith_strbuf *err)
{
	uid_t me = geteuid();

	if (!S_ISDIR(st->st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is not a directory", what, path);
	if (st->st_uid != me && st->st_uid != 0)
		return ith_err(err, ITH_ERR_UNSAFE,
			"%s '%s' is owned by uid %u, another user, who could redirect what is written there; "
			"fix: chown %u '%s', or use a directory of your own", what, path, (unsigned)st->st_uid,
			(unsigned)me, path);
	if ((st->st_mode & 022) && !((st->st_mode & S_ISVTX) && (!last || st->st_uid == me))) {
		bool g = st->st_mode & 020, o = st->st_mode & 002;
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is %s-writable; fix: chmod %s '%s'", what, path,
			g && o ? "group- and world" : o ? "world" : "group", g && o ? "go-w" : o ? "o-w" : "g-w", path);
	}
	return 0;
}

/* Why component comp (path so far: so_far) of path could not be opened from fd; errno was e. */
static int dir_step_error(int fd, const char *comp, int e, const char *path, const char *so_far, const char *what,
	bool *missing, struct ith_strbuf *err)
{
	struct stat lst;

	if (e == ELOOP || (e == ENOTDIR && fstatat(fd, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)))
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s': '%s' is a symbolic link; symlinks are refused (use the real path)",
			what, path, so_far);
	if (e == ENOTDIR)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s': '%s' is not a directory", what, path, so_far);
	if (e == ENOENT) {
		*missing = true;
		return ith_err(err, ITH_ERR_IO, "%s '%s': '%s' does not exist", what, path, so_far);
	}
	return ith_err(err, ith_errno_cause(e), "cannot open %s '%s': %s", what, so_far,
		strerror(e));
}

/* Make the last directory (0700; its mode is set once checked) and open it: the descriptor, -1 with errno
 * when the open fails, -2 when it cannot be made (*r, err say why). */
static int make_last(int fd, const char *comp, const char *what, const char *so_far, bool *created, int *r,
	struct ith_strbuf *err)
{
	if (mkdirat(fd, comp, 0700) == 0)
		*created = true;
	else if (errno != EEXIST) {
		*r = ith_err(err, ith_errno_cause(errno), "cannot create %s '%s': %s", what, so_far, strerror(errno));
		return -2;
	}
	return openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int dir_open_secure(const char *path, mode_t create_mode, const char *what, bool *missing,
	bool *missing_last, struct ith_strbuf *err)
{
	char *norm, *comp, *save = NULL;
	struct ith_strbuf so_far = ITH_STRBUF_INIT;
	struct stat st;
	int fd, r = 0;

	if (!ith_path_is_absolute(path))
		return ith_err(err, ITH_ERR_CONFIG, "%s '%s' is not an absolute path", what, path);
	norm = ith_path_normalize(path);
	/* on the way: O_PATH, which needs only search permission (a 0711 directory) */
	fd = open("/", (strcmp(norm, "/") ? O_PATH : O_RDONLY) | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		free(norm);
		return ith_err(err, ITH_ERR_IO, "cannot open '/': %s", strerror(errno));
	}
	if (fstat(fd, &st) < 0 || (r = check_dir_stat(&st, "/", !strcmp(norm, "/"), what, err)) < 0) {
		r = r < 0 ? r : ith_err(err, ITH_ERR_IO, "cannot stat '/': %s", strerror(errno));
		goto out;
	}
	for (comp = strtok_r(norm + 1, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		bool last = !save || !*save, created = false;
		int nfd;

		ith_strbuf_addf(&so_far, "/%s", comp);
		nfd = openat(fd, comp, (last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && last && create_mode &&
		    (nfd = make_last(fd, comp, what, so_far.buf, &created, &r, err)) == -2)
			goto out;  /* r and err say why */
		if (nfd < 0) {
			*missing_last = errno == ENOENT && last;  /* every directory above it was there and checked */
			r = dir_step_error(fd, comp, errno, path, so_far.buf, what, missing, err);
			goto out;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) < 0) {
			r = ith_err(err, ITH_ERR_IO, "cannot stat '%s': %s", so_far.buf, strerror(errno));
			goto out;
		}
		/* mode exactly as asked, despite the umask; only on what we just made */
		if (created && st.st_uid == geteuid() && fchmod(fd, create_mode) == 0)
			st.st_mode = (st.st_mode & ~(mode_t)07777) | create_mode;
		if ((r = check_dir_stat(&st, so_far.buf, last, what, err)) < 0)
			goto out;
	}
out:
	free(norm);
	ith_strbuf_release(&so_far);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int ith_dir_open_secure(const char *path, mode_t create_mode, const char *what, struct ith_strbuf *err)
{
	bool missing = false, missing_last = false;

	return dir_open_secure(path, create_mode, what, &missing, &missing_last, err);
}

int ith_dir_open_existing(const char *path, const char *what, bool *missing, bool *missing_last,
	struct ith_strbuf *err)
{
	*missing = *missing_last = false;
	return dir_open_secure(path, 0, what, missing, missing_last, err);
}

int ith_ensure_private_dir(const char *path, struct ith_strbuf *err)
{
	int fd = ith_dir_open_secure(path, 0700, "directory", err), r;

	if (fd < 0)
		return fd;
	r = ith_check_private_fd(fd, path, true, err);
	close(fd);
	return r;
}

/*
 * Remove "<name>.tmp-*" left by a writer killed mid-write (they may hold a
 * token). Safe because every writer of a given path holds that path's lock.
 */
static void remove_stale_temps(int dfd, const char *name)
{
	struct ith_strbuf prefix = ITH_STRBUF_INIT;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d && fd >= 0)
		close(fd);
	ith_strbuf_addf(&prefix, "%s.tmp-", name);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix.buf, prefix.len) || strlen(e->d_name) != prefix.len + 8)
			continue;
		unlinkat(dfd, e->d_name, 0);
	}
	if (d)
		closedir(d);
	ith_strbuf_release(&prefix);
}

/* Writes all of data to fd (a file named name), then syncs it. */
static int write_all_sync(int fd, const char *name, const void *data, size_t len, struct ith_strbuf *err)
{
	const char *p = data;
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ith_err(err, ith_errno_cause(errno), "cannot write '%s': %s", name, strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		return ith_err(err, ith_errno_cause(errno), "cannot sync '%s': %s", name, strerror(errno));
	return 0;
}

int ith_write_atomic_at(int dfd, const char *path, const void *data, size_t len, mode_t mode, gid_t gid,
	struct ith_strbuf *err)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct ith_strbuf tmp = ITH_STRBUF_INIT;
	char rnd[ITH_UUID_LEN + 1];
	const char *tname;
	int fd = -1, r;
	struct stat st;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return ith_err(err, ITH_ERR_CONFIG, "'%s' does not name a file", path);
	/* Refuse to replace a symlink: someone may want us to write elsewhere. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is a symbolic link; refusing to replace it (remove it first)", path);
	remove_stale_temps(dfd, name);
	if ((r = ith_uuid_v4(rnd, err)) < 0)
		return r;
	ith_strbuf_addf(&tmp, "%s.tmp-%.8s", path, rnd);
	tname = strrchr(tmp.buf, '/') ? strrchr(tmp.buf, '/') + 1 : tmp.buf;
	fd = openat(dfd, tname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = ith_err(err, ith_errno_cause(errno),
			"cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) {
		r = ith_err(err, ITH_ERR_ACCESS, "cannot give '%s' group %u: %s", path, (unsigned)gid, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		r = ith_err(err, ith_errno_cause(errno), "cannot chmod '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if ((r = write_all_sync(fd, tmp.buf, data, len, err)) < 0)
		goto out;
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = ith_err(err, ith_errno_cause(errno), "cannot close '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (renameat(dfd, tname, dfd, name) < 0) {
		r = ith_err(err, ith_errno_cause(errno), "cannot rename '%s' to '%s': %s", tmp.buf, path, strerror(errno));
		goto out;
	}
	if (fsync(dfd) < 0)
		r = ith_err(err, ith_errno_cause(errno), "cannot sync the directory of '%s': %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp.buf)
		unlinkat(dfd, tname, 0);
	ith_strbuf_release(&tmp);
	return r;
}

/* The parent directory of an absolute file path, opened by ith_dir_open_secure. */
static int open_parent(const char *path, const char *what, bool *missing, struct ith_strbuf *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!ith_path_is_absolute(path) || !slash)
		return ith_err(err, ITH_ERR_CONFIG, "'%s' is not an absolute path", path);
	dir = slash == path ? ith_xstrdup("/") : ith_xstrndup(path, (size_t)(slash - path));
	bool missing_last = false;
	fd = dir_open_secure(dir, 0, what, missing, &missing_last, err);
	free(dir);
	return fd;
}

int ith_write_atomic(const char *path, const void *data, size_t len, mode_t mode, gid_t gid, struct ith_strbuf *err)
{
	bool missing = false;
	int dfd = open_parent(path, "directory", &missing, err), r;

	if (dfd < 0)
		return dfd;
	r = ith_write_atomic_at(dfd, path, data, len, mode, gid, err);
	close(dfd);
	return r;
}

int ith_write_check(const char *path, const char *what, struct ith_strbuf *err)
{
	bool missing = false;
	struct stat st;
	int dfd = open_parent(path, "directory", &missing, err), r = 0;

	if (dfd < 0)
		return ith_err_prefix(err, dfd, "%s '%s'", what, path);
	if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) < 0)
		r = ith_err(err, ith_errno_cause(errno), "%s '%s' cannot be written: %s", what, path, strerror(errno));
	else if (fstatat(dfd, strrchr(path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = errno == ENOENT ? 0 : ith_err(err, ith_errno_cause(errno), "%s '%s': %s", what, path, strerror(errno));
	else if (S_ISLNK(st.st_mode))
		r = ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is a symbolic link; it would not be replaced (remove it)", what, path);
	else if (S_ISDIR(st.st_mode))
		r = ith_err(err, ITH_ERR_IO, "%s '%s' is a directory", what, path);
	close(dfd);
	return r;
}

int ith_unlink_check(const char *path, bool *exists, struct ith_strbuf *err)
{
	bool missing = false;
	struct stat st;
	int dfd = open_parent(path, "directory", &missing, err), r = 0;

	*exists = false;
	if (dfd < 0 && missing)
		return 0;  /* no directory, no file */
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, strrchr(path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		*exists = true;
		if (S_ISDIR(st.st_mode))  /* unlinkat(..., 0) would fail */
			r = ith_err(err, ITH_ERR_IO, "cannot remove '%s': it is a directory", path);
		else if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) < 0)
			r = ith_err(err, ith_errno_cause(errno), "cannot remove '%s': %s", path, strerror(errno));
	}
	close(dfd);
	return r;
}

int ith_unlink_if_exists(const char *path, struct ith_strbuf *err)
{
	bool missing = false;
	int dfd = open_parent(path, "directory", &missing, err), r = 0;

	if (dfd < 0 && missing)
		return 0;  /* no directory, no file */
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, strrchr(path, '/') + 1, 0) < 0 && errno != ENOENT)
		r = ith_err(err, ith_errno_cause(errno), "cannot remove '%s': %s", path, strerror(errno));
	close(dfd);
	return r;
}
