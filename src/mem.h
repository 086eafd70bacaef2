/*
 * mem.h - tier 0: allocation that never returns NULL, and memory that holds
 * secrets. libc only; no error.h.
 *
 * Owns: ith_xmalloc and friends (abort with one line on stderr when memory
 * runs out: no caller checks for NULL), ith_wipe/ith_freezero (explicit_bzero
 * then free), struct ith_secret, a token in memory that is wiped when
 * released, and a bounded set of them (ith_secrets_add: the tokens api.c and
 * remote.c keep out of their messages).
 *
 * Calling sequence:
 *     struct ith_secret tok = ITH_SECRET_INIT;
 *     ith_secret_set(&tok, s, len);      copies; a previous value is wiped
 *     ... use tok.s (NUL-terminated), tok.len ...
 *     ith_secret_release(&tok);          wipes and frees; tok is empty again
 *
 * Error handling: none to report. Out of memory aborts the process (after
 * writing "out of memory" to stderr); anything that held a token is freed
 * with ith_freezero or ith_free_secret_str.
 */
#ifndef ITH_MEM_H
#define ITH_MEM_H

#include <stddef.h>

void *ith_xmalloc(size_t n);                /* aborts on OOM */
void *ith_xcalloc(size_t n, size_t size);
char *ith_xstrdup(const char *s);
char *ith_xstrndup(const char *s, size_t n);
void ith_freezero(void *p, size_t len);     /* wipe then free; NULL ok */
void ith_free_secret_str(char *s);          /* strlen-wipe then free */
void ith_wipe(void *p, size_t len);

/* A token in memory: wiped when released. */
struct ith_secret {
	char *s;
	size_t len;
};
#define ITH_SECRET_INIT { NULL, 0 }
void ith_secret_set(struct ith_secret *sec, const char *s, size_t len);
void ith_secret_release(struct ith_secret *sec);
/*
 * A bounded set of secrets, set[0 .. *n) of at most max (the tokens a handle
 * keeps out of its messages): sec is copied in unless it is empty, shorter
 * than min_len, or there already; a full set first drops (wipes) its oldest.
 */
void ith_secrets_add(struct ith_secret *set, size_t *n, size_t max, const struct ith_secret *sec, size_t min_len);

#endif
