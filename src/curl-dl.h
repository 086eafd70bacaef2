/*
 * curl-dl.h - libcurl, loaded on demand.
 *
 * Linking libcurl costs every process start about 5 ms (it brings ~30 shared
 * libraries); a cached `get` needs no network, so the program does not link
 * it. The first API call loads it with dlopen("libcurl.so.4", RTLD_NOW |
 * RTLD_NODELETE) and resolves every symbol the client uses into a pointer
 * whose type is taken from curl.h's own prototype (so a mismatch is a compile
 * error), as systemd does for its optional libraries. The packages still
 * depend on libcurl.
 *
 * $INFLUX_TOKEN_HELPER_LIBCURL overrides the library to load (a name or an
 * absolute path), for unusual installs and for the test that the failure is
 * clear.
 *
 * Calling sequence:  r = ith_dlopen_curl(&err);  then sym_curl_easy_init() etc.
 * Error handling: ITH_ERR_API_UNAVAILABLE naming (in err) the library, the missing symbol
 * and the package to install; the pointers stay NULL.
 */
#ifndef ITH_CURL_DL_H
#define ITH_CURL_DL_H

#define CURL_DISABLE_TYPECHECK 1  /* the type-checking macros call the real names */
#include <curl/curl.h>

#define ITH_LIBCURL_SONAME "libcurl.so.4"

#define ITH_CURL_SYMBOLS(X) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_setopt) \
	X(curl_easy_perform) \
	X(curl_easy_getinfo) \
	X(curl_easy_cleanup) \
	X(curl_easy_strerror) \
	X(curl_easy_escape) \
	X(curl_free) \
	X(curl_getdate) \
	X(curl_slist_append) \
	X(curl_slist_free_all) \
	X(curl_version_info)

#define ITH_CURL_DECLARE(name) extern __typeof__(name) *sym_##name;
ITH_CURL_SYMBOLS(ITH_CURL_DECLARE)
#undef ITH_CURL_DECLARE

struct ith_strbuf;
/* Load once; a failure (ITH_ERR_API_UNAVAILABLE, the message in err) is tried
 * again on the next call. */
int ith_dlopen_curl(struct ith_strbuf *err);
/* The curl version string once loaded, else NULL. */
const char *ith_curl_version(void);

#endif
