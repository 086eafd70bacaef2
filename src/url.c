#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The host of a URL's authority h (ending at aend), bracketed IPv6 or a name; *hend: where it ends. */
static const char *url_host(const char *h, const char *aend, struct ith_url *u, const char **hend)
{
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(aend - h));
		struct in6_addr a6;
		if (!close || (size_t)(close - h - 1) >= sizeof(u->host))
			return "has an unterminated [IPv6] host";
		memcpy(u->host, h + 1, (size_t)(close - h - 1));
		u->host[close - h - 1] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return "has a bracketed host that is not an IPv6 address";
		u->ipv6 = true;
		*hend = close + 1;
		if (*hend != aend && **hend != ':')
			return "has characters after the ] of its IPv6 host";
	} else {
		const char *p, *e = memchr(h, ':', (size_t)(aend - h));
		if (!e)
			e = aend;
		*hend = e;
		if ((size_t)(e - h) >= sizeof(u->host))
			return "has a host name that is too long";
		for (p = h; p < e; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_'))
				return "has a host with characters other than letters, digits, '-', '.' and '_'";
		memcpy(u->host, h, (size_t)(e - h));
		u->host[e - h] = '\0';
	}
	return NULL;
}

const char *ith_url_parse(const char *url, struct ith_url *u)
{
	const char *p, *auth, *aend, *hend, *why;
	size_t n = strlen(url);

	memset(u, 0, sizeof(*u));
	u->port = -1;
	if (n > 2000)
		return "is too long (at most 2000 characters)";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || strchr("\"'\\<>{}|^`", url[i]))
			return "holds a space, a control character or a character not allowed in a URL";
	if (!strncasecmp(url, "https://", 8)) {
		u->https = true;
		auth = url + 8;
	} else if (!strncasecmp(url, "http://", 7)) {
		auth = url + 7;
	} else {
		return "must start with https://";
	}
	aend = auth + strcspn(auth, "/?#");
	if (strpbrk(auth, "?#"))
		return "must not contain a query (?...) or fragment (#...); give the base URL only";
	if (memchr(auth, '@', (size_t)(aend - auth)))
		return "must not contain user:password@ (a user name or password); the URL must not carry credentials";
	if ((why = url_host(auth, aend, u, &hend)))
		return why;
	if (!u->host[0])
		return "has no host";
	if (hend < aend) {  /* ":port" */
		long port = 0;
		if (hend + 1 == aend || aend - hend - 1 > 5)
			return "has an empty or overlong port";
		for (p = hend + 1; p < aend; p++) {
			if (!isdigit((unsigned char)*p))
				return "has a port that is not a number";
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return "has a port out of range (1-65535)";
		u->port = (int)port;
	}
	u->path = aend;
	return NULL;
}

bool ith_url_host_is_loopback(const struct ith_url *u)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (u->ipv6)
		return inet_pton(AF_INET6, u->host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	if (!strcasecmp(u->host, "localhost"))
		return true;
	if (inet_pton(AF_INET, u->host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return false;
}

bool ith_url_scheme_allowed(const struct ith_url *u)
{
	return u->https || ith_url_host_is_loopback(u);
}

bool ith_url_is_loopback_http(const char *url)
{
	struct ith_url u;

	return !ith_url_parse(url, &u) && !u.https && ith_url_host_is_loopback(&u);
}

const char *ith_url_shown(const char *url, char *out, size_t len)
{
	const char *rest = strstr(url, "://"), *at = strrchr(url, '@');
	size_t head = rest ? (size_t)(rest + 3 - url) : 0;
	/* an '@' past the host (a password with '/' in it, or a path): what came before it is elided, visibly */
	bool past_host = at && at > url + head + strcspn(url + head, "/?#");

	rest = at ? at + 1 : url + head;
	if (rest < url + head)  /* an '@' inside the scheme: nothing to drop */
		rest = url + head;
	snprintf(out, len, "%.*s%s%.*s", (int)head, url, past_host ? "...@" : "", (int)strcspn(rest, "?#"), rest);
	return out;
}
