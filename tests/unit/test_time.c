#include "suites.h"
#include "error.h"
#include "fs.h"
#include "id.h"
#include "mem.h"
#include "strbuf.h"
#include "text.h"
#include "time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_durations(void)
{
	int64_t d;
	CU_ASSERT_EQUAL(ith_parse_duration("90s", &d, &E), 0); CU_ASSERT_EQUAL(d, 90);
	CU_ASSERT_EQUAL(ith_parse_duration("30m", &d, &E), 0); CU_ASSERT_EQUAL(d, 1800);
	CU_ASSERT_EQUAL(ith_parse_duration("24h", &d, &E), 0); CU_ASSERT_EQUAL(d, 86400);
	CU_ASSERT_EQUAL(ith_parse_duration("7d", &d, &E), 0); CU_ASSERT_EQUAL(d, 604800);
	CU_ASSERT_EQUAL(ith_parse_duration("3600", &d, &E), 0); CU_ASSERT_EQUAL(d, 3600);
	CU_ASSERT_EQUAL(ith_parse_duration("0", &d, &E), 0); CU_ASSERT_EQUAL(d, 0);
}

static void test_bad_durations(void)
{
	static const char *bad[] = { "", "s", "-5s", "5 s", "5x", "1.5h", "5ss", "h5", "99999999999999999999",
		"4000d", " 5s", "5s ", NULL };
	int64_t d = 42;
	for (const char **b = bad; *b; b++) {
		CU_ASSERT_EQUAL(ith_parse_duration(*b, &d, &E), ITH_ERR_CONFIG);
		CU_ASSERT_EQUAL(d, 42);  /* untouched on error */
	}
	CU_ASSERT_EQUAL(ith_parse_duration(NULL, &d, &E), ITH_ERR_CONFIG);
}

static void test_rfc3339(void)
{
	int64_t t;
	CU_ASSERT_EQUAL(ith_parse_rfc3339("1970-01-01T00:00:00Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 0);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21T17:32:28.000Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21T18:32:28+01:00", &t, &E), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2023-12-21t17:32:28.123456z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1703179948);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2024-02-29T00:00:00Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1709164800);
	CU_ASSERT_EQUAL(ith_parse_rfc3339("2030-01-01T00:00:00Z", &t, &E), 0); CU_ASSERT_EQUAL(t, 1893456000);
}

static void test_bad_rfc3339(void)
{
	static const char *bad[] = { "", "2023-12-21", "2023-12-21T17:32:28", "2023-13-01T00:00:00Z",
		"2023-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2023-12-21T24:00:00Z", "2023-12-21T17:32:28.Z",
		"2023-12-21T17:32:28+0100", "2023-12-21T17:32:28Zjunk", "x023-12-21T17:32:28Z", NULL };
	int64_t t = 7;
	for (const char **b = bad; *b; b++) {
		CU_ASSERT_EQUAL(ith_parse_rfc3339(*b, &t, &E), ITH_ERR_API_MALFORMED);
		CU_ASSERT_EQUAL(t, 7);
	}
}

