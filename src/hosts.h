/*
 * hosts.h - many hosts from one definition: a profile with hosts_file is
 * expanded, on every run, into one profile NAME@HOST per host the file
 * lists, each with its own state file (layout.h: NAME@HOST.state), token,
 * ownership marker (profile NAME@HOST), description (the base's +
 * " (host HOST)"), renewal phase (hashed from its name) and sinks, whose
 * {{host}} is replaced by HOST (ith_sink_substitute_host, the one place
 * that substitutes a sink's string fields).
 *
 * The file: one RFC 1123 host a line (names.h ith_valid_host_name, kept as
 * written), '#' starts a comment, blank lines ignored, a host listed twice
 * refused; checked like the configuration (trust.h: owner root or this
 * user, no group/world write, nor on the way); at most ITH_HOSTS_MAX_BYTES.
 *
 * A host gone from the file whose state NAME@HOST.state is still in
 * state_dir is expanded too, marked host_removed: its rotate records
 * removed_at, and once its grace has passed revokes its tokens, removes its
 * sinks and its state (engine.h). A hosts_file that cannot be used
 * (missing, unsafe, a bad line, no host) leaves the profile unexpanded,
 * named NAME, with hosts_cause/hosts_error set: every command acting on it
 * fails with that message and no host of it is decommissioned.
 *
 * Tier 3 (model): reads the hosts file and lists state_dir through fs.h and
 * layout.h names; config.h's profiles are rewritten in place.
 *
 * Calling sequence (after ith_config_load, before any profile is used):
 *     ith_hosts_expand(&cfg);          // cannot fail: failures stay per profile
 *     r = ith_hosts_select(&cfg, "NAME" | "NAME@HOST", &v, &n, &err);   free(v);
 *
 * Error handling: ith_hosts_parse/ith_hosts_read return ITH_ERR_CONFIG with
 * "FILE:LINE: what" (or "FILE: what"); ith_hosts_select ITH_ERR_USAGE for a
 * name that is not configured.
 */
#ifndef ITH_HOSTS_H
#define ITH_HOSTS_H

#include "config.h"
#include "strbuf.h"

#define ITH_HOSTS_MAX_BYTES (16 * 1024 * 1024)

/* Parse a hosts file's text (file names it in messages); out->v sorted bytewise. */
int ith_hosts_parse(const char *file, const char *text, size_t len, struct ith_strlist *out, struct ith_strbuf *err);
/* Read (trust-checked) and parse profile's hosts file. */
int ith_hosts_read(const struct ith_profile *base, struct ith_strlist *out, struct ith_strbuf *err);
/*
 * A sink for host: a copy of src whose string fields naming a place
 * (path today; a vault sink's path and a kubernetes sink's secret belong
 * here too) have every {{host}} replaced by host. The copy owns those
 * strings (config.c frees them for a hosts_copy profile); the rest is src's.
 */
void ith_sink_substitute_host(struct ith_sink *dst, const struct ith_sink *src, const char *host);
/* base's profile for host (removed: its host left the file). */
void ith_profile_expand(const struct ith_profile *base, const char *host, bool removed, struct ith_profile *out);
/* Expand every profile with hosts_file in cfg (see above). */
void ith_hosts_expand(struct ith_config *cfg);
/* The profiles a name selects: a profile's name (NAME, NAME@HOST), or the
 * base NAME of an expanded profile: all its hosts. *out to free. */
int ith_hosts_select(const struct ith_config *cfg, const char *name, const struct ith_profile ***out, size_t *n,
	struct ith_strbuf *err);

#endif
