/*
 * token.h - database tokens as the Management API describes them, the
 * parsing of API answers into them, and the ownership marker.
 *
 * Parsing type-checks every field before use: ids must be UUIDs, times RFC
 * 3339, permissions {action: "read"|"write", resource: 1-64 chars or "*"}.
 * Anything else is ITH_E_DATA. JSON text is size-capped and depth-limited.
 *
 * The ownership marker is appended to every description the helper sends:
 *     "<description> [influx-token-helper:<instance-uuid>:<profile>]"
 * A token is ours for a profile only when its description ends with exactly
 * that marker (ith_token_owned). Nothing else is ever updated or revoked.
 *
 * Calling sequence:
 *     struct ith_token t = ITH_TOKEN_INIT;
 *     r = ith_token_parse_json(text, len, true, &t);
 *     ith_token_release(&t);          // wipes the access token
 */
#ifndef ITH_TOKEN_H
#define ITH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define ITH_JSON_MAX_BYTES (4 * 1024 * 1024)
#define ITH_JSON_MAX_DEPTH 16
#define ITH_MARKER_PREFIX "[influx-token-helper:"

struct ith_perm {
	char action[8];         /* "read" or "write" */
	char *resource;         /* database name or "*" */
};

struct ith_perms {
	struct ith_perm *v;
	size_t n;
};

struct ith_token {
	char id[ITH_UUID_LEN + 1];
	char *description;
	struct ith_perms perms;
	int64_t created_at;     /* 0: absent */
	int64_t expires_at;     /* 0: no expiry given */
	int64_t revoked_at;     /* 0: not revoked */
	struct ith_secret access_token;  /* only from create */
};
#define ITH_TOKEN_INIT { { 0 }, NULL, { NULL, 0 }, 0, 0, 0, ITH_SECRET_INIT }

struct ith_token_list {
	struct ith_token *v;
	size_t n;
};

void ith_token_release(struct ith_token *t);
void ith_token_list_release(struct ith_token_list *l);
void ith_perms_release(struct ith_perms *p);
/* Add one (action, resource) pair unless already there. */
void ith_perms_add(struct ith_perms *p, const char *action, const char *resource);
void ith_perms_copy(struct ith_perms *dst, const struct ith_perms *src);
/* Build the sorted permission set for write/read database lists. */
void ith_perms_from_lists(struct ith_perms *out, char *const *write, size_t nwrite,
	char *const *read, size_t nread);
/* Same set of (action, resource) pairs, order and duplicates ignored. */
bool ith_perms_equal(const struct ith_perms *a, const struct ith_perms *b);
/* "write:sensors,read:metrics" for humans. */
void ith_perms_format(const struct ith_perms *p, struct ith_strbuf *out);

/* One token object. want_secret: require and keep accessToken (create answer). */
int ith_token_parse_json(const char *text, size_t len, bool want_secret, struct ith_token *out);
/* The list answer: a JSON array of token objects. */
int ith_token_list_parse_json(const char *text, size_t len, struct ith_token_list *out);

/* Marker */
void ith_marker_format(const char *instance, const char *profile, struct ith_strbuf *out);
/* Parse the marker at the end of a description. Returns true and fills
 * instance (37 bytes) and profile (65 bytes) when it is well formed. */
bool ith_marker_parse(const char *description, char *instance, char *profile);
bool ith_token_owned(const struct ith_token *t, const char *instance, const char *profile);

#endif
