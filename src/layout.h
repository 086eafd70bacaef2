/*
 * layout.h - where the helper keeps its files: the one definition of their
 * names, for state.c (which writes them), credential.c (which reads the
 * management token) and config.c (whose collision check keeps sinks off
 * them).
 *
 *   state_dir/instance            this instance's id (state.c)
 *   state_dir/instance.lock       its lock
 *   state_dir/PROFILE.state       a profile's state
 *   state_dir/PROFILE.lock        its lock (flock)
 *   status_dir/PROFILE.json       its public copy, without secrets
 *   $CREDENTIALS_DIRECTORY/management-token   the management token (systemd)
 *
 * state_dir, when the configuration names none: ITH_DEFAULT_STATE_DIR for
 * root, else $XDG_STATE_HOME/influx-token-helper, else
 * ~/.local/state/influx-token-helper.
 *
 * Tier 3 (model): paths are built, never opened; only the default state
 * directory reads the environment (and the password database for a home).
 *
 * Calling sequence:
 *     char *p = ith_layout_file(dir, profile, ITH_LAYOUT_STATE);   ... free(p);
 *     r = ith_layout_default_state_dir(&dir, &err);
 *
 * Error handling: path builders cannot fail (allocation failure aborts);
 * ith_layout_default_state_dir returns ITH_ERR_CONFIG ("state_dir: not
 * set, ...") when there is no home directory to put it in.
 */
#ifndef ITH_LAYOUT_H
#define ITH_LAYOUT_H
#include "strbuf.h"

#define ITH_DEFAULT_STATE_DIR "/var/lib/influx-token-helper"
/* The instance id's file (and, with ITH_LAYOUT_LOCK, its lock) in state_dir. */
#define ITH_LAYOUT_INSTANCE "instance"
/* The lock of the Prometheus textfile's writers, in state_dir (helper/cli.c). */
#define ITH_LAYOUT_TEXTFILE_LOCK ".prometheus-textfile"
/* The management token's credential name under $CREDENTIALS_DIRECTORY. */
#define ITH_LAYOUT_CREDENTIAL "management-token"

/* A file's suffix after its name (a profile, or ITH_LAYOUT_INSTANCE). */
#define ITH_LAYOUT_STATE ".state"   /* in state_dir */
#define ITH_LAYOUT_LOCK ".lock"     /* in state_dir */
#define ITH_LAYOUT_STATUS ".json"   /* in status_dir */
#define ITH_LAYOUT_PLAIN ""         /* the name alone (the instance file, the credential) */

/* "DIR/NAMEKIND", e.g. ith_layout_file(state_dir, "a", ITH_LAYOUT_LOCK) is
 * "state_dir/a.lock". Free the result. */
char *ith_layout_file(const char *dir, const char *name, const char *kind);
/* state_dir when the configuration names none (see above); *out to free. */
int ith_layout_default_state_dir(char **out, struct ith_strbuf *err);

#endif
