/*
 * text.h - tier 0: text from elsewhere (a server, a file others can write)
 * made safe to print, log or store, and secrets taken out of it. libc and
 * mem.h only; no error.h.
 *
 * Owns the sanitiser (one printable line: controls, invalid UTF-8, bidi
 * overrides and line separators become '?'), the stripping of what prints
 * as nothing, and the redaction of tokens (whole or in parts) from text
 * before it enters a message. error.c sanitises every message with it.
 *
 * Calling sequence:
 *     char buf[128];
 *     printf("%s\n", ith_safe_text(server_text, buf, sizeof(buf)));
 *     ith_redact(msg, tok.s, tok.len);    before msg goes anywhere
 *
 * Error handling: none to report; every function works in place or in the
 * caller's buffer and cannot fail. NULL text is taken as "" where noted.
 */
#ifndef ITH_TEXT_H
#define ITH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct ith_secret;

/*
 * Text a server (or a file others can write) provided, made safe to print,
 * log or store: ASCII and C1 control characters (ESC, CR, LF, ...), invalid
 * UTF-8, bidi overrides and line separators each become '?'; the result is
 * capped at len - 1 bytes, ending in "..." when cut (never mid-character).
 * Writes buf (len >= 4) and returns it; s NULL is "".
 */
const char *ith_safe_text(const char *s, char *buf, size_t len);
/* s is unchanged by ith_safe_text (ignoring the cap). */
bool ith_text_is_safe(const char *s);
/* Sanitise s in place (same rules, no cap). */
void ith_sanitize_inplace(char *s);
/* Drop in place what prints as nothing or as a '?': controls (C0, C1, DEL), soft hyphen, zero-width, bidi
 * and other format characters, variation and tag selectors, and every byte that is not valid UTF-8 (one at
 * a time). Returns how many bytes went. Server text is searched for tokens with and without them. */
int ith_strip_invisible(char *s);
/* Replace in place every occurrence in s of secret (slen bytes) with "***"
 * (a secret shorter than 3 bytes: with as many '*'); returns how many. For
 * text from elsewhere that may quote a token before it enters a message. */
size_t ith_redact(char *s, const char *secret, size_t slen);
/* The same for parts of secrets: every run of at least min bytes of s that
 * occurs inside one of the n secrets (the longest from each position, left
 * to right) becomes "***"; returns how many. A value a parser quoted cut
 * short ('%.64s') is a prefix of the secret, which ith_redact cannot see.
 * Entries with s NULL are skipped. */
#define ITH_REDACT_MIN_RUN 8
size_t ith_redact_fragments(char *s, const struct ith_secret *secrets, size_t n, size_t min);

#endif