static void test_format_roundtrip(void)
{
	char buf[32];
	int64_t t;
	ith_format_rfc3339(1703179948, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2023-12-21T17:32:28Z");
	CU_ASSERT_EQUAL(ith_parse_rfc3339(buf, &t, &E), 0);
	CU_ASSERT_EQUAL(t, 1703179948);
	ith_format_duration(90061, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1d1h");
	ith_format_duration(-45, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "-45s");
}

static void test_uuid(void)
{
	char a[ITH_UUID_LEN + 1], b[ITH_UUID_LEN + 1];
	CU_ASSERT_EQUAL(ith_uuid_v4(a, &E), 0);
	CU_ASSERT_EQUAL(ith_uuid_v4(b, &E), 0);
	CU_ASSERT_TRUE(ith_is_uuid(a));
	CU_ASSERT_EQUAL(a[14], '4');
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_TRUE(ith_is_uuid("11111111-1111-4111-8111-111111111111"));
	CU_ASSERT_FALSE(ith_is_uuid("11111111-1111-4111-8111-11111111111"));
	CU_ASSERT_FALSE(ith_is_uuid("11111111-1111-4111-8111-11111111111g"));
	CU_ASSERT_FALSE(ith_is_uuid("111111111111-4111-8111-1111111111111"));
}

static void test_strbuf(void)
{
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	sb.secret = true;
	for (int i = 0; i < 1000; i++)
		ith_strbuf_addf(&sb, "%d,", i);
	CU_ASSERT_EQUAL(strncmp(sb.buf, "0,1,2,", 6), 0);
	CU_ASSERT_EQUAL(sb.len, strlen(sb.buf));
	ith_strbuf_release(&sb);
	CU_ASSERT_PTR_NULL(sb.buf);
}

/* Server text that quotes a token: every occurrence goes, whatever surrounds it. */
static void test_redact(void)
{
	char a[] = "bad token apiv1_SECRET, again apiv1_SECRETapiv1_SECRET.";
	char b[] = "ab";
	char c[] = "nothing here";

	CU_ASSERT_EQUAL(ith_redact(a, "apiv1_SECRET", 12), 3);
	CU_ASSERT_STRING_EQUAL(a, "bad token ***, again ******.");
	CU_ASSERT_EQUAL(ith_redact(b, "b", 1), 1);
	CU_ASSERT_STRING_EQUAL(b, "a*");
	CU_ASSERT_EQUAL(ith_redact(c, "secret", 6), 0);
	CU_ASSERT_EQUAL(ith_redact(c, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(c, "nothing here");
}

/* Parts of secrets: a value a parser quoted cut short is a prefix, or a piece, of the token. */
/* What prints as nothing or as '?' goes, so a token split by it is found; valid text stays. */
static void test_strip_invisible(void)
{
	char ff[] = "ABCDEFG\xffHIJKLMN\x80OPQRSTU\xc0VWXYZab\xe2" "cdef0123";
	char zw[] = "ABC\xe2\x80\x8b" "DEF\xf3\xa0\x80\xa0" "GHI\x01JKL\xc2\xad" "MNO\xef\xbb\xbf" "PQR";
	char keep[] = "caf\xc3\xa9 \xe2\x82\xac 1 \xf0\x9f\x98\x80 ok";
	char over[] = "A\xe0\x80\x80" "B\xed\xa0\x80" "C\xf4\x90\x80\x80" "D";
	char trunc[] = "xyz\xe2\x80";

	CU_ASSERT_EQUAL(ith_strip_invisible(ff), 4);
	CU_ASSERT_STRING_EQUAL(ff, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123");
	ith_strip_invisible(zw);
	CU_ASSERT_STRING_EQUAL(zw, "ABCDEFGHIJKLMNOPQR");
	CU_ASSERT_EQUAL(ith_strip_invisible(keep), 0);
	CU_ASSERT_STRING_EQUAL(keep, "caf\xc3\xa9 \xe2\x82\xac 1 \xf0\x9f\x98\x80 ok");
	ith_strip_invisible(over);  /* overlong, surrogate, beyond U+10FFFF: byte by byte, all gone */
	CU_ASSERT_STRING_EQUAL(over, "ABCD");
	ith_strip_invisible(trunc);
	CU_ASSERT_STRING_EQUAL(trunc, "xyz");
}

static void test_redact_fragments(void)
{
	static const char tok[] = "apiv1_0123456789abcdef", mgmt[] = "mgmt_ZYXWVUTSRQPONM";
	struct ith_secret secs[3] = { { (char *)tok, sizeof(tok) - 1 }, { NULL, 0 }, { (char *)mgmt, sizeof(mgmt) - 1 } };
	char cut[] = "unknown permission action 'apiv1_0123456789...'";
	char mid[] = "see 6789abcdef and VUTSRQPO here";
	char whole[] = "apiv1_0123456789abcdefZ, again apiv1_0123456789abcdef";
	char shorter[] = "apiv1_0 and 9abcdef and mgmt_ZY stay";
	char eight[] = "x apiv1_01 y";
	char tail[] = "end: apiv1_0123456789abcdef";

	CU_ASSERT_EQUAL(ith_redact_fragments(cut, secs, 3, ITH_REDACT_MIN_RUN), 1);
	CU_ASSERT_STRING_EQUAL(cut, "unknown permission action '***...'");
	CU_ASSERT_EQUAL(ith_redact_fragments(mid, secs, 3, ITH_REDACT_MIN_RUN), 2);
	CU_ASSERT_STRING_EQUAL(mid, "see *** and *** here");
	CU_ASSERT_EQUAL(ith_redact_fragments(whole, secs, 3, ITH_REDACT_MIN_RUN), 2);
	CU_ASSERT_STRING_EQUAL(whole, "***Z, again ***");
	/* runs shorter than 8 bytes stay: ordinary words must not vanish */
	CU_ASSERT_EQUAL(ith_redact_fragments(shorter, secs, 3, ITH_REDACT_MIN_RUN), 0);
	CU_ASSERT_STRING_EQUAL(shorter, "apiv1_0 and 9abcdef and mgmt_ZY stay");
	CU_ASSERT_EQUAL(ith_redact_fragments(eight, secs, 3, ITH_REDACT_MIN_RUN), 1);
	CU_ASSERT_STRING_EQUAL(eight, "x *** y");
	/* nothing of the token is left behind the new end of the string either */
	CU_ASSERT_EQUAL(ith_redact_fragments(tail, secs, 1, ITH_REDACT_MIN_RUN), 1);
	CU_ASSERT_STRING_EQUAL(tail, "end: ***");
	for (size_t i = 0; i + 8 <= sizeof(tail); i++)
		CU_ASSERT_PTR_NULL(memmem(tok, sizeof(tok) - 1, tail + i, 8));
	CU_ASSERT_EQUAL(ith_redact_fragments(NULL, secs, 3, ITH_REDACT_MIN_RUN), 0);
	CU_ASSERT_EQUAL(ith_redact_fragments(eight, NULL, 0, ITH_REDACT_MIN_RUN), 0);
}

static void test_safe_text(void)
{
	char b[16], big[64];
	char s[] = "ok\x1b[31m\nx";

	CU_ASSERT_STRING_EQUAL(ith_safe_text("plain text", b, sizeof(b)), "plain text");
	CU_ASSERT_STRING_EQUAL(ith_safe_text(NULL, b, sizeof(b)), "");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("a\x1b]0;t\x07\r\n", b, sizeof(b)), "a?]0;t???");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("caf\xc3\xa9", b, sizeof(b)), "caf\xc3\xa9");           /* UTF-8 kept */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xc2\x9b" "2J", b, sizeof(b)), "?2J");                  /* C1 CSI */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xe2\x80\xae" "abc", b, sizeof(b)), "?abc");           /* RLO */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("\xff\xc3(\xe0\x80\x80", b, sizeof(b)), "?" "?(?");   /* invalid; an overlong form is one ? */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789abcdefghij", b, sizeof(b)), "0123456789ab...");
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789abcde", b, sizeof(b)), "0123456789abcde");
	/* never cut inside a character */
	CU_ASSERT_STRING_EQUAL(ith_safe_text("0123456789a\xc3\xa9\xc3\xa9\xc3\xa9", b, sizeof(b)), "0123456789a...");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(strlen(ith_safe_text(big, b, sizeof(b))), sizeof(b) - 1);
	CU_ASSERT_TRUE(ith_text_is_safe("caf\xc3\xa9 ok"));
	CU_ASSERT_FALSE(ith_text_is_safe("a\tb"));
	ith_sanitize_inplace(s);
	CU_ASSERT_STRING_EQUAL(s, "ok?[31m?x");
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

/* The error model: a message per caller's buffer, context in front, one line. */
static void test_error_buffer(void)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;

	CU_ASSERT_STRING_EQUAL(ith_err_msg(&err), "unknown error");
	CU_ASSERT_EQUAL(ith_err(&err, ITH_ERR_FILE_NOT_FOUND, "%s does not exist", "'/x'"), ITH_ERR_FILE_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&err), "'/x' does not exist");
	CU_ASSERT_EQUAL(ith_err_prefix(&err, ITH_ERR_CONFIG, "token_file %s", "a"), ITH_ERR_CONFIG);
	CU_ASSERT_STRING_EQUAL(err.buf, "token_file a: '/x' does not exist");
	CU_ASSERT_EQUAL(err.len, strlen(err.buf));
	/* replaced, not appended; an argument may quote the buffer itself */
	ith_err(&err, ITH_ERR_IO, "again (%s)", err.buf);
	CU_ASSERT_STRING_EQUAL(err.buf, "again (token_file a: '/x' does not exist)");
	/* one line: server text and paths cannot forge another */
	ith_err(&err, ITH_ERR_API_REFUSED, "refused: %s", "a\nb\x1b[31m");
	CU_ASSERT_STRING_EQUAL(err.buf, "refused: a?b?[31m");
	ith_err_prefix(&err, ITH_ERR_API_REFUSED, "%s", "x\ry");
	CU_ASSERT_STRING_EQUAL(err.buf, "x?y: refused: a?b?[31m");
	ith_strbuf_release(&err);
	CU_ASSERT_EQUAL(ith_err(NULL, ITH_ERR_USAGE, "dropped"), ITH_ERR_USAGE);
	CU_ASSERT_EQUAL(ith_err_prefix(NULL, ITH_ERR_USAGE, "dropped"), ITH_ERR_USAGE);
}

