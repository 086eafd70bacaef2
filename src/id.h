/*
 * id.h - tier 2: identifiers. Uses tier 0-1 only.
 *
 * Owns the UUID form (the API's token ids, the instance id), random version-4
 * UUIDs from getrandom(2), the profile name length, and a stable FNV-1a hash
 * (per-instance renewal phases; never for secrets).
 *
 * Calling sequence:
 *     char id[ITH_UUID_LEN + 1];
 *     if ((r = ith_uuid_v4(id, err)) < 0) return r;
 *     if (!ith_is_uuid(s)) ...
 *
 * Error handling: ith_uuid_v4 returns 0 or ITH_ERR_IO (getrandom failed)
 * with the message in err (error.h); the rest cannot fail.
 */
#ifndef ITH_ID_H
#define ITH_ID_H

#include <stdbool.h>
#include <stdint.h>

struct ith_strbuf;

#define ITH_UUID_LEN 36
#define ITH_NAME_MAX 64   /* profile names: [A-Za-z][A-Za-z0-9_]{0,63} */
#define ITH_HOST_MAX 253  /* an RFC 1123 host name */
/* A profile as named anywhere: NAME, or NAME@HOST for a profile expanded over hosts_file. */
#define ITH_PROFILE_MAX (ITH_NAME_MAX + 1 + ITH_HOST_MAX)
bool ith_is_uuid(const char *s);
/* A random RFC 4122 version-4 UUID from getrandom(2). */
int ith_uuid_v4(char out[ITH_UUID_LEN + 1], struct ith_strbuf *err);
/* FNV-1a 64-bit: stable, for per-instance renewal phases. Not for secrets. */
uint64_t ith_hash64(const char *s);

#endif
