/* output.c: the get formats, and the sink files written in a temporary directory (mode, group, replaced
 * only when the content, mode or group differs; never through a symlink; the read-only check). */
#include "suites.h"
#include "error.h"
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_ID "5a1f0c8e-2b3d-4c5e-8f90-123456789abc"

static struct ith_profile profile(void)
{
	struct ith_profile p;

	memset(&p, 0, sizeof(p));
	p.name = "telegraf";
	p.env_variable = "INFLUX_TOKEN";
	return p;
}

/* A token whose secret has the characters each format must escape. */
static void token(struct ith_state_token *t, const char *secret)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", TOKEN_ID);
	ith_secret_set(&t->token, secret, strlen(secret));
	t->expires_at = 1703179948;  /* 2023-12-21T17:32:28Z */
}

static char *render(enum ith_format f, const char *secret)
{
	struct ith_profile p = profile();
	struct ith_state_token t;
	struct ith_strbuf out = ITH_STRBUF_INIT;
	char *s;

	token(&t, secret);
	ith_format_token(f, &p, &t, &out);
	CU_ASSERT_TRUE(out.secret);  /* wiped when released */
	s = strdup(out.buf ? out.buf : "");
	ith_strbuf_release(&out);
	ith_secret_release(&t.token);
	return s;
}

static void test_format_parse(void)
{
	enum ith_format f;

	CU_ASSERT_EQUAL(ith_format_parse("raw", &f, &E), 0);
	CU_ASSERT_EQUAL(f, ITH_FMT_RAW);
	CU_ASSERT_EQUAL(ith_format_parse("json", &f, &E), 0);
	CU_ASSERT_EQUAL(f, ITH_FMT_JSON);
	CU_ASSERT_EQUAL(ith_format_parse("env", &f, &E), 0);
	CU_ASSERT_EQUAL(f, ITH_FMT_ENV);
	CU_ASSERT_EQUAL(ith_format_parse("exec-credential", &f, &E), 0);
	CU_ASSERT_EQUAL(f, ITH_FMT_EXEC_CREDENTIAL);
	CU_ASSERT_EQUAL(ith_format_parse("JSON", &f, &E), ITH_ERR_USAGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "unknown format 'JSON' (raw, json, env, exec-credential)"));
	ith_strbuf_release(&E);
}

static void test_formats(void)
{
	char *s;

	s = render(ITH_FMT_RAW, "apiv1_abc");
	CU_ASSERT_STRING_EQUAL(s, "apiv1_abc");  /* no newline */
	free(s);
	s = render(ITH_FMT_JSON, "a\"b\\c\n\x01");
	CU_ASSERT_STRING_EQUAL(s, "{\"name\":\"telegraf\",\"id\":\"" TOKEN_ID "\",\"token\":\"a\\\"b\\\\c\\u000a\\u0001\","
		"\"expires_at\":\"2023-12-21T17:32:28Z\"}\n");
	free(s);
	s = render(ITH_FMT_ENV, "it's $(x)");
	CU_ASSERT_STRING_EQUAL(s, "INFLUX_TOKEN='it'\\''s $(x)'\nINFLUX_TOKEN_EXPIRES_AT='2023-12-21T17:32:28Z'\n");
	free(s);
	s = render(ITH_FMT_EXEC_CREDENTIAL, "tok\"en");
	CU_ASSERT_STRING_EQUAL(s, "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		"\"status\":{\"token\":\"tok\\\"en\",\"expirationTimestamp\":\"2023-12-21T17:32:28Z\"}}\n");
	free(s);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strdup(buf);
}

