#include "fs.h"
#include "error.h"
#include "id.h"
#include "mem.h"
#include "strbuf.h"
#include "trust.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *ith_path_normalize(const char *path)
{
	char cwd[4096] = "";
	size_t n, j = 1;
	char *out;
	const char *p;

	if (!ith_path_is_absolute(path) && !getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	n = strlen(cwd) + strlen(path) + 3;
	out = ith_xmalloc(n);
	out[0] = '/';
	for (int pass = 0; pass < 2; pass++) {
		p = pass == 0 ? cwd : path;
		while (*p) {
			size_t len;
			while (*p == '/')
				p++;
			len = strcspn(p, "/");
			if (len == 0)
				break;
			if (len == 2 && p[0] == '.' && p[1] == '.') {
				while (j > 1 && out[j - 1] != '/')
					j--;
				if (j > 1)
					j--;
			} else if (!(len == 1 && p[0] == '.')) {
				if (j > 1)
					out[j++] = '/';
				memcpy(out + j, p, len);
				j += len;
			}
			p += len;
		}
	}
	out[j] = '\0';
	return out;
}

bool ith_path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}

int ith_read_fd_capped(int fd, size_t cap, char **out, size_t *len, const char *what, struct ith_strbuf *err)
{
	size_t alloc = 4096 < cap + 1 ? 4096 : cap + 1, n = 0;
	char *buf = ith_xmalloc(alloc);

	for (;;) {
		if (n + 1 >= alloc) {
			if (alloc >= cap + 1) {
				ith_freezero(buf, alloc);
				return ith_err(err, ITH_ERR_FILE_TOO_BIG, "%s is larger than %zu bytes", what, cap);
			}
			size_t na = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
			char *nb = ith_xmalloc(na);
			memcpy(nb, buf, n);
			ith_freezero(buf, alloc);
			buf = nb;
			alloc = na;
		}
		ssize_t r = read(fd, buf + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			ith_freezero(buf, alloc);
			return ith_err(err, ith_errno_cause(e), "cannot read %s: %s", what, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int ith_read_file(const char *path, size_t cap, bool private, const char *what,
	char **out, size_t *len, struct ith_strbuf *err)
{
	/* O_NONBLOCK: a FIFO planted there must not hang the run (no effect on a regular file's reads) */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), r;
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "%s does not exist", what);
		if (errno == ELOOP)
			return ith_err(err, ITH_ERR_UNSAFE, "%s is a symbolic link; refusing it (remove it)", what);
		return ith_err(err, ith_errno_cause(errno), "cannot open %s: %s", what,
			strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return ith_err(err, ITH_ERR_UNSAFE, "%s is not a regular file (a FIFO, device or directory?); "
			"refusing it", what);
	}
	r = private ? ith_check_private_fd(fd, path, false, err) : 0;
	if (r == 0)
		r = ith_read_fd_capped(fd, cap, out, len, what, err);
	close(fd);
	return r;
}

/* ---- the one path walker ---- */

#define WALK_FOLLOW 1u  /* symbolic links root's or ours are followed as the kernel does; else refused */
#define WALK_FILE   2u  /* the path names a regular file (a trusted file); else a directory to open */
#define WALK_MKDIR  4u  /* the last directory is made (create_mode) when missing */

/* A path walked one component at a time from "/" through descriptors. */
struct walk {
	const char *path, *what;  /* as given: for messages */
	unsigned flags;
	mode_t create_mode;
	int fd;                   /* the directory reached: every step checked, no link in its path */
	struct ith_strbuf dir;    /* its path, absolute */
	struct ith_strbuf entry;  /* dir + the component in hand */
	char *rest;               /* what is left to resolve */
	int links;
	bool done, missing, missing_last;
	struct stat st;           /* of the last thing reached */
};

static void walk_release(struct walk *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->rest);
	w->rest = NULL;
	ith_strbuf_release(&w->dir);
	ith_strbuf_release(&w->entry);
}

/* Start at "/" (checked by the rule like every directory after it). */
static int walk_start(struct walk *w, struct ith_strbuf *err)
{
	bool only_root = !w->rest[strspn(w->rest, "/")];
	bool follow = w->flags & WALK_FOLLOW;

	ith_strbuf_addstr(&w->dir, "/");
	w->fd = open("/", (only_root && !follow ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0)
		return ith_err(err, ITH_ERR_IO, "cannot %s '/': %s", follow ? "stat" : "open", strerror(errno));
	if (fstat(w->fd, &w->st) < 0)
		return ith_err(err, ITH_ERR_IO, "cannot stat '/': %s", strerror(errno));
	return follow ? ith_check_trusted_dir(&w->st, "/", w->path, w->what, err) :
		ith_check_write_dir(&w->st, "/", only_root, w->what, err);
}

/* Component comp could not be opened from w->fd; errno was e. */
static int walk_open_error(struct walk *w, const char *comp, int e, bool last, struct ith_strbuf *err)
{
	struct stat lst;
	const char *so_far = w->entry.buf;

	if (w->flags & WALK_FOLLOW)
		return ith_err(err, e == ENOENT || e == ENOTDIR ? ITH_ERR_FILE_NOT_FOUND : ith_errno_cause(e),
			"%s '%s': %s", w->what, w->path, strerror(e));
	w->missing_last = e == ENOENT && last;  /* every directory above it was there and checked */
	if (e == ELOOP || (e == ENOTDIR && fstatat(w->fd, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)))
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s': '%s' is a symbolic link; symlinks are refused (use the real path)",
			w->what, w->path, so_far);
	if (e == ENOTDIR)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s': '%s' is not a directory", w->what, w->path, so_far);
	if (e == ENOENT) {
		w->missing = true;
		return ith_err(err, ITH_ERR_IO, "%s '%s': '%s' does not exist", w->what, w->path, so_far);
	}
	return ith_err(err, ith_errno_cause(e), "cannot open %s '%s': %s", w->what, so_far, strerror(e));
}

/* Make the last directory (0700; its mode is set once checked) and open it: the descriptor, -1 with errno
 * when the open fails, -2 when it cannot be made (*r, err say why). */
static int make_last(struct walk *w, const char *comp, bool *created, int *r, struct ith_strbuf *err)
{
	if (mkdirat(w->fd, comp, 0700) == 0)
		*created = true;
	else if (errno != EEXIST) {
		*r = ith_err(err, ith_errno_cause(errno), "cannot create %s '%s': %s", w->what, w->entry.buf, strerror(errno));
		return -2;
	}
	return openat(w->fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Symbolic link lfd (w->entry, stat in w->st), followed: root's or ours; what is left becomes its target,
 * then the rest (after). */
static int walk_link(struct walk *w, int lfd, const char *after, struct ith_strbuf *err)
{
	char target[PATH_MAX];
	struct ith_strbuf next = ITH_STRBUF_INIT;
	ssize_t n;
	int r;

	if ((r = ith_check_trusted_link(&w->st, w->entry.buf, w->path, w->what, err)) < 0)
		return r;
	if (++w->links > 40)
		return ith_err(err, ITH_ERR_UNSAFE, "%s '%s': more than 40 symbolic links on the way (a loop?); "
			"give the real path", w->what, w->path);
	if ((n = readlinkat(lfd, "", target, sizeof(target) - 1)) <= 0)
		return ith_err(err, n < 0 ? ith_errno_cause(errno) : ITH_ERR_FILE_NOT_FOUND, "%s '%s': cannot read "
			"symbolic link '%s': %s", w->what, w->path, w->entry.buf, n < 0 ? strerror(errno) : "it is empty");
	target[n] = '\0';
	if (target[0] == '/') {  /* from the top again; "/" was checked first */
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			return ith_err(err, ITH_ERR_IO, "cannot stat '/': %s", strerror(errno));
		close(w->fd);
		w->fd = root;
		w->dir.len = 1;
		w->dir.buf[1] = '\0';
	}
	ith_strbuf_addf(&next, "%s/%s", target, after);
	free(w->rest);
	w->rest = ith_strbuf_detach(&next);
	return 0;
}

/* ".": nothing; "..": the parent of w->dir (it holds no link: the directory walked through to get here). */
static int walk_dots(struct walk *w, const char *comp, struct ith_strbuf *err)
{
	char *slash;
	int pfd;

	if (!*comp || !strcmp(comp, "."))
		return 0;
	pfd = openat(w->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return ith_err(err, ith_errno_cause(errno), "%s '%s': %s", w->what, w->path, strerror(errno));
	close(w->fd);
	w->fd = pfd;
	slash = strrchr(w->dir.buf, '/');
	slash[slash == w->dir.buf ? 1 : 0] = '\0';
	w->dir.len = strlen(w->dir.buf);
	return 0;
}

/* The component reached (nfd, stat in w->st) is not a link: the file at the end, or a directory. */
static int walk_reached(struct walk *w, int nfd, bool last, bool created, struct ith_strbuf *err)
{
	bool follow = w->flags & WALK_FOLLOW;

	if (last && (w->flags & WALK_FILE)) {
		w->done = true;
		close(nfd);
		return S_ISREG(w->st.st_mode) ? 0 : ith_err(err, ITH_ERR_CONFIG, "%s '%s' is not a regular file", w->what,
			w->path);
	}
	if (!S_ISDIR(w->st.st_mode)) {  /* only on a followed walk: else O_DIRECTORY said ENOTDIR */
		close(nfd);
		return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "%s '%s': %s", w->what, w->path, strerror(ENOTDIR));
	}
	/* mode exactly as asked, despite the umask; only on what we just made */
	if (created && w->st.st_uid == geteuid() && fchmod(nfd, w->create_mode) == 0)
		w->st.st_mode = (w->st.st_mode & ~(mode_t)07777) | w->create_mode;
	close(w->fd);
	w->fd = nfd;
	ith_strbuf_release(&w->dir);
	ith_strbuf_addstr(&w->dir, w->entry.buf);
	return follow ? ith_check_trusted_dir(&w->st, w->entry.buf, w->path, w->what, err) :
		ith_check_write_dir(&w->st, w->entry.buf, last, w->what, err);
}

/* Open the next component of w->rest from w->fd and check it. */
static int walk_step(struct walk *w, struct ith_strbuf *err)
{
	char *comp = w->rest + strspn(w->rest, "/"), *after;
	bool follow = w->flags & WALK_FOLLOW, last, created = false;
	int nfd, r = 0;

	after = comp + strcspn(comp, "/");
	if (*after)
		*after++ = '\0';
	after += strspn(after, "/");
	last = !*after;
	if (!*comp || !strcmp(comp, ".") || !strcmp(comp, "..")) {
		r = walk_dots(w, comp, err);
		memmove(w->rest, after, strlen(after) + 1);
		return r;
	}
	ith_strbuf_release(&w->entry);
	ith_strbuf_addf(&w->entry, "%s%s%s", w->dir.buf, w->dir.len > 1 ? "/" : "", comp);
	if (follow && w->entry.len >= PATH_MAX)
		return ith_err(err, ITH_ERR_CONFIG, "%s '%s': path too long", w->what, w->path);
	nfd = openat(w->fd, comp, O_NOFOLLOW | O_CLOEXEC | (follow ? O_PATH : O_DIRECTORY | (last ? O_RDONLY : O_PATH)));
	if (nfd < 0 && errno == ENOENT && last && (w->flags & WALK_MKDIR) &&
	    (nfd = make_last(w, comp, &created, &r, err)) == -2)
		return r;
	if (nfd < 0)
		return walk_open_error(w, comp, errno, last, err);
	if (fstat(nfd, &w->st) < 0) {
		r = ith_err(err, ITH_ERR_IO, "cannot stat '%s': %s", w->entry.buf, strerror(errno));
		close(nfd);
		return r;
	}
	if (S_ISLNK(w->st.st_mode)) {  /* only on a followed walk: else O_NOFOLLOW refused it */
		r = walk_link(w, nfd, after, err);
		close(nfd);
		return r;
	}
	r = walk_reached(w, nfd, last, created, err);
	memmove(w->rest, after, strlen(after) + 1);
	return r;
}

/* Walk w->rest (absolute) to its end: *w->fd is then the last directory, w->st what was reached. */
static int walk(struct walk *w, struct ith_strbuf *err)
{
	int r = walk_start(w, err);

	while (r == 0 && !w->done) {
		if (!w->rest[strspn(w->rest, "/")]) {  /* the path ends at a directory */
			if (w->flags & WALK_FILE)
				r = ith_err(err, ITH_ERR_CONFIG, "%s '%s' is not a regular file", w->what, w->path);
			break;
		}
		r = walk_step(w, err);
	}
	return r;
}

int ith_check_trusted_path(const char *path, const char *what, struct ith_strbuf *err)
{
	struct walk w = { .path = path, .what = what, .flags = WALK_FOLLOW | WALK_FILE, .fd = -1 };
	struct ith_strbuf full = ITH_STRBUF_INIT;
	char cwd[PATH_MAX];
	int r;

	if (path[0] != '/') {  /* relative: from the working directory, whose own directories count too */
		if (!getcwd(cwd, sizeof(cwd)))
			return ith_err(err, ith_errno_cause(errno), "%s '%s': cannot get the working directory: %s", what, path,
				strerror(errno));
		ith_strbuf_addf(&full, "%s/", cwd);
	}
	ith_strbuf_addstr(&full, path);
	w.rest = ith_strbuf_detach(&full);
	r = walk(&w, err);
	if (r == 0)
		r = ith_check_trusted(&w.st, path, what, err);
	walk_release(&w);
	return r;
}

static int dir_open_secure(const char *path, mode_t create_mode, const char *what, bool *missing,
	bool *missing_last, struct ith_strbuf *err)
{
	struct walk w = { .path = path, .what = what, .flags = create_mode ? WALK_MKDIR : 0,
		.create_mode = create_mode, .fd = -1 };
	int r;

	if (!ith_path_is_absolute(path))
		return ith_err(err, ITH_ERR_CONFIG, "%s '%s' is not an absolute path", what, path);
	w.rest = ith_path_normalize(path);
	r = walk(&w, err);
	*missing = w.missing;
	*missing_last = w.missing_last;
	if (r == 0) {
		r = w.fd;
		w.fd = -1;
	}
	walk_release(&w);
	return r;
}

int ith_open_dir_nofollow(const char *path, struct ith_strbuf *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR: tell them apart */
	if (errno == ELOOP || (errno == ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is a symbolic link; symlinks are refused (use the real path)", path);
	if (errno == ENOTDIR)
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is not a directory", path);
	return ith_err(err, ith_errno_cause(errno), "cannot open directory '%s': %s", path,
		strerror(errno));
}

int ith_dir_open_secure(const char *path, mode_t create_mode, const char *what, struct ith_strbuf *err)
{
	bool missing = false, missing_last = false;

	return dir_open_secure(path, create_mode, what, &missing, &missing_last, err);
}

int ith_dir_open_existing(const char *path, const char *what, bool *missing, bool *missing_last,
	struct ith_strbuf *err)
{
	*missing = *missing_last = false;
	return dir_open_secure(path, 0, what, missing, missing_last, err);
}

int ith_ensure_private_dir(const char *path, struct ith_strbuf *err)
{
	int fd = ith_dir_open_secure(path, 0700, "directory", err), r;

	if (fd < 0)
		return fd;
	r = ith_check_private_fd(fd, path, true, err);
	close(fd);
	return r;
}

/*
 * Remove "<name>.tmp-*" left by a writer killed mid-write (they may hold a
 * token). Safe because every writer of a given path holds that path's lock.
 */
static void remove_stale_temps(int dfd, const char *name)
{
	struct ith_strbuf prefix = ITH_STRBUF_INIT;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d && fd >= 0)
		close(fd);
	ith_strbuf_addf(&prefix, "%s.tmp-", name);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix.buf, prefix.len) || strlen(e->d_name) != prefix.len + 8)
			continue;
		unlinkat(dfd, e->d_name, 0);
	}
	if (d)
		closedir(d);
	ith_strbuf_release(&prefix);
}

/* Writes all of data to fd (a file named name), then syncs it. */
static int write_all_sync(int fd, const char *name, const void *data, size_t len, struct ith_strbuf *err)
{
	const char *p = data;
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ith_err(err, ith_errno_cause(errno), "cannot write '%s': %s", name, strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		return ith_err(err, ith_errno_cause(errno), "cannot sync '%s': %s", name, strerror(errno));
	return 0;
}

int ith_write_atomic_at(int dfd, const char *path, const void *data, size_t len, mode_t mode, gid_t gid,
	struct ith_strbuf *err)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct ith_strbuf tmp = ITH_STRBUF_INIT;
	char rnd[ITH_UUID_LEN + 1];
	const char *tname;
	int fd = -1, r;
	struct stat st;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return ith_err(err, ITH_ERR_CONFIG, "'%s' does not name a file", path);
	/* Refuse to replace a symlink: someone may want us to write elsewhere. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return ith_err(err, ITH_ERR_UNSAFE, "'%s' is a symbolic link; refusing to replace it (remove it first)", path);
	remove_stale_temps(dfd, name);
	if ((r = ith_uuid_v4(rnd, err)) < 0)
		return r;
	ith_strbuf_addf(&tmp, "%s.tmp-%.8s", path, rnd);
	tname = strrchr(tmp.buf, '/') ? strrchr(tmp.buf, '/') + 1 : tmp.buf;
	fd = openat(dfd, tname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = ith_err(err, ith_errno_cause(errno),
			"cannot create '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) {
		r = ith_err(err, ITH_ERR_ACCESS, "cannot give '%s' group %u: %s", path, (unsigned)gid, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		r = ith_err(err, ith_errno_cause(errno), "cannot chmod '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if ((r = write_all_sync(fd, tmp.buf, data, len, err)) < 0)
		goto out;
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = ith_err(err, ith_errno_cause(errno), "cannot close '%s': %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (renameat(dfd, tname, dfd, name) < 0) {
		r = ith_err(err, ith_errno_cause(errno), "cannot rename '%s' to '%s': %s", tmp.buf, path, strerror(errno));
		goto out;
	}
	if (fsync(dfd) < 0)
		r = ith_err(err, ith_errno_cause(errno), "cannot sync the directory of '%s': %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp.buf)
		unlinkat(dfd, tname, 0);
	ith_strbuf_release(&tmp);
	return r;
}

/* The parent directory of an absolute file path, opened by ith_dir_open_secure. */
static int open_parent(const char *path, const char *what, bool *missing, struct ith_strbuf *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!ith_path_is_absolute(path) || !slash)
		return ith_err(err, ITH_ERR_CONFIG, "'%s' is not an absolute path", path);
	dir = slash == path ? ith_xstrdup("/") : ith_xstrndup(path, (size_t)(slash - path));
	bool missing_last = false;
	fd = dir_open_secure(dir, 0, what, missing, &missing_last, err);
	free(dir);
	return fd;
}

int ith_write_atomic(const char *path, const void *data, size_t len, mode_t mode, gid_t gid, struct ith_strbuf *err)
{
	bool missing = false;
	int dfd = open_parent(path, "directory", &missing, err), r;

	if (dfd < 0)
		return dfd;
	r = ith_write_atomic_at(dfd, path, data, len, mode, gid, err);
	close(dfd);
	return r;
}

int ith_write_check(const char *path, const char *what, struct ith_strbuf *err)
{
	bool missing = false;
	struct stat st;
	int dfd = open_parent(path, "directory", &missing, err), r = 0;

	if (dfd < 0)
		return ith_err_prefix(err, dfd, "%s '%s'", what, path);
	if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) < 0)
		r = ith_err(err, ith_errno_cause(errno), "%s '%s' cannot be written: %s", what, path, strerror(errno));
	else if (fstatat(dfd, strrchr(path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = errno == ENOENT ? 0 : ith_err(err, ith_errno_cause(errno), "%s '%s': %s", what, path, strerror(errno));
	else if (S_ISLNK(st.st_mode))
		r = ith_err(err, ITH_ERR_UNSAFE, "%s '%s' is a symbolic link; it would not be replaced (remove it)", what, path);
	else if (S_ISDIR(st.st_mode))
		r = ith_err(err, ITH_ERR_IO, "%s '%s' is a directory", what, path);
	close(dfd);
	return r;
}

int ith_unlink_check(const char *path, bool *exists, struct ith_strbuf *err)
{
	bool missing = false;
	struct stat st;
	int dfd = open_parent(path, "directory", &missing, err), r = 0;

	*exists = false;
	if (dfd < 0 && missing)
		return 0;  /* no directory, no file */
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, strrchr(path, '/') + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		*exists = true;
		if (S_ISDIR(st.st_mode))  /* unlinkat(..., 0) would fail */
			r = ith_err(err, ITH_ERR_IO, "cannot remove '%s': it is a directory", path);
		else if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) < 0)
			r = ith_err(err, ith_errno_cause(errno), "cannot remove '%s': %s", path, strerror(errno));
	}
	close(dfd);
	return r;
}

int ith_unlink_if_exists(const char *path, struct ith_strbuf *err)
{
	bool missing = false;
	int dfd = open_parent(path, "directory", &missing, err), r = 0;

	if (dfd < 0 && missing)
		return 0;  /* no directory, no file */
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, strrchr(path, '/') + 1, 0) < 0 && errno != ENOENT)
		r = ith_err(err, ith_errno_cause(errno), "cannot remove '%s': %s", path, strerror(errno));
	close(dfd);
	return r;
}
