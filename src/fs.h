/*
 * fs.h - tier 2: careful file I/O and the one path walker. Uses tier 0-1,
 * id.h (temp names) and trust.h (the ownership rule it applies).
 *
 * Owns capped reads (ith_read_fd_capped, ith_read_file), durable replacement
 * (temp file in the same directory opened O_EXCL|O_NOFOLLOW, fchmod before
 * writing, fsync, rename, fsync of the directory: ith_write_atomic), the
 * dry-run checks of writes and removals, lexical paths, and the walk of a
 * path one component at a time from "/" with openat (in the spirit of
 * systemd's chase()): every directory on the way, and every symbolic link
 * followed, must pass trust.h's rule. Two walks use it:
 *   - ith_check_trusted_path: a file that steers the program; symbolic links
 *     (root's or ours) are followed as the kernel does;
 *   - ith_dir_open_secure: a directory to write into; symbolic links are
 *     refused, the last directory may be created; its descriptor is returned
 *     for every later step (openat, renameat, unlinkat, fchmod, fchown).
 * Permission checks are done on open descriptors, never on a path.
 *
 * Calling sequence:
 *     int dfd = ith_dir_open_secure(dir, 0700, "sink directory", err);
 *     if (dfd < 0) return dfd;
 *     r = ith_write_atomic_at(dfd, path, data, len, 0600, (gid_t)-1, err);
 *     close(dfd);
 *
 * Error handling: functions returning int return 0 (or a descriptor) or a
 * negative enum ith_cause with the message in err (error.h); output
 * parameters are set only on success.
 */
#ifndef ITH_FS_H
#define ITH_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ith_strbuf;

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
/* A file that steers the program, named by path, and its way there (the
 * configuration, management.ca_file, a template, the on_rotate program):
 * resolved one component at a time as the kernel does (at most 40 links),
 * every directory walked through must pass ith_check_trusted_dir, every
 * symbolic link ith_check_trusted_link, and the file must be a regular one
 * passing ith_check_trusted (else ITH_ERR_UNSAFE: someone else could
 * replace it). A relative path starts at the working directory.
 * ITH_ERR_FILE_NOT_FOUND when it does not exist; ITH_ERR_CONFIG when it is
 * not a regular file. */
int ith_check_trusted_path(const char *path, const char *what, struct ith_strbuf *err);
/* Open a directory, refusing symlinks (ITH_ERR_UNSAFE); returns the fd or a cause. */
int ith_open_dir_nofollow(const char *path, struct ith_strbuf *err);
/*
 * Open a directory to write into, so that no one else can redirect it: walk
 * from "/" one component at a time with openat(O_DIRECTORY|O_NOFOLLOW)
 * (path normalised first, see ith_path_normalize). Every directory must pass
 * ith_check_write_dir (trust.h: owned by root or by this user, and not
 * writable by group or others unless sticky; for the last one, sticky only
 * when it is ours); symlinks are refused. create_mode != 0: the last
 * component is made with exactly that mode when missing. what names it in
 * messages ("sink directory").
 * Returns the descriptor; ITH_ERR_UNSAFE on refusal, ITH_ERR_IO else (missing).
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
