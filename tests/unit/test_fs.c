/* The fs module (src/fs.c): capped reads, atomic writes, lexical paths, and the one path walker
 * (ith_check_trusted_path follows links, ith_dir_open_secure refuses them). */
#include "suites.h"
#include "error.h"
#include "fs.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* at/rel under the test directory; returns the full path (a static buffer, one at a time) */
static const char *tp(const char *at, const char *rel)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "%s/%s", at, rel);
	return buf;
}

static void norm_is(const char *in, const char *want)
{
	char *got = ith_path_normalize(in);
	if (strcmp(got, want)) {
		fprintf(stderr, "\n  normalize('%s') = '%s', want '%s'\n", in, got, want);
		CU_FAIL("normalize");
	}
	free(got);
}

static void test_path_normalize(void)
{
	norm_is("/run//ith/./token", "/run/ith/token");
	norm_is("/run/ith/x/../token", "/run/ith/token");
	norm_is("/../../a/.", "/a");
	norm_is("/", "/");
	norm_is("/a/b/..", "/a");
	norm_is("/a/b/../..", "/");
	CU_ASSERT_TRUE(ith_path_is_absolute("/a"));
	CU_ASSERT_FALSE(ith_path_is_absolute("a"));
	CU_ASSERT_FALSE(ith_path_is_absolute(NULL));
}

/* ith_read_file names its causes itself: no caller remaps them. */
static void test_read_file_causes(void)
{
	char *dir = test_tmpdir(), path[256], link[256], *text = NULL;
	size_t len;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	CU_ASSERT_EQUAL(ith_read_file(path, 8, true, "file f", &text, &len, &E), ITH_ERR_FILE_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), "file f does not exist");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_EQUAL(write(fd, "123456789", 9), 9);
	close(fd);
	CU_ASSERT_EQUAL(ith_read_file(path, 8, true, "file f", &text, &len, &E), ITH_ERR_FILE_TOO_BIG);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), "file f is larger than 8 bytes");
	CU_ASSERT_EQUAL(ith_read_file(path, 16, true, "file f", &text, &len, &E), 0);
	CU_ASSERT_EQUAL(len, 9);
	free(text);
	chmod(path, 0644);
	CU_ASSERT_EQUAL(ith_read_file(path, 16, true, "file f", &text, &len, &E), ITH_ERR_UNSAFE);
	CU_ASSERT_EQUAL(symlink(path, link), 0);
	CU_ASSERT_EQUAL(ith_read_file(link, 16, false, "link l", &text, &len, &E), ITH_ERR_UNSAFE);
	if (geteuid() != 0) {
		chmod(path, 0);
		CU_ASSERT_EQUAL(ith_read_file(path, 16, false, "file f", &text, &len, &E), ITH_ERR_ACCESS);
	}
	test_rm_rf(dir);
	free(dir);
}

