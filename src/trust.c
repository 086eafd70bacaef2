#include "trust.h"
#include "error.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum ith_trust_verdict ith_trust_rule(const struct stat *st, enum ith_trust_kind kind)
{
	uid_t me = geteuid();
	bool sticky_covers;

	if (kind == ITH_TRUST_PRIVATE)
		return st->st_uid != me ? ITH_UNTRUSTED_OWNER : (st->st_mode & 077) ? ITH_UNTRUSTED_ACCESSIBLE : ITH_TRUSTED;
	if (st->st_uid != 0 && st->st_uid != me)
		return ITH_UNTRUSTED_OWNER;
	if (kind == ITH_TRUST_LINK || !(st->st_mode & 022))
		return ITH_TRUSTED;
	/* group or world may write it: only a sticky directory keeps them from replacing our entries */
	sticky_covers = (st->st_mode & S_ISVTX) &&
		(kind == ITH_TRUST_DIR_ON_WAY || (kind == ITH_TRUST_DIR_TARGET && st->st_uid == me));
	return sticky_covers ? ITH_TRUSTED : ITH_UNTRUSTED_WRITABLE;
}

static const char *writable_by(mode_t m)
{
	return (m & 022) == 022 ? "group and others" : (m & 002) ? "others" : "its group";
}

int ith_check_trusted(const struct stat *st, const char *path, const char *what, struct ith_strbuf *err)
{
	switch (ith_trust_rule(st, ITH_TRUST_FILE)) {
	case ITH_UNTRUSTED_OWNER:
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is owned by uid %u, neither root nor uid %u who runs this; "
			"fix: chown root '%s'", what, path, (unsigned)st->st_uid, (unsigned)geteuid(), path);
	case ITH_TRUSTED:
		return 0;
	default:
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is writable by %s (mode %04o): whoever can write it controls what "
			"this program does with the management token; fix: chmod go-w '%s'", what, path,
			writable_by(st->st_mode), (unsigned)(st->st_mode & 07777), path);
	}
}

int ith_check_trusted_dir(const struct stat *st, const char *dir, const char *path, const char *what,
	struct ith_strbuf *err)
{
	switch (ith_trust_rule(st, ITH_TRUST_DIR_ON_WAY)) {
	case ITH_UNTRUSTED_OWNER:
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is in directory '%s', owned by uid %u, neither root nor uid %u "
			"who runs this: its owner can replace the file; fix: chown root '%s'", what, path, dir,
			(unsigned)st->st_uid, (unsigned)geteuid(), dir);
	case ITH_TRUSTED:
		return 0;
	default:
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is in directory '%s', writable by %s (mode %04o): whoever "
			"can write it can replace the file and so controls what this program does with the management "
			"token; fix: chmod go-w '%s'", what, path, dir, writable_by(st->st_mode),
			(unsigned)(st->st_mode & 07777), dir);
	}
}

int ith_check_trusted_link(const struct stat *st, const char *link, const char *path, const char *what,
	struct ith_strbuf *err)
{
	if (ith_trust_rule(st, ITH_TRUST_LINK) == ITH_TRUSTED)
		return 0;
	return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' goes through symbolic link '%s', owned by uid %u, neither root "
		"nor uid %u who runs this: its owner can point it elsewhere; fix: chown -h root '%s'", what, path,
		link, (unsigned)st->st_uid, (unsigned)geteuid(), link);
}

int ith_check_write_dir(const struct stat *st, const char *dir, bool last, const char *what,
	struct ith_strbuf *err)
{
	bool g = st->st_mode & 020, o = st->st_mode & 002;

	if (!S_ISDIR(st->st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is not a directory", what, dir);
	switch (ith_trust_rule(st, last ? ITH_TRUST_DIR_TARGET : ITH_TRUST_DIR_ON_WAY)) {
	case ITH_UNTRUSTED_OWNER:
		return ith_err(err, ITH_ERR_UNSAFE,
			"%s '%s' is owned by uid %u, another user, who could redirect what is written there; "
			"fix: chown %u '%s', or use a directory of your own", what, dir, (unsigned)st->st_uid,
			(unsigned)geteuid(), dir);
	case ITH_TRUSTED:
		return 0;
	default:
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is %s-writable; fix: chmod %s '%s'", what, dir,
			g && o ? "group- and world" : o ? "world" : "group", g && o ? "go-w" : o ? "o-w" : "g-w", dir);
	}
}

int ith_check_private_fd(int fd, const char *path, bool is_dir, struct ith_strbuf *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ith_err(err, ITH_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
	if (is_dir && !S_ISDIR(st.st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is not a directory", path);
	if (!is_dir && !S_ISREG(st.st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is not a regular file", path);
	switch (ith_trust_rule(&st, ITH_TRUST_PRIVATE)) {
	case ITH_UNTRUSTED_OWNER:
		return ith_err(err, ITH_ERR_UNSAFE,
			"'%s' is owned by uid %u, not by uid %u who runs this; fix: chown %u '%s'",
			path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
	case ITH_TRUSTED:
		return 0;
	default:
		return ith_err(err, ITH_ERR_UNSAFE,
			"'%s' is accessible by group or others (mode %04o); fix: chmod %s '%s'",
			path, (unsigned)(st.st_mode & 07777), is_dir ? "0700" : "0600", path);
	}
}
