#include "state.h"
#include "error.h"
#include "layout.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- files ---- */

/* What is wrong with a state or status file, for "FILE is damaged (...)": the message names the file already. */
static void damage_text(int r, const struct ith_strbuf *err, struct ith_strbuf *out)
{
	if (r == ITH_ERR_FILE_TOO_BIG)
		ith_strbuf_addf(out, "larger than %d bytes", (int)ITH_STATE_MAX_BYTES);
	else
		ith_strbuf_addstr(out, ith_err_msg(err));
}

int ith_state_load(const char *dir, const char *profile, const char *instance, struct ith_state *out,
	struct ith_strbuf *err)
{
	char *path = ith_layout_file(dir, profile, ITH_LAYOUT_STATE), *text = NULL, what[4200];
	size_t len = 0;
	int r;

	snprintf(what, sizeof(what), "state file '%s'", path);
	r = ith_read_file(path, ITH_STATE_MAX_BYTES, true, what, &text, &len, err);
	if (r == ITH_ERR_FILE_NOT_FOUND) {
		ith_state_init(out, instance);
		r = 0;
		goto out;
	}
	if (r < 0 && r != ITH_ERR_FILE_TOO_BIG)
		goto out;
	if (r == ITH_ERR_FILE_TOO_BIG || (r = ith_state_from_json(text, len, out, err)) < 0) {
		/* a state file that cannot be used, whatever is wrong in it: damaged */
		struct ith_strbuf cause = ITH_STRBUF_INIT;

		damage_text(r, err, &cause);
		r = ith_err(err, ITH_ERR_STATE_DAMAGED, "state file '%s' is damaged (%s); move it aside and run 'rotate' "
			"(its tokens then show as orphans in 'list')", path, cause.buf);
		ith_strbuf_release(&cause);
		goto out;
	}
	if (instance && strcmp(out->instance, instance)) {
		/* Written by another instance (cloned image): not ours to act on. */
		ith_state_release(out);
		ith_state_init(out, instance);
		out->loaded_foreign = true;
	}
out:
	if (text)
		ith_freezero(text, len + 1);
	free(path);
	return r;
}

int ith_state_save(const char *dir, const char *profile, const struct ith_state *st, struct ith_strbuf *err)
{
	char *path = ith_layout_file(dir, profile, ITH_LAYOUT_STATE);
	char *text = ith_state_to_json(st);
	int r = ith_write_atomic(path, text, strlen(text), 0600, (gid_t)-1, err);

	ith_free_secret_str(text);
	free(path);
	return r;
}

static int remove_in(const char *dir, const char *profile, const char *ext, struct ith_strbuf *err)
{
	char *path = ith_layout_file(dir, profile, ext);
	int r = ith_unlink_if_exists(path, err);

	free(path);
	return r;
}

int ith_state_remove(const char *dir, const char *profile, struct ith_strbuf *err)
{
	return remove_in(dir, profile, ITH_LAYOUT_STATE, err);
}

/* Monotonic milliseconds, for the lock wait. */
static int64_t lock_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The lock wait's backoff: at most LOCK_BACKOFF_MAX_MS between two tries for
 * the first LOCK_BACKOFF_SLOW_AFTER_MS (a stampede of gets on a cold cache
 * then takes no longer than with a blocking flock), then at most
 * LOCK_BACKOFF_SLOW_MS (a long wait behind a rotation polls gently).
 */
#define LOCK_BACKOFF_MAX_MS 20
#define LOCK_BACKOFF_SLOW_AFTER_MS 2000
#define LOCK_BACKOFF_SLOW_MS 250

/*
 * flock(2) with LOCK_NB, retried until timeout_ms (none when <= 0), as git's
 * lock_file_timeout(): no signal, no timer, so nothing the caller (or a
 * program linking the core) has set up for SIGALRM is disturbed. The waits
 * grow quadratically from 1 ms (1, 4, 9, ..., capped as above), each
 * jittered to 75-125% so a stampede of waiters spreads out rather than
 * retrying in step. On timeout, fails with errno EWOULDBLOCK.
 */
