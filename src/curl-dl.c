#include "curl-dl.h"
#include "error.h"
#include "strbuf.h"

#include <dlfcn.h>
#include <stdlib.h>

#define ITH_CURL_DEFINE(name) __typeof__(name) *sym_##name;
ITH_CURL_SYMBOLS(ITH_CURL_DEFINE)
#undef ITH_CURL_DEFINE

static int loaded;  /* 1: loaded; a failed load is tried again (no message kept here) */

int ith_dlopen_curl(struct ith_strbuf *err)
{
	const char *lib = getenv("INFLUX_TOKEN_HELPER_LIBCURL");
	void *h;
	int r;

	if (loaded == 1)
		return 0;
	if (!lib || !*lib)
		lib = ITH_LIBCURL_SONAME;
	h = dlopen(lib, RTLD_NOW | RTLD_NODELETE);
	if (!h) {
		r = ith_err(err, ITH_ERR_API_UNAVAILABLE, "cannot load libcurl (%s): %s; install the libcurl4 package "
			"(Debian/Ubuntu) or libcurl (RHEL/Fedora)", lib, dlerror());
		goto fail;
	}
	/* POSIX: a void * from dlsym converts to a function pointer. */
#define ITH_CURL_RESOLVE(name) \
	*(void **)&sym_##name = dlsym(h, #name); \
	if (!sym_##name) { \
		r = ith_err(err, ITH_ERR_API_UNAVAILABLE, "libcurl (%s) lacks %s: it is too old or not libcurl", lib, #name); \
		goto fail; \
	}
	ITH_CURL_SYMBOLS(ITH_CURL_RESOLVE)
#undef ITH_CURL_RESOLVE
	loaded = 1;
	return 0;
fail:
#define ITH_CURL_CLEAR(name) sym_##name = NULL;
	ITH_CURL_SYMBOLS(ITH_CURL_CLEAR)
#undef ITH_CURL_CLEAR
	if (h)
		dlclose(h);
	return r;
}

const char *ith_curl_version(void)
{
	if (loaded != 1)
		return NULL;
	return sym_curl_version_info(CURLVERSION_NOW)->version;
}