static void test_causes(void)
{
	/* every cause has its own name and text; the errno mapping is as documented */
	for (int c = -1; c >= ITH_CAUSE_MIN; c--) {
		CU_ASSERT_STRING_NOT_EQUAL(ith_cause_name(c), "?");
		CU_ASSERT_STRING_NOT_EQUAL(ith_cause_str(c), "unknown error");
		for (int d = c - 1; d >= ITH_CAUSE_MIN; d--)
			CU_ASSERT_STRING_NOT_EQUAL(ith_cause_str(c), ith_cause_str(d));
	}
	CU_ASSERT_STRING_EQUAL(ith_cause_name(ITH_CAUSE_MIN - 1), "?");
	CU_ASSERT_EQUAL(ith_errno_cause(EACCES), ITH_ERR_ACCESS);
	CU_ASSERT_EQUAL(ith_errno_cause(EPERM), ITH_ERR_ACCESS);
	CU_ASSERT_EQUAL(ith_errno_cause(ENOMEM), ITH_ERR_NOMEM);
	/* the disk's own conditions are the operator's to fix (74), not internal errors (issue 20) */
	CU_ASSERT_EQUAL(ith_errno_cause(EIO), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(ENOSPC), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(EDQUOT), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(EROFS), ITH_ERR_DISK);
	CU_ASSERT_EQUAL(ith_errno_cause(ENOENT), ITH_ERR_IO);
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

int register_time_tests(void)
{
	CU_pSuite s = CU_add_suite("util: durations, RFC 3339, ids", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_durations);
	ADD(s, test_bad_durations);
	ADD(s, test_rfc3339);
	ADD(s, test_bad_rfc3339);
	ADD(s, test_format_roundtrip);
	ADD(s, test_uuid);
	ADD(s, test_strbuf);
	ADD(s, test_safe_text);
	ADD(s, test_redact);
	ADD(s, test_redact_fragments);
	ADD(s, test_strip_invisible);
	ADD(s, test_dir_open_secure);
	ADD(s, test_error_buffer);
	ADD(s, test_causes);
	ADD(s, test_read_file_causes);
	return 0;
}
