/*
 * state.h - what the helper remembers between runs, in state_dir (0700):
 *
 *   instance          this helper instance's id (+ a hash of /etc/machine-id)
 *   <profile>.state   JSON, 0600: current / next token (with secret),
 *                     retired tokens awaiting revocation, a recorded create
 *                     intent, counters and the last error
 *   <profile>.lock    flock(2)ed around every change and every API call
 *
 * The file names are layout.h's (the one definition; config.c's collision
 * check reads the same). Tier 4 (effects): files, locks, the machine id.
 *
 * Files are replaced durably (util.h ith_write_atomic); a crash leaves either
 * the old or the new file. A state written by another instance (a cloned
 * disk image) is ignored, never acted on: its tokens are not ours to revoke.
 *
 * Calling sequence:
 *     ith_instance_load(dir, id);
 *     ith_lock_acquire(dir, profile, timeout, &lock);
 *     ith_state_load(dir, profile, id, &st);   ... change st ...
 *     ith_state_save(dir, profile, &st);
 *     ith_state_release(&st); ith_lock_release(&lock);
 *
 * Error handling: fallible functions take the caller's err (error.h):
 * ITH_ERR_UNSAFE for unsafe modes/owners or symlinks (with the fix in the
 * message), ITH_ERR_LOCK_BUSY when the lock stays busy, ITH_ERR_IO for I/O
 * errors; a corrupt or oversized state file is ITH_ERR_STATE_DAMAGED naming
 * the file.
 */
#ifndef ITH_STATE_H
#define ITH_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "token.h"
#include "util.h"

#define ITH_STATE_MAX_BYTES (1024 * 1024)
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
	int64_t revoke_after;
	int64_t expires_at;
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
	bool loaded_foreign;       /* a file of another instance was found and ignored */
};

void ith_state_init(struct ith_state *st, const char *instance);
void ith_state_release(struct ith_state *st);
void ith_state_token_release(struct ith_state_token *t);
/* Missing file: an empty state. */
int ith_state_load(const char *dir, const char *profile, const char *instance, struct ith_state *out,
	struct ith_strbuf *err);
int ith_state_save(const char *dir, const char *profile, const struct ith_state *st, struct ith_strbuf *err);
int ith_state_remove(const char *dir, const char *profile, struct ith_strbuf *err);
/* Add to retired (dropping the oldest entry when full). */
void ith_state_retire(struct ith_state *st, const char *id, int64_t revoke_after, int64_t expires_at);
void ith_state_drop_retired(struct ith_state *st, size_t i);
/*
 * The public form: the state without any secret, world-readable, in
 * status_dir (when configured) so that `status` works for users who may not
 * read state_dir (Telegraf's inputs.exec). Published by every run that
 * holds the profile's lock (after each state save, and by a rotate with
 * nothing to do, so that a status_dir emptied by a reboot is filled again);
 * written only when it differs from what is there.
 */
struct ith_public {
	char cluster_id[ITH_UUID_LEN + 1];
	int64_t renew_at;          /* when the current token's renewal is due (0: none) */
};
int ith_state_publish(const char *status_dir, const char *profile, const struct ith_state *st,
	const struct ith_public *pub, struct ith_strbuf *err);
int ith_state_unpublish(const char *status_dir, const char *profile, struct ith_strbuf *err);
/* pub may be NULL. A missing file reads as an empty state. */
int ith_state_load_public(const char *status_dir, const char *profile, struct ith_state *out,
	struct ith_public *pub, struct ith_strbuf *err);

/* Serialise / parse (exposed for tests). with_secrets false: no "token" fields. */
char *ith_state_to_json_ex(const struct ith_state *st, bool with_secrets, const struct ith_public *pub);
char *ith_state_to_json(const struct ith_state *st);    /* free with ith_free_secret_str */
int ith_state_from_json_ex(const char *text, size_t len, bool need_secrets, struct ith_state *out,
	struct ith_strbuf *err);
int ith_state_from_json(const char *text, size_t len, struct ith_state *out, struct ith_strbuf *err);

struct ith_lock {
	int fd;
};
#define ITH_LOCK_INIT { -1 }
int ith_lock_acquire(const char *dir, const char *profile, int64_t timeout_ms, struct ith_lock *out,
	struct ith_strbuf *err);
void ith_lock_release(struct ith_lock *l);

/* The instance id, created on first use; regenerated when the machine id
 * changed since (clones diverge). *regenerated tells which happened. */
int ith_instance_load(const char *dir, char out[ITH_UUID_LEN + 1], bool *regenerated, struct ith_strbuf *err);
/* Read-only: the id if there is a current one, else out = "" (never writes). */
int ith_instance_peek(const char *dir, char out[ITH_UUID_LEN + 1], struct ith_strbuf *err);

#endif
