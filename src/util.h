/*
 * util.h - small libc-only helpers used by every core module: memory that
 * holds secrets, durations and RFC 3339 times, UUIDs, and careful file I/O.
 *
 * Secrets: anything that ever held a token is freed with ith_freezero() (or
 * lives in a struct ith_secret released by ith_secret_release()), which
 * wipes it with explicit_bzero first.
 *
 * Files: reads are capped (ith_read_fd_capped) and permission checks are done
 * on the open fd (ith_check_private_fd), never on the path. Replacement is
 * durable: temp file in the same directory opened O_EXCL|O_NOFOLLOW, fchmod
 * before writing, fsync, rename, fsync of the directory (ith_write_atomic).
 *
 * Error handling: functions returning int return 0 or a negative enum
 * ith_cause with the message in err (error.h); output parameters are set only on
 * success.
 */
#ifndef ITH_UTIL_H
#define ITH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- memory ---- */
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

/* ---- growable string ---- */
struct ith_strbuf {
	char *buf;
	size_t len, alloc;
	bool secret;   /* wipe on every reallocation and on release */
};
#define ITH_STRBUF_INIT { NULL, 0, 0, false }
void ith_strbuf_add(struct ith_strbuf *sb, const char *s, size_t n);
void ith_strbuf_addstr(struct ith_strbuf *sb, const char *s);
void ith_strbuf_addf(struct ith_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ith_strbuf_vaddf(struct ith_strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Insert n bytes of s at pos (at most len): ith_err_prefix puts context in front with it. */
void ith_strbuf_insert(struct ith_strbuf *sb, size_t pos, const char *s, size_t n);
void ith_strbuf_release(struct ith_strbuf *sb);
char *ith_strbuf_detach(struct ith_strbuf *sb);

/* ---- text from elsewhere ---- */
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
/* Replace in place every occurrence in s of secret (slen bytes) with "***"
 * (a secret shorter than 3 bytes: with as many '*'); returns how many. For
 * text from elsewhere that may quote a token before it enters a message. */
/* Drop in place what prints as nothing or as a '?': controls (C0, C1, DEL), soft hyphen, zero-width, bidi
 * and other format characters, variation and tag selectors, and every byte that is not valid UTF-8 (one at
 * a time). Returns how many bytes went. Server text is searched for tokens with and without them. */
int ith_strip_invisible(char *s);
size_t ith_redact(char *s, const char *secret, size_t slen);
/* The same for parts of secrets: every run of at least min bytes of s that
 * occurs inside one of the n secrets (the longest from each position, left
 * to right) becomes "***"; returns how many. A value a parser quoted cut
 * short ('%.64s') is a prefix of the secret, which ith_redact cannot see.
 * Entries with s NULL are skipped. */
#define ITH_REDACT_MIN_RUN 8
size_t ith_redact_fragments(char *s, const struct ith_secret *secrets, size_t n, size_t min);

/* ---- time ---- */
/* "90s", "30m", "24h", "7d" or plain seconds "3600"; 0 <= result <= 10 years. */
int ith_parse_duration(const char *s, int64_t *out, struct ith_strbuf *err);
/* RFC 3339 date-time ("2024-03-02T04:20:19.000Z", "+01:00" offsets) -> unix s. */
int ith_parse_rfc3339(const char *s, int64_t *out, struct ith_strbuf *err);
/* Unix seconds -> "YYYY-MM-DDTHH:MM:SSZ" (buf >= 21 bytes). */
void ith_format_rfc3339(int64_t t, char *buf, size_t len);
/* "1d2h", "45s": short human duration for status output. */
void ith_format_duration(int64_t secs, char *buf, size_t len);
int64_t ith_now(void);  /* wall clock, unix seconds */

/* ---- ids ---- */
#define ITH_UUID_LEN 36
#define ITH_NAME_MAX 64   /* profile names: [A-Za-z][A-Za-z0-9_]{0,63} */
bool ith_is_uuid(const char *s);
/* A random RFC 4122 version-4 UUID from getrandom(2). */
int ith_uuid_v4(char out[ITH_UUID_LEN + 1], struct ith_strbuf *err);
/* FNV-1a 64-bit: stable, for per-instance renewal phases. Not for secrets. */
uint64_t ith_hash64(const char *s);

/* ---- files ---- */
/* Read at most cap bytes from fd; more is ITH_ERR_FILE_TOO_BIG
 * ("WHAT is larger than CAP bytes"). Result is NUL-terminated; *len excludes the NUL. */
int ith_read_fd_capped(int fd, size_t cap, char **out, size_t *len, const char *what, struct ith_strbuf *err);
/*
 * Read a whole file, refusing symlinks (O_NOFOLLOW), at most cap bytes,
 * NUL-terminated (*len excludes the NUL; wipe with ith_freezero(*out, *len + 1)).
 * private: also refuse it unless this user owns it and no one else may read
 * it (ith_check_private_fd). what names it in messages.
 * Returns 0; ITH_ERR_FILE_NOT_FOUND when it does not exist; ITH_ERR_UNSAFE for
 * a symlink or unsafe modes; ITH_ERR_ACCESS for EACCES/EPERM;
 * ITH_ERR_FILE_TOO_BIG when it exceeds cap; ITH_ERR_IO else.
 */
int ith_read_file(const char *path, size_t cap, bool private, const char *what,
	char **out, size_t *len, struct ith_strbuf *err);
/* Refuse a secret file or private dir that others can read or that another
 * user owns; the message says how to fix it. ITH_ERR_UNSAFE on refusal. */
int ith_check_private_fd(int fd, const char *path, bool is_dir, struct ith_strbuf *err);
/* A file that steers the program (the configuration, a hook program): owned
 * by root or by us and writable by no one else, as ssh wants its config.
 * ITH_ERR_UNSAFE with the fix otherwise; what names it ("configuration"). */
struct stat;
int ith_check_trusted(const struct stat *st, const char *path, const char *what, struct ith_strbuf *err);
/* The same for a file named by path, and for its way there (the
 * configuration, management.ca_file, a template, the on_rotate program):
 * resolved one component at a time as the kernel does (at most 40 links),
 * every directory walked through must be owned by root or by us and not
 * writable by group or others unless sticky, every symbolic link owned by
 * root or by us, and the file a regular one passing ith_check_trusted
 * (else ITH_ERR_UNSAFE: someone else could replace it). A relative path
 * starts at the working directory. ITH_ERR_FILE_NOT_FOUND when it does not
 * exist; ITH_ERR_CONFIG when it is not a regular file. */
int ith_check_trusted_path(const char *path, const char *what, struct ith_strbuf *err);
/* Open a directory, refusing symlinks (ITH_ERR_UNSAFE); returns the fd or a cause. */
int ith_open_dir_nofollow(const char *path, struct ith_strbuf *err);
/*
 * Open a directory to write into, so that no one else can redirect it: walk
 * from "/" one component at a time with openat(O_DIRECTORY|O_NOFOLLOW)
 * (path normalised first, see ith_path_normalize). Every directory must be
 * owned by root or by this user, and not writable by group or others unless
 * sticky (and, for the last one, also owned by this user); symlinks are
 * refused. create_mode != 0: the last component is made with exactly that
 * mode when missing. what names it in messages ("sink directory").
 * Returns the descriptor, for every later step (openat, renameat, unlinkat,
 * fchmod, fchown); ITH_ERR_UNSAFE on refusal, ITH_ERR_IO else (missing).
 */
int ith_dir_open_secure(const char *path, mode_t create_mode, const char *what, struct ith_strbuf *err);
/* The same without creating anything (a dry run): on ENOENT, *missing says a directory of path is not
 * there, *missing_last that only the last one is not (every one above it was there and passed). */
int ith_dir_open_existing(const char *path, const char *what, bool *missing, bool *missing_last,
	struct ith_strbuf *err);
/* Create dir 0700 if missing (one level, ith_dir_open_secure), then check it is private. */
int ith_ensure_private_dir(const char *path, struct ith_strbuf *err);
/* Durably replace path with data: mode set before any byte is written,
 * gid (-1: keep) applied, symlinks refused; its parent directory is opened
 * with ith_dir_open_secure. */
int ith_write_atomic(const char *path, const void *data, size_t len, mode_t mode, gid_t gid, struct ith_strbuf *err);
/* The same inside an open directory dfd; path is for messages, its last
 * component the file's name in dfd. Every step goes through dfd. */
int ith_write_atomic_at(int dfd, const char *path, const void *data, size_t len, mode_t mode, gid_t gid,
	struct ith_strbuf *err);
/* Whether ith_write_atomic(path) could work, found without changing anything: its directory there and
 * trusted (as ith_write_atomic opens it), writable, and no symbolic link or directory in the file's place.
 * what names the setting in messages. */
int ith_write_check(const char *path, const char *what, struct ith_strbuf *err);
/* What ith_unlink_if_exists would do, found without changing anything: *exists, or the cause it would fail
 * with (a directory in the file's place, a directory not writable or not trusted). */
int ith_unlink_check(const char *path, bool *exists, struct ith_strbuf *err);
/* Remove a file if it exists (ENOENT is fine), through its secured parent. */
int ith_unlink_if_exists(const char *path, struct ith_strbuf *err);
bool ith_path_is_absolute(const char *p);
/*
 * An absolute path with ".", ".." and repeated or trailing '/' resolved
 * lexically (symlinks are not looked at): "/run//a/./b/../c" -> "/run/a/c".
 * A relative path is taken from the current directory. Free the result.
 */
char *ith_path_normalize(const char *path);

#endif