static int flock_bounded(int fd, int64_t timeout_ms)
{
	int64_t start = lock_clock_ms(), multiplier = 1, n = 1;
	uint32_t rnd = (uint32_t)getpid() * 2654435761u ^ (uint32_t)start;

	for (;;) {
		int64_t left, wait, cap;
		struct timespec ts;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -1;
		left = start + timeout_ms - lock_clock_ms();
		if (left <= 0)
			return -1;  /* errno is EWOULDBLOCK */
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		wait = multiplier * (750 + (int64_t)(rnd % 501)) / 1000;
		if (wait < 1)
			wait = 1;
		if (wait > left)
			wait = left;
		ts.tv_sec = (time_t)(wait / 1000);
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		nanosleep(&ts, NULL);
		cap = lock_clock_ms() - start < LOCK_BACKOFF_SLOW_AFTER_MS ? LOCK_BACKOFF_MAX_MS : LOCK_BACKOFF_SLOW_MS;
		multiplier += 2 * n + 1;
		if (multiplier > cap)
			multiplier = cap;
		else
			n++;
	}
}

int ith_lock_acquire(const char *dir, const char *profile, int64_t timeout_ms, struct ith_lock *out,
	struct ith_strbuf *err)
{
	char *path = ith_layout_file(dir, profile, ITH_LAYOUT_LOCK);
	int fd, r = 0;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = ith_err(err, errno == ELOOP ? ITH_ERR_UNSAFE : ith_errno_cause(errno),
			"cannot open lock file '%s': %s", path, strerror(errno));
		goto out;
	}
	if (flock_bounded(fd, timeout_ms) < 0) {
		if (errno == EWOULDBLOCK)
			r = ith_err(err, ITH_ERR_LOCK_BUSY, "'%s' is locked by another influx-token-helper run; try again later", path);
		else
			r = ith_err(err, ith_errno_cause(errno), "cannot lock '%s': %s", path, strerror(errno));
		goto out;
	}
	out->fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

