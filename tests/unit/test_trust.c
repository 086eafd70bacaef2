/* The trust module (src/trust.c): the one ownership rule, and its wording for each caller. */
#include "suites.h"
#include "error.h"
#include "trust.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct stat st_of(uid_t uid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_mode = mode;
	return st;
}

static enum ith_trust_verdict rule(uid_t uid, mode_t mode, enum ith_trust_kind kind)
{
	struct stat st = st_of(uid, mode);
	return ith_trust_rule(&st, kind);
}

/* Another user: neither root nor us. */
static uid_t other_uid(void)
{
	return geteuid() == 12345 ? 12346 : 12345;
}

/* The owner: root or us (PRIVATE: us only); anyone else never. */
static void test_rule_owner(void)
{
	uid_t me = geteuid(), other = other_uid();
	enum ith_trust_kind kinds[] = { ITH_TRUST_FILE, ITH_TRUST_DIR_ON_WAY, ITH_TRUST_DIR_TARGET, ITH_TRUST_LINK };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		mode_t type = kinds[i] == ITH_TRUST_FILE ? S_IFREG : kinds[i] == ITH_TRUST_LINK ? S_IFLNK : S_IFDIR;
		CU_ASSERT_EQUAL(rule(me, type | 0755, kinds[i]), ITH_TRUSTED);
		CU_ASSERT_EQUAL(rule(0, type | 0755, kinds[i]), ITH_TRUSTED);
		CU_ASSERT_EQUAL(rule(other, type | 0755, kinds[i]), ITH_UNTRUSTED_OWNER);
		CU_ASSERT_EQUAL(rule(other, type | 01777, kinds[i]), ITH_UNTRUSTED_OWNER);  /* owner before mode */
	}
	CU_ASSERT_EQUAL(rule(me, S_IFREG | 0600, ITH_TRUST_PRIVATE), ITH_TRUSTED);
	CU_ASSERT_EQUAL(rule(me, S_IFDIR | 0700, ITH_TRUST_PRIVATE), ITH_TRUSTED);
	CU_ASSERT_EQUAL(rule(other, S_IFREG | 0600, ITH_TRUST_PRIVATE), ITH_UNTRUSTED_OWNER);
	if (me != 0)  /* a secret file is ours alone: root's is not */
		CU_ASSERT_EQUAL(rule(0, S_IFREG | 0600, ITH_TRUST_PRIVATE), ITH_UNTRUSTED_OWNER);
}

/* Group or world write: refused for a file, covered by the sticky bit for a directory on the way, and for
 * the directory written into only when it is ours; a link's mode means nothing. */
static void test_rule_writable_sticky(void)
{
	uid_t me = geteuid();
	mode_t w[] = { 0775, 0757, 0777 };

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		CU_ASSERT_EQUAL(rule(me, S_IFREG | w[i], ITH_TRUST_FILE), ITH_UNTRUSTED_WRITABLE);
		CU_ASSERT_EQUAL(rule(me, S_IFREG | 01000 | w[i], ITH_TRUST_FILE), ITH_UNTRUSTED_WRITABLE);
		CU_ASSERT_EQUAL(rule(me, S_IFDIR | w[i], ITH_TRUST_DIR_ON_WAY), ITH_UNTRUSTED_WRITABLE);
		CU_ASSERT_EQUAL(rule(me, S_IFDIR | w[i], ITH_TRUST_DIR_TARGET), ITH_UNTRUSTED_WRITABLE);
		CU_ASSERT_EQUAL(rule(me, S_IFDIR | 01000 | w[i], ITH_TRUST_DIR_ON_WAY), ITH_TRUSTED);
		CU_ASSERT_EQUAL(rule(0, S_IFDIR | 01000 | w[i], ITH_TRUST_DIR_ON_WAY), ITH_TRUSTED);
		CU_ASSERT_EQUAL(rule(me, S_IFDIR | 01000 | w[i], ITH_TRUST_DIR_TARGET), ITH_TRUSTED);
		if (me != 0)  /* root's /tmp: on the way, yes; to write into, no */
			CU_ASSERT_EQUAL(rule(0, S_IFDIR | 01000 | w[i], ITH_TRUST_DIR_TARGET), ITH_UNTRUSTED_WRITABLE);
		CU_ASSERT_EQUAL(rule(me, S_IFLNK | w[i], ITH_TRUST_LINK), ITH_TRUSTED);
	}
	CU_ASSERT_EQUAL(rule(me, S_IFREG | 0644, ITH_TRUST_FILE), ITH_TRUSTED);
	CU_ASSERT_EQUAL(rule(me, S_IFDIR | 0755, ITH_TRUST_DIR_TARGET), ITH_TRUSTED);
	/* private: any access for group or others, not only write */
	CU_ASSERT_EQUAL(rule(me, S_IFREG | 0640, ITH_TRUST_PRIVATE), ITH_UNTRUSTED_ACCESSIBLE);
	CU_ASSERT_EQUAL(rule(me, S_IFREG | 0604, ITH_TRUST_PRIVATE), ITH_UNTRUSTED_ACCESSIBLE);
	CU_ASSERT_EQUAL(rule(me, S_IFDIR | 0710, ITH_TRUST_PRIVATE), ITH_UNTRUSTED_ACCESSIBLE);
	CU_ASSERT_EQUAL(rule(me, S_IFDIR | 01700, ITH_TRUST_PRIVATE), ITH_TRUSTED);
}