static ino_t inode(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

/* A file sink: written with its mode (despite the umask), replaced (a new inode, never rewritten in place)
 * only when the content or the mode differs. */
static void test_sink_file_replaced_when_different(void)
{
	char *dir = test_tmpdir(), path[512], *text;
	struct ith_profile p = profile();
	struct ith_sink s;
	struct ith_state_token t;
	bool changed;
	struct stat st;
	ino_t ino;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof(path), "%s/run/telegraf", dir);
	memset(&s, 0, sizeof(s));
	s.type = ITH_SINK_FILE;
	s.path = path;
	s.mode = 0640;
	s.gid = (gid_t)-1;
	token(&t, "tok-one");

	CU_ASSERT_EQUAL_FATAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_TRUE(changed);
	text = slurp(path);
	CU_ASSERT_STRING_EQUAL(text, "tok-one");
	free(text);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	snprintf(path, sizeof(path), "%s/run", dir);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0755);  /* the consumer traverses the directory it made */
	snprintf(path, sizeof(path), "%s/run/telegraf", dir);
	ino = inode(path);

	/* the same content: left alone */
	CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_FALSE(changed);
	CU_ASSERT_EQUAL(inode(path), ino);

	/* another mode: replaced, with the configured mode */
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	CU_ASSERT_NOT_EQUAL(inode(path), ino);
	ino = inode(path);

	/* another token: replaced atomically (a new inode) */
	ith_secret_release(&t.token);
	ith_secret_set(&t.token, "tok-two", 7);
	CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_NOT_EQUAL(inode(path), ino);
	text = slurp(path);
	CU_ASSERT_STRING_EQUAL(text, "tok-two");
	free(text);

	/* emptied behind our back (a /run after reboot): written again */
	CU_ASSERT_EQUAL(truncate(path, 0), 0);
	CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_TRUE(changed);
	ith_secret_release(&t.token);
	test_rm_rf(dir);
	free(dir);
}

/* An env sink holds the env format; the group is set when configured. */
static void test_sink_env_group(void)
{
	char *dir = test_tmpdir(), path[512], *text;
	struct ith_profile p = profile();
	struct ith_sink s;
	struct ith_state_token t;
	bool changed;
	struct stat st;
	/* root may give the file any group: one it is not in proves the chown; others use their own */
	gid_t gid = geteuid() == 0 ? 1 : getegid();

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof(path), "%s/telegraf.env", dir);
	memset(&s, 0, sizeof(s));
	s.type = ITH_SINK_ENV;
	s.path = path;
	s.mode = 0640;
	s.gid = gid;
	token(&t, "tok");
	CU_ASSERT_EQUAL_FATAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_TRUE(changed);
	text = slurp(path);
	CU_ASSERT_STRING_EQUAL(text, "INFLUX_TOKEN='tok'\nINFLUX_TOKEN_EXPIRES_AT='2023-12-21T17:32:28Z'\n");
	free(text);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_gid, gid);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_FALSE(changed);
	if (geteuid() == 0) {  /* another group: replaced with the configured one */
		CU_ASSERT_EQUAL(chown(path, (uid_t)-1, 0), 0);
		CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
		CU_ASSERT_TRUE(changed);
		CU_ASSERT_EQUAL(stat(path, &st), 0);
		CU_ASSERT_EQUAL(st.st_gid, gid);
	}
	ith_secret_release(&t.token);
	test_rm_rf(dir);
	free(dir);
}

/* The read-only check: says what the write would do and changes nothing; a symlinked sink is refused. */
static void test_sink_check_and_symlink(void)
{
	char *dir = test_tmpdir(), path[512], other[512];
	struct ith_profile p = profile();
	struct ith_sink s;
	struct ith_state_token t;
	enum ith_sink_diff diff;
	bool changed, exists;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof(path), "%s/new/telegraf", dir);
	memset(&s, 0, sizeof(s));
	s.type = ITH_SINK_FILE;
	s.path = path;
	s.mode = 0600;
	s.gid = (gid_t)-1;
	token(&t, "tok");

	CU_ASSERT_EQUAL(ith_sink_check(&s, &p, &t, &diff, &E), 0);
	CU_ASSERT_EQUAL(diff, ITH_SINK_MISSING);
	snprintf(other, sizeof(other), "%s/new", dir);
	CU_ASSERT_NOT_EQUAL(stat(other, &st), 0);  /* the check made no directory */
	CU_ASSERT_EQUAL_FATAL(ith_sink_sync(&s, &p, &t, &changed, &E), 0);
	CU_ASSERT_EQUAL(ith_sink_check(&s, &p, &t, &diff, &E), 0);
	CU_ASSERT_EQUAL(diff, ITH_SINK_SAME);
	ith_secret_release(&t.token);
	ith_secret_set(&t.token, "tok2", 4);
	CU_ASSERT_EQUAL(ith_sink_check(&s, &p, &t, &diff, &E), 0);
	CU_ASSERT_EQUAL(diff, ITH_SINK_DIFFERS);
	CU_ASSERT_EQUAL(ith_sink_remove_check(&s, &exists, &E), 0);
	CU_ASSERT_TRUE(exists);
	CU_ASSERT_EQUAL(ith_sink_remove(&s, &E), 0);
	CU_ASSERT_NOT_EQUAL(lstat(path, &st), 0);
	CU_ASSERT_EQUAL(ith_sink_remove_check(&s, &exists, &E), 0);
	CU_ASSERT_FALSE(exists);

	/* a symlink where the sink goes: never written through */
	snprintf(other, sizeof(other), "%s/victim", dir);
	CU_ASSERT_EQUAL(symlink(other, path), 0);
	CU_ASSERT_EQUAL(ith_sink_sync(&s, &p, &t, &changed, &E), ITH_ERR_UNSAFE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is a symbolic link"));
	ith_strbuf_release(&E);
	CU_ASSERT_FALSE(changed);
	CU_ASSERT_NOT_EQUAL(lstat(other, &st), 0);
	ith_secret_release(&t.token);
	test_rm_rf(dir);
	free(dir);
}

