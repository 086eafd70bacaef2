#include "time.h"
#include "error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