static void test_write_atomic(void)
{
	char *dir = test_tmpdir(), path[512], link[512], buf[64];
	struct stat sb;
	ino_t ino;
	int fd;

	snprintf(path, sizeof(path), "%s/sink", dir);
	CU_ASSERT_EQUAL(ith_write_atomic(path, "abc", 3, 0640, (gid_t)-1, &E), 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0640);
	CU_ASSERT_EQUAL(sb.st_size, 3);
	ino = sb.st_ino;
	CU_ASSERT_EQUAL(ith_write_atomic(path, "defg", 4, 0600, (gid_t)-1, &E), 0);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_NOT_EQUAL(sb.st_ino, ino);  /* replaced, not rewritten in place */
	fd = open(path, O_RDONLY);
	CU_ASSERT_EQUAL(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	/* a temp file left by a writer killed mid-write is cleaned up by the next write */
	char stale[600];
	snprintf(stale, sizeof(stale), "%s.tmp-deadbeef", path);
	fd = open(stale, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_TRUE(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(ith_write_atomic(path, "xyz", 3, 0600, (gid_t)-1, &E), 0);
	CU_ASSERT_NOT_EQUAL(access(stale, F_OK), 0);
	snprintf(link, sizeof(link), "%s/link", dir);
	CU_ASSERT_EQUAL(symlink(path, link), 0);
	CU_ASSERT_EQUAL(ith_write_atomic(link, "x", 1, 0600, (gid_t)-1, &E), ITH_ERR_UNSAFE);
	test_rm_rf(dir);
	free(dir);
}

static void test_dir_open_secure(void)
{
	char base[] = "/tmp/ith-unit-dir-XXXXXX", p[256], q[256];
	struct stat st;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(base));
	/* created with exactly the mode asked for, despite the umask */
	snprintf(p, sizeof(p), "%s/made", base);
	mode_t old = umask(077);
	fd = ith_dir_open_secure(p, 0755, "test dir", &E);
	umask(old);
	CU_ASSERT_TRUE(fd >= 0);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0755);
	/* writes go through the descriptor */
	snprintf(q, sizeof(q), "%s/made/f", base);
	CU_ASSERT_EQUAL(ith_write_atomic_at(fd, q, "x", 1, 0600, (gid_t)-1, &E), 0);
	CU_ASSERT_EQUAL(stat(q, &st), 0);
	if (fd >= 0)
		close(fd);
	/* group-writable: refused, sticky and ours: fine */
	CU_ASSERT_EQUAL(chmod(p, 0775), 0);
	CU_ASSERT_EQUAL(ith_dir_open_secure(p, 0, "test dir", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is group-writable; fix: chmod g-w"));
	CU_ASSERT_EQUAL(chmod(p, 01777), 0);
	fd = ith_dir_open_secure(p, 0, "test dir", &E);
	CU_ASSERT_TRUE(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* a symlink anywhere on the way: refused */
	snprintf(q, sizeof(q), "%s/link", base);
	CU_ASSERT_EQUAL(symlink(p, q), 0);
	CU_ASSERT_EQUAL(ith_dir_open_secure(q, 0, "test dir", &E), ITH_ERR_UNSAFE);
	snprintf(q, sizeof(q), "%s/link/sub", base);
	CU_ASSERT_EQUAL(ith_dir_open_secure(q, 0755, "test dir", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is a symbolic link"));
	snprintf(q, sizeof(q), "%s/made/sub", base);
	CU_ASSERT_NOT_EQUAL(stat(q, &st), 0);  /* nothing made through the link */
	/* lexical .. is resolved before the walk */
	snprintf(q, sizeof(q), "%s/nope/../made", base);
	fd = ith_dir_open_secure(q, 0, "test dir", &E);
	CU_ASSERT_TRUE(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(q, sizeof(q), "rm -rf '%s'", base);
	CU_ASSERT_EQUAL(system(q), 0);
}

/*
 * ith_check_trusted_path resolves as the kernel does (relative and absolute
 * links, "..", a relative path from the working directory) and checks each
 * directory it walks through, also those a link in the middle leads through;
 * a loop of links ends.
 */
static void test_trusted_path(void)
{
	char *d = test_tmpdir(), cwd[4096];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(mkdir(tp(d, "real"), 0755), 0);
	CU_ASSERT_EQUAL(mkdir(tp(d, "pub"), 0755), 0);
	CU_ASSERT((fd = open(tp(d, "real/f"), O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	CU_ASSERT_EQUAL(symlink("../real", tp(d, "pub/d")), 0);  /* pub/d -> real, relative */
	CU_ASSERT_EQUAL(symlink("pub/d", tp(d, "l")), 0);        /* l -> pub/d -> real */
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "l/f"), "file", &E), 0);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "pub/d/../real/f"), "file", &E), 0);  /* .. of real: d */
	chmod(tp(d, "pub"), 0777);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "l/f"), "file", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "/pub', writable by group and others (mode 0777)"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(d), 0);
	CU_ASSERT_EQUAL(ith_check_trusted_path("l/f", "file", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_EQUAL(ith_check_trusted_path("real/./f", "file", &E), 0);
	CU_ASSERT_EQUAL(chdir(cwd), 0);
	chmod(tp(d, "pub"), 01777);  /* sticky: our own entries in it cannot be replaced */
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "l/f"), "file", &E), 0);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "real"), "file", &E), ITH_ERR_CONFIG);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "real/f/x"), "file", &E), ITH_ERR_FILE_NOT_FOUND);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "nope"), "file", &E), ITH_ERR_FILE_NOT_FOUND);
	CU_ASSERT_EQUAL(symlink("b", tp(d, "a")), 0);
	CU_ASSERT_EQUAL(symlink("a", tp(d, "b")), 0);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "a"), "file", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "more than 40 symbolic links"));
	for (int i = 0; i < 41; i++) {  /* at most 40 links, as the kernel: c40 -> c39 ... c1 -> c0 -> real/f */
		char name[16], target[16];
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(target, sizeof(target), i ? "c%d" : "real/f", i - 1);
		CU_ASSERT_EQUAL(symlink(target, tp(d, name)), 0);
	}
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "c39"), "file", &E), 0);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "c40"), "file", &E), ITH_ERR_UNSAFE);
	chmod(tp(d, "real/f"), 0664);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "l/f"), "file", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is writable by its group (mode 0664)"));
	test_rm_rf(d);
	free(d);
}

/* The one walker, both ways: links followed (root's or ours) for a trusted file, refused for a directory
 * to write into; every directory on the way and every link followed passes the ownership rule. */