/* A sink's name in the publish record: its type and target, not its place in the config nor its other settings. */
static void test_sink_key(void)
{
	struct ith_sink a = { .type = ITH_SINK_FILE, .path = (char *)"/run/x/telegraf", .mode = 0640 };
	struct ith_sink b = { .type = ITH_SINK_FILE, .path = (char *)"/run/x/telegraf", .mode = 0600, .gid = 5 };
	struct ith_sink env = { .type = ITH_SINK_ENV, .path = (char *)"/run/x/telegraf" };
	struct ith_sink other = { .type = ITH_SINK_FILE, .path = (char *)"/run/x/telegraf2" };
	struct ith_sink tmpl = { .type = ITH_SINK_TEMPLATE, .path = (char *)"/run/x/t.toml" };
	char ka[ITH_SINK_KEY_LEN + 1], kb[ITH_SINK_KEY_LEN + 1], ke[ITH_SINK_KEY_LEN + 1], ko[ITH_SINK_KEY_LEN + 1];

	ith_sink_key(&a, ka);
	ith_sink_key(&b, kb);
	ith_sink_key(&env, ke);
	ith_sink_key(&other, ko);
	CU_ASSERT_EQUAL(strlen(ka), ITH_SINK_KEY_LEN);
	CU_ASSERT_EQUAL(strspn(ka, "0123456789abcdef"), ITH_SINK_KEY_LEN);
	CU_ASSERT_STRING_EQUAL(ka, kb);       /* mode and group are not the sink's name */
	CU_ASSERT_STRING_NOT_EQUAL(ka, ke);   /* the type is */
	CU_ASSERT_STRING_NOT_EQUAL(ka, ko);   /* and the target */
	CU_ASSERT_FALSE(ith_sink_is_remote(&a));
	CU_ASSERT_FALSE(ith_sink_is_remote(&env));
	CU_ASSERT_FALSE(ith_sink_is_remote(&tmpl));
	/* remote: named by server and place, each part counted */
	struct ith_sink v1 = { .type = ITH_SINK_VAULT, .address = (char *)"https://v:8200", .mount = (char *)"secret",
		.path = (char *)"influxdb/a" };
	struct ith_sink v2 = v1, k1 = { .type = ITH_SINK_KUBERNETES, .namespace = (char *)"t", .secret = (char *)"s",
		.key = (char *)"token" };
	struct ith_sink k2 = k1;
	char kv1[ITH_SINK_KEY_LEN + 1], kv2[ITH_SINK_KEY_LEN + 1], kk1[ITH_SINK_KEY_LEN + 1], kk2[ITH_SINK_KEY_LEN + 1];
	v2.address = (char *)"https://w:8200";
	k2.key = (char *)"other";
	ith_sink_key(&v1, kv1);
	ith_sink_key(&v2, kv2);
	ith_sink_key(&k1, kk1);
	ith_sink_key(&k2, kk2);
	CU_ASSERT_TRUE(ith_sink_is_remote(&v1));
	CU_ASSERT_TRUE(ith_sink_is_remote(&k1));
	CU_ASSERT_STRING_NOT_EQUAL(kv1, kv2);
	CU_ASSERT_STRING_NOT_EQUAL(kk1, kk2);
	CU_ASSERT_STRING_NOT_EQUAL(kv1, kk1);
}

int register_output_tests(void)
{
	CU_pSuite s = CU_add_suite("output: get formats, sink files", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_format_parse);
	ADD(s, test_formats);
	ADD(s, test_sink_file_replaced_when_different);
	ADD(s, test_sink_env_group);
	ADD(s, test_sink_check_and_symlink);
	ADD(s, test_sink_key);
	return 0;
}
