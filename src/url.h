/*
 * url.h - the management API's base URL as curl will read it, and the one
 * rule about plain http: only to a host that is literally loopback.
 *
 * Tier 3 (pure model): no I/O, no allocation; libc only (inet_pton). The
 * configuration loader (config.c) refuses a URL with these; a message
 * shows a URL through ith_url_shown, never with what could be a
 * credential in it.
 *
 * Calling sequence:
 *     struct ith_url u;
 *     const char *why = ith_url_parse(url, &u);   // NULL: parsed
 *     if (!why && !ith_url_scheme_allowed(&u)) ... refuse: http to a remote host ...
 *
 * Error handling: ith_url_parse returns NULL, or a reason to put after the
 * URL in a message ("has no host"); it never writes an error buffer.
 */
#ifndef ITH_URL_H
#define ITH_URL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A base URL, parsed as curl will read it: scheme (http or https, any case),
 * host (a name, an IPv4 address or an [IPv6] one), optional :port, path.
 * Refused: userinfo (anything with '@' before the path), query, fragment,
 * spaces, control and unsafe characters. Returns NULL and fills *u, or a
 * reason for a message ("has no host"). u->path points into url.
 */
struct ith_url {
	bool https;
	bool ipv6;          /* host was [bracketed]; host holds it without brackets */
	char host[256];
	int port;           /* -1: none given */
	const char *path;   /* "" or "/..." */
};
const char *ith_url_parse(const char *url, struct ith_url *u);
/* The host is literally loopback: 127.0.0.0/8, ::1 or "localhost". */
bool ith_url_host_is_loopback(const struct ith_url *u);
/* The rule for a parsed URL's scheme: https to any host; plain http only to a
 * host that is literally loopback (the token would cross a network in clear). */
bool ith_url_scheme_allowed(const struct ith_url *u);
/* true for well-formed http URLs whose host is loopback (see above). */
bool ith_url_is_loopback_http(const char *url);
/*
 * A URL as a message may show it, into out (len bytes): without what could
 * be a credential, i.e. anything up to the last '@' after the scheme
 * (user:password@, shown as "...@" when it lies past the host), and without
 * a query or fragment (?token=...). Returns out.
 */
const char *ith_url_shown(const char *url, char *out, size_t len);

#endif
