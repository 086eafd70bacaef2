/*
 * template.h - the `template` sink's renderer: a text file (a Grafana
 * datasource provisioning file, an `influx` CLI config, a .netrc) with
 * placeholders the helper fills in on every switch:
 *
 *   {{token}}        the token (the only secret)
 *   {{id}}           its id
 *   {{expires_at}}   its expiry, RFC 3339 UTC
 *   {{profile}}      the profile name
 *
 * Spaces inside the braces are allowed ({{ token }}). Any other {{...}}, or
 * a "{{" that is never closed on its line, is a configuration error naming
 * the template's line. The template is read and checked when the
 * configuration is loaded (so `check --offline` catches it).
 *
 * Calling sequence:
 *     r = ith_template_load(path, &tmpl);      // ITH_ERR_CONFIG "PATH:LINE: ..."
 *     ith_template_render(tmpl, p, &tok, &out); // out is a secret strbuf
 *     ith_template_free(tmpl);
 */
#ifndef ITH_TEMPLATE_H
#define ITH_TEMPLATE_H

#include "config.h"
#include "state.h"

#define ITH_TEMPLATE_MAX_BYTES (48 * 1024)

struct ith_template;

int ith_template_load(const char *path, struct ith_template **out, struct ith_strbuf *err);
/* The same checks on text in memory (path only names it in messages). */
int ith_template_parse(const char *path, const char *text, size_t len, struct ith_template **out,
	struct ith_strbuf *err);
void ith_template_render(const struct ith_template *t, const struct ith_profile *p, const struct ith_state_token *tok,
	struct ith_strbuf *out);
void ith_template_free(struct ith_template *t);

#endif
