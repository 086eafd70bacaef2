#include "error.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char errbuf[1024];

int ith_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	ith_sanitize_inplace(errbuf);  /* messages quote server text and paths: one line, no escapes */
	return code;
}

int ith_error_prefix(int code, const char *fmt, ...)
{
	char prefix[512], old[sizeof(errbuf)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, errbuf, sizeof(old));
	snprintf(errbuf, sizeof(errbuf), "%s: %s", prefix, old);
	ith_sanitize_inplace(errbuf);
	return code;
}

const char *ith_errmsg(void)
{
	return errbuf[0] ? errbuf : "unknown error";
}

void ith_error_clear(void)
{
	errbuf[0] = '\0';
}

int ith_exit_code(int err)
{
	switch (err) {
	case ITH_E_USAGE: return 64;
	case ITH_E_DATA: return 65;
	case ITH_E_UNAVAILABLE: return 69;
	case ITH_E_NOTFOUND: return 69;
	case ITH_E_INTERNAL: return 70;
	case ITH_E_TEMP: return 75;
	case ITH_E_PERM: return 77;
	case ITH_E_CONFIG: return 78;
	default: return err < 0 ? 70 : 0;
	}
}

const char *ith_strerror(int err)
{
	switch (err) {
	case ITH_OK: return "success";
	case ITH_E_USAGE: return "usage error";
	case ITH_E_DATA: return "malformed API answer";
	case ITH_E_UNAVAILABLE: return "API unavailable";
	case ITH_E_NOTFOUND: return "not found";
	case ITH_E_INTERNAL: return "internal error";
	case ITH_E_TEMP: return "temporary failure";
	case ITH_E_PERM: return "permission denied";
	case ITH_E_CONFIG: return "configuration error";
	default: return "error";
	}
}