void ith_lock_release(struct ith_lock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static void machine_id_hash(char *out, size_t len)
{
	const char *path = getenv("INFLUX_TOKEN_HELPER_MACHINE_ID_FILE");
	char buf[128] = "";
	int fd = open(path && *path ? path : "/etc/machine-id", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		close(fd);
	}
	/* A hash, not the id itself: the machine id is not ours to copy around. */
	snprintf(out, len, "%016llx", (unsigned long long)ith_hash64(buf[0] ? buf : "none"));
}

/* 1: *out holds a valid id for this machine; 0: missing or stale; <0: error. */
static int instance_read(const char *path, const char *mh, char out[ITH_UUID_LEN + 1], bool *exists,
	struct ith_strbuf *err)
{
	char *text = NULL, id[ITH_UUID_LEN + 1], what[4200];
	size_t len = 0;
	int r;

	*exists = false;
	snprintf(what, sizeof(what), "instance file '%s'", path);
	r = ith_read_file(path, 4096, true, what, &text, &len, err);
	if (r == ITH_ERR_FILE_NOT_FOUND)
		return 0;
	if (r == ITH_ERR_FILE_TOO_BIG)
		return ITH_ERR_STATE_DAMAGED;  /* state of the helper, not configuration: the message stands */
	if (r < 0)
		return r;
	*exists = true;
	/* "<uuid> <machine-id-hash>\n" */
	r = 0;
	if (len >= ITH_UUID_LEN + 1 && text[ITH_UUID_LEN] == ' ') {
		memcpy(id, text, ITH_UUID_LEN);
		id[ITH_UUID_LEN] = '\0';
		text[strcspn(text, "\n")] = '\0';
		if (ith_is_uuid(id) && !strcmp(text + ITH_UUID_LEN + 1, mh)) {
			memcpy(out, id, sizeof(id));
			r = 1;
		}
	}
	free(text);
	return r;
}

int ith_instance_load(const char *dir, char out[ITH_UUID_LEN + 1], bool *regenerated, struct ith_strbuf *err)
{
	char *path = ith_layout_file(dir, ITH_LAYOUT_INSTANCE, ITH_LAYOUT_PLAIN), mh[32], id[ITH_UUID_LEN + 1], line[128];
	struct ith_lock lock = ITH_LOCK_INIT;
	bool exists;
	int r;

	*regenerated = false;
	machine_id_hash(mh, sizeof(mh));
	if ((r = instance_read(path, mh, out, &exists, err)) != 0)
		goto out;
	/* Create (or regenerate) under a lock: concurrent first runs must agree. */
	if ((r = ith_lock_acquire(dir, ITH_LAYOUT_INSTANCE, 30000, &lock, err)) < 0)
		goto out;
	if ((r = instance_read(path, mh, out, &exists, err)) != 0)
		goto out;
	*regenerated = exists;
	if ((r = ith_uuid_v4(id, err)) < 0)
		goto out;
	snprintf(line, sizeof(line), "%s %s\n", id, mh);
	if ((r = ith_write_atomic(path, line, strlen(line), 0600, (gid_t)-1, err)) < 0)
		goto out;
	memcpy(out, id, sizeof(id));
out:
	ith_lock_release(&lock);
	free(path);
	return r < 0 ? r : 0;
}

int ith_instance_peek(const char *dir, char out[ITH_UUID_LEN + 1], struct ith_strbuf *err)
{
	char *path = ith_layout_file(dir, ITH_LAYOUT_INSTANCE, ITH_LAYOUT_PLAIN), mh[32];
	bool exists;
	int r;

	machine_id_hash(mh, sizeof(mh));
	out[0] = '\0';
	r = instance_read(path, mh, out, &exists, err);
	if (r <= 0)
		out[0] = '\0';
	free(path);
	return r < 0 ? r : 0;
}

/* Does status_dir (dfd) already hold text as path's copy, a regular 0644 file? Reads only. */
static bool same_public_copy(int dfd, const char *path, const char *text)
{
	struct ith_strbuf ignored = ITH_STRBUF_INIT;  /* unreadable: rewritten */
	size_t len = strlen(text), have_len = 0;
	int fd = openat(dfd, strrchr(path, '/') + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	char *have = NULL;
	struct stat sb;
	bool same = false;

	if (fd < 0)
		return false;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0644 && (size_t)sb.st_size == len &&
	    ith_read_fd_capped(fd, len + 1, &have, &have_len, path, &ignored) == 0)
		same = have_len == len && !memcmp(have, text, len);
	free(have);
	ith_strbuf_release(&ignored);
	close(fd);
	return same;
}

int ith_state_publish(const char *status_dir, const char *profile, const struct ith_state *st,
	const struct ith_public *pub, struct ith_strbuf *err)
{
	char *path = ith_layout_file(status_dir, profile, ITH_LAYOUT_STATUS);
	char *text = ith_state_to_json_ex(st, false, pub);
	/*
	 * 0755 despite our umask 077: other users (Telegraf) read these files,
	 * but only the helper may write the directory (ith_dir_open_secure
	 * refuses a symlinked, foreign or group/world-writable one), so no
	 * one can swap a copy for a forged one.
	 */
	int dfd = ith_dir_open_secure(status_dir, 0755, "status_dir", err), r = dfd;

	if (dfd >= 0) {
		if (!same_public_copy(dfd, path, text))
			r = ith_write_atomic_at(dfd, path, text, strlen(text), 0644, (gid_t)-1, err);
		close(dfd);
	}
	free(text);
	free(path);
	return r;
}

int ith_state_unpublish(const char *status_dir, const char *profile, struct ith_strbuf *err)
{
	return remove_in(status_dir, profile, ITH_LAYOUT_STATUS, err);
}

static void public_fields(const char *text, size_t len, struct ith_public *pub)
{
	json_object *root = json_tokener_parse(text), *v;

	memset(pub, 0, sizeof(*pub));
	(void)len;
	if (root && json_object_object_get_ex(root, "cluster_id", &v) && json_object_is_type(v, json_type_string) &&
	    ith_is_uuid(json_object_get_string(v)))
		memcpy(pub->cluster_id, json_object_get_string(v), ITH_UUID_LEN + 1);
	if (root && json_object_object_get_ex(root, "renew_at", &v) && json_object_is_type(v, json_type_int))
		pub->renew_at = json_object_get_int64(v);
	json_object_put(root);
}

/*
 * A published copy, read by users other than the helper's: believe it only
 * from a directory (not a symlink) and a file that no one but their owner
 * can write, the file owned by the directory's owner or root -- else anyone
 * could have forged a healthy state there.
 */
static int read_public_copy(const char *dir, const char *path, const char *what, char **text, size_t *len,
	struct ith_strbuf *err)
{
	struct stat ds, fs;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), fd, r;

	if (dfd < 0) {
		if (errno == ENOENT)
			return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "%s does not exist", what);
		if (errno == ELOOP || errno == ENOTDIR)
			return ith_err(err, ITH_ERR_UNSAFE, "status directory '%s' is a symbolic link or not a directory; refusing it", dir);
		return ith_err(err, ith_errno_cause(errno), "cannot open '%s': %s", dir, strerror(errno));
	}
	if (fstat(dfd, &ds) < 0 || (ds.st_mode & 022)) {
		r = ith_err(err, ITH_ERR_UNSAFE, "status directory '%s' is writable by group or others, so its copies could be "
			"forged; refusing them (fix: chmod go-w '%s')", dir, dir);
		close(dfd);
		return r;
	}
	fd = openat(dfd, strrchr(path, '/') + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		if (errno == ENOENT)
			return ith_err(err, ITH_ERR_FILE_NOT_FOUND, "%s does not exist", what);
		if (errno == ELOOP)
			return ith_err(err, ITH_ERR_UNSAFE, "%s is a symbolic link; refusing it", what);
		return ith_err(err, ith_errno_cause(errno), "cannot open %s: %s", what, strerror(errno));
	}
	if (fstat(fd, &fs) < 0 || !S_ISREG(fs.st_mode) || (fs.st_mode & 022) ||
	    (fs.st_uid != ds.st_uid && fs.st_uid != 0)) {
		close(fd);
		return ith_err(err, ITH_ERR_UNSAFE, "%s is not a regular file owned by the directory's owner and writable only "
			"by it; refusing it", what);
	}
	r = ith_read_fd_capped(fd, ITH_STATE_MAX_BYTES, text, len, what, err);
	close(fd);
	return r;
}

int ith_state_load_public(const char *status_dir, const char *profile, struct ith_state *out,
	struct ith_public *pub, struct ith_strbuf *err)
{
	char *path = ith_layout_file(status_dir, profile, ITH_LAYOUT_STATUS), *text = NULL, what[4200];
	size_t len = 0;
	int r;

	snprintf(what, sizeof(what), "status file '%s'", path);
	r = read_public_copy(status_dir, path, what, &text, &len, err);
	if (r == ITH_ERR_FILE_NOT_FOUND) {
		ith_state_init(out, NULL);
		if (pub)
			memset(pub, 0, sizeof(*pub));
		free(path);
		return 0;
	}
	if (r == ITH_ERR_FILE_TOO_BIG || (r == 0 && (r = ith_state_from_json_ex(text, len, false, out, err)) < 0)) {
		struct ith_strbuf cause = ITH_STRBUF_INIT;

		damage_text(r, err, &cause);
		r = ith_err(err, ITH_ERR_STATE_DAMAGED, "status file '%s' is damaged (%s)", path, cause.buf);
		ith_strbuf_release(&cause);
	}
	if (r == 0 && pub)
		public_fields(text, len, pub);
	free(text);
	free(path);
	return r;
}
