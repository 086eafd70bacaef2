#include "id.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

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
