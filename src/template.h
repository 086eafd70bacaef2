/*
 * template.h - the `template` sink's renderer: a text file (a Grafana
 * datasource provisioning file, an `influx` CLI config, a .netrc) with
 * placeholders the helper fills in on every switch. The placeholders, and
 * the reading and checking of the file at load, are template-parse.h's;
 * this header includes it, so a caller sees the whole template sink here.
 *
 * Tier 3 (model): pure, it fills a template from a state token
 * (state-model.h) into a strbuf; output.c (tier 4) writes the result into
 * the sink. Its parsing half sits apart, in template-parse.h, because
 * config.c checks templates at load and this half needs config.h.
 *
 * Calling sequence:
 *     r = ith_template_load(path, &tmpl, &err);      // template-parse.h
 *     ith_template_render(tmpl, p, &tok, &out);      // out is a secret strbuf
 *     ith_template_free(tmpl);
 *
 * Error handling: rendering cannot fail (allocation failure aborts); the
 * template was checked when it was loaded.
 */
#ifndef ITH_TEMPLATE_H
#define ITH_TEMPLATE_H

#include "config.h"
#include "state-model.h"
#include "template-parse.h"

void ith_template_render(const struct ith_template *t, const struct ith_profile *p, const struct ith_state_token *tok,
	struct ith_strbuf *out);

#endif
