/*
 * state-model.h - what the helper remembers of one profile between runs:
 * its current and next token (with the secret), retired tokens awaiting
 * revocation, a recorded create intent, counters, the last errors; and the
 * JSON form state.c writes to PROFILE.state (with secrets) and to the
 * public copy (without).
 *
 * Tier 3 (model): pure, no I/O (json-c only), so the planner, the health
 * model and the template renderer can read a state without including
 * state.h, which reads and writes the files (tier 4).
 *
 * Calling sequence:
 *     struct ith_state st;
 *     ith_state_init(&st, instance);     ... change st ...
 *     char *text = ith_state_to_json(&st);   ... ith_free_secret_str(text);
 *     r = ith_state_from_json(text, len, &st, &err);
 *     ith_state_release(&st);            // wipes the secrets
 *
 * Error handling: parsing returns ITH_ERR_STATE_DAMAGED with what is wrong
 * in err (the file's name is the caller's to add); the rest cannot fail
 * (allocation failure aborts).
 */
#ifndef ITH_STATE_MODEL_H
#define ITH_STATE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"
#include "id.h"
#include "mem.h"
#include "strbuf.h"

#define ITH_MAX_RETIRED 64

struct ith_state_token {
	char id[ITH_UUID_LEN + 1];
	struct ith_secret token;
	int64_t created_at, expires_at;
	int64_t started_at;        /* our clock when created: the activation clock */
	struct ith_perms perms;
};

struct ith_retired {
	char id[ITH_UUID_LEN + 1];
	int64_t revoke_after;      /* with after_publish: provisional (promotion + grace), what an older binary uses */
	int64_t expires_at;
	bool after_publish;        /* "revoke after: not yet": the grace starts once the successor is published to
	                            * every sink (schedule.h ith_grace_start); JSON "after_publish", absent = false */
};

/*
 * The publish record: per sink, the token id last published there with
 * success. A sink is named by its key (output.h ith_sink_key: a hash of its
 * type and target, so reordering the sinks in the config changes nothing).
 * JSON "published": [{"sink","id"}]; absent (an older state) = no record:
 * local sinks are compared by content as before, remote ones published.
 */
#define ITH_MAX_PUBLISHED 64
#define ITH_SINK_KEY_LEN 16
struct ith_published {
	char sink[ITH_SINK_KEY_LEN + 1];
	char id[ITH_UUID_LEN + 1];
};

/* The last publish's failure (JSON "publish_failure", absent when none). */
struct ith_publish_failure {
	int64_t since;             /* the first failing publish of this streak (0: publishing is fine) */
	unsigned sinks;            /* how many sinks failed on the last publish */
	char sink[256];            /* the first failing sink, as messages name it */
	char error[256];           /* its message (sink messages carry no secret) */
};

struct ith_state {
	char instance[ITH_UUID_LEN + 1];
	bool has_current, has_next;
	struct ith_state_token current, next;
	struct ith_retired retired[ITH_MAX_RETIRED];
	size_t nretired;
	int64_t pending_since;     /* a create was started and its answer not recorded */
	uint64_t rotations, failures;
	int64_t last_rotation, last_attempt;
	char last_error[256];
	uint64_t hook_failures;
	char last_hook_error[256];  /* "" when the last hook run succeeded */
	char hook_pending[ITH_UUID_LEN + 1];  /* on_rotate still owed for this token ("" none) */
	struct ith_published published[ITH_MAX_PUBLISHED];
	size_t npublished;
	struct ith_publish_failure publish;
	bool loaded_foreign;       /* a file of another instance was found and ignored */
	int64_t removed_at;        /* NAME@HOST: when its host was first seen gone from hosts_file (0: listed) */
};

void ith_state_init(struct ith_state *st, const char *instance);
void ith_state_release(struct ith_state *st);
void ith_state_token_release(struct ith_state_token *t);
/* Add to retired (dropping the oldest entry when full). */
void ith_state_retire(struct ith_state *st, const char *id, int64_t revoke_after, int64_t expires_at);
void ith_state_drop_retired(struct ith_state *st, size_t i);
/* The token id last published to sink key (NULL: no record). */
const char *ith_state_published(const struct ith_state *st, const char *key);
/* Record id as published to key; returns whether the record changed. Full: the oldest record gives way. */
bool ith_state_set_published(struct ith_state *st, const char *key, const char *id);
void ith_state_drop_published(struct ith_state *st, size_t i);

/* What the public copy carries besides the state (see state.h's ith_state_publish). */
struct ith_public {
	char cluster_id[ITH_UUID_LEN + 1];
	int64_t renew_at;          /* when the current token's renewal is due (0: none) */
};

/* Serialise / parse (exposed for tests). with_secrets false: no "token" fields. */
char *ith_state_to_json_ex(const struct ith_state *st, bool with_secrets, const struct ith_public *pub);
char *ith_state_to_json(const struct ith_state *st);    /* free with ith_free_secret_str */
int ith_state_from_json_ex(const char *text, size_t len, bool need_secrets, struct ith_state *out,
	struct ith_strbuf *err);
int ith_state_from_json(const char *text, size_t len, struct ith_state *out, struct ith_strbuf *err);

#endif
