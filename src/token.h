/*
 * token.h - database tokens as the Management API describes them, the
 * parsing of API answers into them, and the ownership marker.
 *
 * Parsing type-checks every field before use: ids must be UUIDs, times RFC
 * 3339, permissions {action: "read"|"write", resource: 1-64 chars or "*"}.
 * Anything else is ITH_ERR_API_MALFORMED (message in err). JSON text is size-capped and depth-limited.
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
#include "id.h"
#include "mem.h"
#include "strbuf.h"

#define ITH_JSON_MAX_BYTES (4 * 1024 * 1024)    /* one token object, an error body */
#define ITH_JSON_MAX_DEPTH 16
#define ITH_LIST_MAX_BYTES (512 * 1024 * 1024)  /* a whole list answer, streamed */
#define ITH_LIST_ELEMENT_MAX (1024 * 1024)      /* one element of it; larger ones are skipped */
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
int ith_token_parse_json(const char *text, size_t len, bool want_secret, struct ith_token *out, struct ith_strbuf *err);
/*
 * The list answer, parsed as it arrives (a JSON array of token objects that
 * may hold tens of thousands of tokens of other hosts and teams):
 *
 *     struct ith_list_parser *lp = ith_list_parser_new(instance, note, ud);
 *     r = ith_list_parser_feed(lp, chunk, n);      // any split, repeatedly
 *     r = ith_list_parser_finish(lp, &list, &stats);
 *     ith_list_parser_free(lp);
 *
 * Elements are framed one at a time and each is parsed on its own, so memory
 * does not grow with the inventory. Only tokens whose description carries
 * the marker of `instance` (any profile) are parsed strictly and kept in the
 * list; a token of ours that does not parse is ITH_ERR_API_MALFORMED naming its id.
 * Every other element is foreign: read as an opaque record (id, description,
 * revokedAt) whatever else it holds, counted and dropped; one that is not
 * even that (not an object, no string id, not JSON, over
 * ITH_LIST_ELEMENT_MAX) is skipped with a note. instance NULL: keep nothing.
 * Broken framing (not an array, truncated, trailing bytes) is ITH_ERR_API_MALFORMED.
 */
struct ith_list_stats {
	size_t total;       /* elements in the answer */
	size_t ours;        /* kept: this instance's tokens */
	size_t foreign;     /* opaque records of other hosts and teams */
	size_t revoked;     /* of the foreign ones, revoked */
	size_t skipped;     /* elements that were not even an opaque record */
};
typedef void (*ith_note_fn)(void *ud, const char *msg);
struct ith_list_parser;
struct ith_list_parser *ith_list_parser_new(const char *instance, ith_note_fn note, void *ud);
void ith_list_parser_reset(struct ith_list_parser *lp);
int ith_list_parser_feed(struct ith_list_parser *lp, const char *buf, size_t len, struct ith_strbuf *err);
int ith_list_parser_finish(struct ith_list_parser *lp, struct ith_token_list *out, struct ith_list_stats *stats,
	struct ith_strbuf *err);
void ith_list_parser_free(struct ith_list_parser *lp);
/* The same over a complete text (tests, fuzzing). stats may be NULL. */
int ith_token_list_parse_json(const char *text, size_t len, const char *instance, struct ith_token_list *out,
	struct ith_list_stats *stats, struct ith_strbuf *err);

/* Marker */
void ith_marker_format(const char *instance, const char *profile, struct ith_strbuf *out);
/* Parse the marker at the end of a description. Returns true and fills
 * instance (37 bytes) and profile (65 bytes) when it is well formed. */
bool ith_marker_parse(const char *description, char *instance, char *profile);
bool ith_token_owned(const struct ith_token *t, const char *instance, const char *profile);

#endif
