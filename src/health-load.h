/*
 * health-load.h - the health model (health.h) of a profile, read from its
 * state file, or from the copy published in status_dir, and the names
 * published there. Tier 4: it reads files (state.h); the model and its
 * encodings stay pure in health.c.
 *
 * Calling sequence:
 *     struct ith_health h;
 *     ith_health_load(cfg, p, instance, public, now, &h);
 *     ith_health_published_names(dir, &names, &n, err);
 *     ith_health_load_published(dir, names[i], now, &h);
 *
 * Error handling: a profile whose state cannot be read is not a failure of
 * the report: ith_health_load() gives it the state "error" with the message
 * as its last_error. Only ith_health_published_names() returns a cause (err)
 * (the directory cannot be opened; a missing one is no names, not an error).
 */
#ifndef ITH_HEALTH_LOAD_H
#define ITH_HEALTH_LOAD_H

#include "health.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* From state_dir, or (public) from status_dir's published copy. */
void ith_health_load(const struct ith_config *cfg, const struct ith_profile *p, const char *instance, bool public,
	int64_t now, struct ith_health *h);
/* From the published copy of name in dir alone, no configuration. */
void ith_health_load_published(const char *dir, const char *name, int64_t now, struct ith_health *h);
/* The profile names published in dir (*.json), sorted; free each and the vector. */
int ith_health_published_names(const char *dir, char ***out, size_t *n, struct ith_strbuf *err);

#endif
