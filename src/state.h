/*
 * state.h - what the helper remembers between runs, in state_dir (0700):
 *
 *   instance          this helper instance's id (+ a hash of /etc/machine-id)
 *   <profile>.state   JSON, 0600: current / next token (with secret),
 *                     retired tokens awaiting revocation, a recorded create
 *                     intent, counters and the last error
 *   <profile>.lock    flock(2)ed around every change and every API call
 *
 * What a state holds, its JSON form and the public form are
 * state-model.h's (tier 3, pure; this header includes it). The file names
 * are layout.h's (the one definition; config.c's collision check reads the
 * same). Tier 4 (effects): files, locks, the machine id.
 *
 * Files are replaced durably (fs.h ith_write_atomic); a crash leaves either
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

#include "state-model.h"
#include "id.h"
#include "strbuf.h"

#define ITH_STATE_MAX_BYTES (1024 * 1024)

/* Missing file: an empty state. */
int ith_state_load(const char *dir, const char *profile, const char *instance, struct ith_state *out,
	struct ith_strbuf *err);
int ith_state_save(const char *dir, const char *profile, const struct ith_state *st, struct ith_strbuf *err);
int ith_state_remove(const char *dir, const char *profile, struct ith_strbuf *err);
/*
 * The public form: the state without any secret, world-readable, in
 * status_dir (when configured) so that `status` works for users who may not
 * read state_dir (Telegraf's inputs.exec). Published by every run that
 * holds the profile's lock (after each state save, and by a rotate with
 * nothing to do, so that a status_dir emptied by a reboot is filled again);
 * written only when it differs from what is there.
 */
int ith_state_publish(const char *status_dir, const char *profile, const struct ith_state *st,
	const struct ith_public *pub, struct ith_strbuf *err);
int ith_state_unpublish(const char *status_dir, const char *profile, struct ith_strbuf *err);
/* pub may be NULL. A missing file reads as an empty state. */
int ith_state_load_public(const char *status_dir, const char *profile, struct ith_state *out,
	struct ith_public *pub, struct ith_strbuf *err);

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
