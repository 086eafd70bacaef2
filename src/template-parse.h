/*
 * template-parse.h - a `template` sink's file, read and checked: the text
 * cut into literal slices and placeholders. The placeholders:
 *
 *   {{token}}        the token (the only secret)
 *   {{id}}           its id
 *   {{expires_at}}   its expiry, RFC 3339 UTC
 *   {{profile}}      the profile name
 *
 * Spaces inside the braces are allowed ({{ token }}). Any other {{...}}, or
 * a "{{" that is never closed on its line, is a configuration error naming
 * the template's line. The template is read and checked when the
 * configuration is loaded (config.c), so `check --offline` catches it; it
 * is filled in by template.h's renderer.
 *
 * Tier 3 (model): the pure part of the template sink, so that config.c can
 * check templates at load without reaching up to template.h (which needs
 * state.h). Reads the file as config.c reads its own: trusted path, capped.
 *
 * Calling sequence:
 *     r = ith_template_load(path, &tmpl, &err);   // ITH_ERR_CONFIG "PATH:LINE: ..."
 *     ... ith_template_render (template.h) ...
 *     ith_template_free(tmpl);
 *
 * Error handling: ITH_ERR_CONFIG for a template that does not parse (not a
 * regular file, a NUL byte, an unknown or unclosed placeholder); the
 * trusted-path and read errors of util.h (ITH_ERR_UNSAFE,
 * ITH_ERR_FILE_NOT_FOUND, ITH_ERR_FILE_TOO_BIG, ...) otherwise.
 */
#ifndef ITH_TEMPLATE_PARSE_H
#define ITH_TEMPLATE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"

#define ITH_TEMPLATE_MAX_BYTES (48 * 1024)

/* A parsed template: for the renderer (template.c) only. */
enum ith_template_piece_kind { ITH_PIECE_TEXT, ITH_PIECE_TOKEN, ITH_PIECE_ID, ITH_PIECE_EXPIRES_AT, ITH_PIECE_PROFILE };
struct ith_template_piece {
	enum ith_template_piece_kind kind;
	size_t off, len;     /* ITH_PIECE_TEXT: a slice of text */
};
struct ith_template {
	char *text;
	struct ith_template_piece *v;
	size_t n, alloc;
};

int ith_template_load(const char *path, struct ith_template **out, struct ith_strbuf *err);
/* The same checks on text in memory (path only names it in messages). */
int ith_template_parse(const char *path, const char *text, size_t len, struct ith_template **out,
	struct ith_strbuf *err);
void ith_template_free(struct ith_template *t);

#endif
