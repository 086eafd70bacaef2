/*
 * trust.h - tier 2: the one ownership rule. Uses tier 0-1 only.
 *
 * Owns who may own and write what the program trusts:
 *   - a file that steers the program (the configuration, management.ca_file,
 *     a template, the on_rotate program): owned by root or by us, writable by
 *     no one else, as ssh wants its config;
 *   - a directory on the way to such a file, or to a directory we write into:
 *     the same, except that group or world write is fine when the directory
 *     is sticky (/tmp: others cannot rename or remove what root or we own);
 *   - the directory we write into itself: the same, and the sticky bit counts
 *     only when the directory is ours (in root's /tmp others could still put
 *     names of their own);
 *   - a symbolic link followed on the way: owned by root or by us;
 *   - a secret file or private directory: owned by us, and no access at all
 *     for group or others.
 * ith_trust_rule() is that rule, on a struct stat, without words; the
 * ith_check_* functions apply it and word the refusal for their caller. The
 * walk that applies it to every component of a path is fs.h's
 * (ith_check_trusted_path, ith_dir_open_secure).
 *
 * Calling sequence:
 *     struct stat st;  (from fstat on the open descriptor, never a path)
 *     if ((r = ith_check_trusted(&st, path, "configuration", err)) < 0) return r;
 *
 * Error handling: ith_check_* return 0 or ITH_ERR_UNSAFE (error.h) with a
 * message that names the owner or mode and the fix (chown, chmod);
 * ith_check_private_fd also ITH_ERR_IO when fstat fails.
 */
#ifndef ITH_TRUST_H
#define ITH_TRUST_H

#include <stdbool.h>

struct stat;
struct ith_strbuf;

/* What a struct stat is to the rule. */
enum ith_trust_kind {
	ITH_TRUST_FILE,        /* steers the program: root's or ours, no group/world write */
	ITH_TRUST_DIR_ON_WAY,  /* walked through: the same, group/world write fine when sticky */
	ITH_TRUST_DIR_TARGET,  /* written into: the same, sticky counts only when it is ours */
	ITH_TRUST_LINK,        /* a symbolic link followed: root's or ours (its mode means nothing) */
	ITH_TRUST_PRIVATE,     /* a secret file or private directory: ours, nothing for group/others */
};

/* The rule's verdict: 0 trusted, else why not. */
enum ith_trust_verdict {
	ITH_TRUSTED = 0,
	ITH_UNTRUSTED_OWNER,      /* another user owns it (PRIVATE: anyone but us, root too) */
	ITH_UNTRUSTED_WRITABLE,   /* group or others may write it and no sticky bit covers that */
	ITH_UNTRUSTED_ACCESSIBLE, /* PRIVATE: group or others have any access */
};

/* The one ownership rule (uid: geteuid()). No message, no system call. */
enum ith_trust_verdict ith_trust_rule(const struct stat *st, enum ith_trust_kind kind);

/* A file that steers the program (ITH_TRUST_FILE); what names it ("configuration"). */
int ith_check_trusted(const struct stat *st, const char *path, const char *what, struct ith_strbuf *err);
/* Directory dir on the way to the trusted file path (ITH_TRUST_DIR_ON_WAY). */
int ith_check_trusted_dir(const struct stat *st, const char *dir, const char *path, const char *what,
	struct ith_strbuf *err);
/* Symbolic link link on the way to the trusted file path (ITH_TRUST_LINK). */
int ith_check_trusted_link(const struct stat *st, const char *link, const char *path, const char *what,
	struct ith_strbuf *err);
/* Directory dir on the way to a directory to write into, or (last) that directory itself
 * (ITH_TRUST_DIR_ON_WAY, ITH_TRUST_DIR_TARGET); what names it ("sink directory"). */
int ith_check_write_dir(const struct stat *st, const char *dir, bool last, const char *what,
	struct ith_strbuf *err);
/* Refuse a secret file or private dir that others can read or that another
 * user owns (ITH_TRUST_PRIVATE); the message says how to fix it. */
int ith_check_private_fd(int fd, const char *path, bool is_dir, struct ith_strbuf *err);

#endif