static void test_walker_links_and_owners(void)
{
	char *d = test_tmpdir(), p[512];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(mkdir(tp(d, "a"), 0755), 0);
	CU_ASSERT((fd = open(tp(d, "a/f"), O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	CU_ASSERT_EQUAL(symlink("a", tp(d, "l")), 0);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "l/f"), "file", &E), 0);
	snprintf(p, sizeof(p), "%s", tp(d, "l"));
	CU_ASSERT_EQUAL(ith_dir_open_secure(p, 0, "test dir", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is a symbolic link; symlinks are refused"));
	fd = ith_dir_open_secure(tp(d, "a"), 0, "test dir", &E);
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	if (geteuid() == 0) {  /* another user's directory, link and file: root can make them */
		CU_ASSERT_EQUAL(chown(tp(d, "a"), 12345, (gid_t)-1), 0);
		CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "a/f"), "file", &E), ITH_ERR_UNSAFE);
		CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "/a', owned by uid 12345, neither root nor uid 0"));
		CU_ASSERT_EQUAL(ith_dir_open_secure(tp(d, "a"), 0, "test dir", &E), ITH_ERR_UNSAFE);
		CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is owned by uid 12345, another user"));
		snprintf(p, sizeof(p), "%s", tp(d, "a/sub"));
		CU_ASSERT_EQUAL(ith_dir_open_secure(p, 0700, "test dir", &E), ITH_ERR_UNSAFE);  /* on the way too */
		CU_ASSERT_EQUAL(chown(tp(d, "a"), 0, (gid_t)-1), 0);
		CU_ASSERT_EQUAL(lchown(tp(d, "l"), 12345, (gid_t)-1), 0);
		CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "l/f"), "file", &E), ITH_ERR_UNSAFE);
		CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "goes through symbolic link"));
		CU_ASSERT_EQUAL(chown(tp(d, "a/f"), 12345, (gid_t)-1), 0);
		CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "a/f"), "file", &E), ITH_ERR_UNSAFE);
		CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "neither root nor uid 0 who runs this; fix: chown root"));
	}
	test_rm_rf(d);
	free(d);
}

/* Sticky: a group- or world-writable directory is fine on the way when sticky; the directory written into
 * only when it is ours too (root's /tmp is not, unless we are root). */
static void test_walker_sticky(void)
{
	char *d = test_tmpdir(), p[512];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(mkdir(tp(d, "s"), 0700), 0);
	CU_ASSERT_EQUAL(chmod(tp(d, "s"), 01777), 0);
	CU_ASSERT((fd = open(tp(d, "s/f"), O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "s/f"), "file", &E), 0);
	snprintf(p, sizeof(p), "%s", tp(d, "s/sub"));
	fd = ith_dir_open_secure(p, 0700, "test dir", &E);  /* on the way */
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	fd = ith_dir_open_secure(tp(d, "s"), 0, "test dir", &E);  /* written into, ours */
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
	CU_ASSERT_EQUAL(chmod(tp(d, "s"), 0777), 0);  /* no sticky bit: refused both ways */
	CU_ASSERT_EQUAL(ith_check_trusted_path(tp(d, "s/f"), "file", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_EQUAL(ith_dir_open_secure(p, 0, "test dir", &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is group- and world-writable; fix: chmod go-w"));
	fd = ith_dir_open_secure("/tmp", 0, "test dir", &E);
	if (geteuid() == 0) {
		CU_ASSERT(fd >= 0);
	} else {
		CU_ASSERT_EQUAL(fd, ITH_ERR_UNSAFE);
	}
	if (fd >= 0)
		close(fd);
	test_rm_rf(d);
	free(d);
}

/* A dry run's walk: what is missing, and whether only the last directory is. */
static void test_walker_missing(void)
{
	char *d = test_tmpdir(), p[512];
	bool missing, missing_last;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	snprintf(p, sizeof(p), "%s/no/sub", d);
	CU_ASSERT_EQUAL(ith_dir_open_existing(p, "test dir", &missing, &missing_last, &E), ITH_ERR_IO);
	CU_ASSERT_TRUE(missing);
	CU_ASSERT_FALSE(missing_last);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "/no' does not exist"));
	snprintf(p, sizeof(p), "%s/no", d);
	CU_ASSERT_EQUAL(ith_dir_open_existing(p, "test dir", &missing, &missing_last, &E), ITH_ERR_IO);
	CU_ASSERT_TRUE(missing);
	CU_ASSERT_TRUE(missing_last);
	CU_ASSERT_NOT_EQUAL(access(p, F_OK), 0);  /* nothing made */
	fd = ith_dir_open_existing(d, "test dir", &missing, &missing_last, &E);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_FALSE(missing);
	if (fd >= 0)
		close(fd);
	CU_ASSERT_EQUAL(ith_dir_open_secure("relative/dir", 0, "test dir", &E), ITH_ERR_CONFIG);
	test_rm_rf(d);
	free(d);
}

int register_fs_tests(void)
{
	CU_pSuite s = CU_add_suite("fs", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_path_normalize);
	ADD(s, test_read_file_causes);
	ADD(s, test_write_atomic);
	ADD(s, test_dir_open_secure);
	ADD(s, test_trusted_path);
	ADD(s, test_walker_links_and_owners);
	ADD(s, test_walker_sticky);
	ADD(s, test_walker_missing);
	return 0;
}