static void msg_has(int r, const char *want)
{
	CU_ASSERT_EQUAL(r, ITH_ERR_UNSAFE);
	if (!strstr(ith_err_msg(&E), want)) {
		fprintf(stderr, "\n  message '%s' lacks '%s'\n", ith_err_msg(&E), want);
		CU_FAIL("message");
	}
}

/* Each caller's wording, as the scenarios and bad configs check it. */
static void test_wording(void)
{
	uid_t me = geteuid(), other = other_uid();
	struct stat f = st_of(other, S_IFREG | 0644), fw = st_of(me, S_IFREG | 0664), d = st_of(other, S_IFDIR | 0755);
	struct stat dw = st_of(me, S_IFDIR | 0777), dg = st_of(me, S_IFDIR | 0775), dO = st_of(me, S_IFDIR | 0757);
	struct stat l = st_of(other, S_IFLNK | 0777), reg = st_of(me, S_IFREG | 0755);

	msg_has(ith_check_trusted(&f, "/c", "configuration", &E), "configuration '/c' is owned by uid ");
	msg_has(ith_check_trusted(&f, "/c", "configuration", &E), "neither root nor uid");
	msg_has(ith_check_trusted(&fw, "/c", "configuration", &E), "is writable by its group (mode 0664)");
	msg_has(ith_check_trusted_dir(&d, "/d", "/d/c", "configuration", &E), "'/d/c' is in directory '/d', owned by uid");
	msg_has(ith_check_trusted_dir(&dw, "/d", "/d/c", "file", &E), "/d', writable by group and others (mode 0777)");
	msg_has(ith_check_trusted_link(&l, "/l", "/l/c", "file", &E), "goes through symbolic link '/l', owned by uid");
	msg_has(ith_check_write_dir(&d, "/d", false, "sink directory", &E), "another user, who could redirect");
	msg_has(ith_check_write_dir(&dg, "/d", true, "sink directory", &E), "is group-writable; fix: chmod g-w '/d'");
	msg_has(ith_check_write_dir(&dO, "/d", true, "sink directory", &E), "is world-writable; fix: chmod o-w '/d'");
	msg_has(ith_check_write_dir(&dw, "/d", false, "sink directory", &E), "is group- and world-writable; fix: chmod go-w");
	msg_has(ith_check_write_dir(&reg, "/d", true, "sink directory", &E), "sink directory '/d' is not a directory");
	CU_ASSERT_EQUAL(ith_check_trusted(&reg, "/c", "configuration", &E), 0);
}

/* A secret file or private directory, on its descriptor. */
static void test_private_fd(void)
{
	char *dir = test_tmpdir(), path[512];
	int fd, dfd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof(path), "%s/secret", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_EQUAL(ith_check_private_fd(fd, path, false, &E), 0);
	CU_ASSERT_EQUAL(ith_check_private_fd(dfd, dir, true, &E), 0);
	msg_has(ith_check_private_fd(fd, path, true, &E), "is not a directory");
	msg_has(ith_check_private_fd(dfd, dir, false, &E), "is not a regular file");
	CU_ASSERT_EQUAL(fchmod(fd, 0640), 0);
	msg_has(ith_check_private_fd(fd, path, false, &E), "is accessible by group or others (mode 0640); fix: chmod 0600");
	CU_ASSERT_EQUAL(fchmod(dfd, 0750), 0);
	msg_has(ith_check_private_fd(dfd, dir, true, &E), "(mode 0750); fix: chmod 0700");
	if (geteuid() == 0) {  /* another user's: root can make one */
		CU_ASSERT_EQUAL(fchmod(fd, 0600), 0);
		CU_ASSERT_EQUAL(fchown(fd, other_uid(), (gid_t)-1), 0);
		msg_has(ith_check_private_fd(fd, path, false, &E), "not by uid 0 who runs this; fix: chown 0");
	}
	close(fd);
	close(dfd);
	test_rm_rf(dir);
	free(dir);
}

int register_trust_tests(void)
{
	CU_pSuite s = CU_add_suite("trust", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_rule_owner);
	ADD(s, test_rule_writable_sticky);
	ADD(s, test_wording);
	ADD(s, test_private_fd);
	return 0;
}
