#include "suites.h"
#include "config.h"
#include "error.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD \
	"management = {\n" \
	"  account_id = \"11111111-1111-4111-8111-111111111111\";\n" \
	"  cluster_id = \"22222222-1111-4111-8111-111111111111\";\n" \
	"  token_file = \"/etc/ith/mgmt\";\n" \
	"};\n"

static const char *good =
	HEAD
	"state_dir = \"/var/lib/ith\";\n"
	"tokens = (\n"
	"  { name = \"telegraf\"; write = [ \"sensors\" ]; read = [ \"a\", \"*\" ];\n"
	"    lifetime = \"2h\"; renew_before = \"30m\"; grace = 60; activation = \"probe\";\n"
	"    sinks = ( { type = \"file\"; path = \"/run/ith/telegraf\"; mode = \"0640\"; group = \"root\"; } );\n"
	"    on_rotate = [ \"/bin/true\", \"x\" ]; },\n"
	"  { name = \"reader\"; read = [ \"metrics\" ]; }\n"
	");\n";

static void test_good(void)
{
	struct ith_config c;
	const struct ith_profile *p;

	CU_ASSERT_EQUAL_FATAL(ith_config_load_string(&c, "t.conf", good, &E), 0);
	CU_ASSERT_STRING_EQUAL(c.account_id, "11111111-1111-4111-8111-111111111111");
	CU_ASSERT_STRING_EQUAL(c.url, "https://console.influxdata.com/api/v0");
	CU_ASSERT_STRING_EQUAL(c.cluster_url, "https://22222222-1111-4111-8111-111111111111.a.influxdb.io");
	CU_ASSERT_EQUAL(c.timeout, 30);
	CU_ASSERT_EQUAL(c.nprofiles, 2);
	CU_ASSERT_EQUAL(ith_config_profile(&c, "telegraf", &p, &E), 0);
	CU_ASSERT_EQUAL(p->lifetime, 7200);
	CU_ASSERT_EQUAL(p->renew_before, 1800);
	CU_ASSERT_EQUAL(p->grace, 60);
	CU_ASSERT_EQUAL(p->activation, ITH_ACT_PROBE);
	CU_ASSERT_EQUAL(p->read.n, 2);
	CU_ASSERT_EQUAL(p->nsinks, 1);
	CU_ASSERT_EQUAL(p->sinks[0].mode, 0640);
	CU_ASSERT_EQUAL(p->sinks[0].gid, 0);
	CU_ASSERT_STRING_EQUAL(p->env_variable, "INFLUX_TOKEN");
	CU_ASSERT_EQUAL(ith_config_profile(&c, "reader", &p, &E), 0);
	CU_ASSERT_EQUAL(p->lifetime, 86400);  /* defaults */
	CU_ASSERT_EQUAL(p->renew_before, 6 * 3600);
	CU_ASSERT_EQUAL(p->grace, 900);
	CU_ASSERT_EQUAL(p->activation, ITH_ACT_NONE);
	/* two profiles: a name is needed */
	CU_ASSERT_EQUAL(ith_config_profile(&c, NULL, &p, &E), ITH_ERR_USAGE);
	CU_ASSERT_EQUAL(ith_config_profile(&c, "nope", &p, &E), ITH_ERR_USAGE);
	ith_config_release(&c);
}

/* Each bad config must fail with ITH_ERR_CONFIG and a message holding `want`. */
static void expect_bad(const char *text, const char *want)
{
	struct ith_config c;
	int r = ith_config_load_string(&c, "t.conf", text, &E);

	CU_ASSERT_EQUAL(r, ITH_ERR_CONFIG);
	if (!strstr(ith_err_msg(&E), want)) {
		fprintf(stderr, "\n  message '%s' lacks '%s'\n", ith_err_msg(&E), want);
		CU_FAIL("message");
	}
}

#define T1(body) HEAD "state_dir = \"/s\";\ntokens = ( { " body " } );\n"

static void test_bad(void)
{
	expect_bad("management = {", "t.conf:1: syntax:");
	expect_bad(HEAD "tokens = ( { name = \"a\"; write = [\"d\"]; } );\nbogus = 1;\n", "t.conf:7: bogus: unknown setting");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; lifetme = \"1h\";"), "tokens[0] (a).lifetme: unknown setting");
	expect_bad(T1("name = \"a\"; write = \"d\";"), "tokens[0] (a).write: must be an array");
	expect_bad(T1("name = \"a\"; write = [ 1 ];"), "entry 1 must be a string");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; lifetime = true;"), "must be a duration");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; lifetime = \"1 h\";"), "not a duration");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; lifetime = \"1h\"; renew_before = \"1h\";"), "impossible window");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; renew_before = \"10m\"; grace = \"10m\";"), "impossible window");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; lifetime = 30; renew_before = 10; grace = 1;"), "at least 60s");
	expect_bad(T1("name = \"a\"; write = [\"\"];"), "not a database name");
	expect_bad(T1("name = \"a\"; write = [\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"];"), "not a database name");
	expect_bad(T1("name = \"a\";"), "no permissions");
	expect_bad(T1("name = \"1a\"; write = [\"d\"];"), "not a valid name");
	expect_bad(T1("name = \"a-b\"; write = [\"d\"];"), "not a valid name");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; activation = \"later\";"), "not one of probe, delay, none");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"rel/x\"; } );"), "relative path");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; sinks = ( { type = \"pipe\"; path = \"/x\"; } );"), "not a sink type");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/x\"; mode = \"0999\"; } );"), "octal mode");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/x\"; mode = \"0666\"; } );"), "world-writable");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/x\"; group = \"no-such-group-ith\"; } );"), "no such group");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; on_rotate = [ \"systemctl\" ];"), "absolute path");
	expect_bad(T1("name = \"a\"; write = [\"d\"]; description = \"x [y]\";"), "without '['");
	expect_bad(HEAD "state_dir = \"/s\";\ntokens = ( { name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/x\"; } ); },\n"
		"{ name = \"b\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/x\"; } ); } );\n", "used by two sinks");
	expect_bad(HEAD "tokens = ( { name = \"a\"; write = [\"d\"]; }, { name = \"a\"; write = [\"d\"]; } );\n", "duplicate profile name 'a'");
	expect_bad(HEAD "tokens = ( );\n", "no token profiles");
	expect_bad(HEAD, "tokens: required list is missing");
	expect_bad("tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "management: required group is missing");
	expect_bad("management = { account_id = \"x\"; cluster_id = \"22222222-1111-4111-8111-111111111111\"; };\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "t.conf:1: management.account_id: 'x' is not a UUID");
	expect_bad("management = { account_id = \"11111111-1111-4111-8111-111111111111\"; "
		"cluster_id = \"22222222-1111-4111-8111-111111111111\"; url = \"http://10.0.0.1/api\"; };\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "only to loopback");
	expect_bad("management = { account_id = \"11111111-1111-4111-8111-111111111111\"; "
		"cluster_id = \"22222222-1111-4111-8111-111111111111\"; url = \"http://127.0.0.1:80@192.0.2.2:8086/api/v0\"; };\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "t.conf:1: management.url: 'http://192.0.2.2:8086/api/v0' must not contain user:password@");
	expect_bad(HEAD "cluster_url = \"http://[::1]:1@192.0.2.2/\";\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "cluster_url: 'http://192.0.2.2/' must not contain user:password@");
	/* a URL's credentials, or its query, never appear in the message */
	expect_bad("management = { account_id = \"11111111-1111-4111-8111-111111111111\"; "
		"cluster_id = \"22222222-1111-4111-8111-111111111111\"; url = \"https://bob:s3cretpw@h.example.com/api/v0\"; };\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "management.url: 'https://h.example.com/api/v0' must not contain user:password@");
	CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), "s3cretpw"));
	CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), "bob"));
	expect_bad(HEAD "cluster_url = \"https://c.example.com/?token=s3cretq\";\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "cluster_url: 'https://c.example.com/' must not contain a query");
	CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), "s3cretq"));
	expect_bad(HEAD "cluster_url = \"https://bob:pw?x@c.example.com/\";\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "must not contain a query");
	CU_ASSERT_PTR_NULL(strstr(ith_err_msg(&E), "pw"));
	expect_bad("management = { account_id = \"11111111-1111-4111-8111-111111111111\"; "
		"cluster_id = \"22222222-1111-4111-8111-111111111111\"; url = \"ftp://x/\"; };\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "must start with https://");
	expect_bad("management = { account_id = \"11111111-1111-4111-8111-111111111111\"; "
		"cluster_id = \"22222222-1111-4111-8111-111111111111\"; token_file = \"/a\"; token_env = \"X\"; };\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "not both");
	expect_bad(HEAD "state_dir = \"var/lib\";\ntokens = ( { name = \"a\"; write = [\"d\"]; } );\n", "state_dir: 'var/lib' is a relative path");
	expect_bad(HEAD "tokens = ( { name = \"a\"; write = [\"d\"]; } );\n@include \"x\"\n", "@include");
}

static void test_collisions(void)
{
	struct ith_config c;

	/* the config file itself */
	CU_ASSERT_EQUAL(ith_config_load_string(&c, "/etc/ith/helper.conf", HEAD "state_dir = \"/s\";\n"
		"tokens = ( { name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/etc/ith/./helper.conf\"; } ); } );\n", &E),
		ITH_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "is the same file as the configuration file itself"));
	/* its own state file, through .. */
	expect_bad(T1("name = \"a\"; write = [\"d\"]; sinks = ( { type = \"file\"; path = \"/x/../s/a.state\"; } );"),
		"tokens[0] (a).sinks[0].path: '/x/../s/a.state' is the same file as state_dir (profile a's state file) ('/s/a.state')");
	/* a sink elsewhere is fine */
	CU_ASSERT_EQUAL(ith_config_load_string(&c, "/etc/ith/helper.conf", T1("name = \"a\"; write = [\"d\"]; "
		"sinks = ( { type = \"file\"; path = \"/s2/a.state\"; }, { type = \"env\"; path = \"/s/../s2/a.env\"; } );"), &E), 0);
	ith_config_release(&c);
}

/* conf/helper.conf, as shipped, must load (its group made one this host has). */
static void test_sample_config(void)
{
	char path[1024], *text, *g;
	struct ith_config c;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/conf/helper.conf", ITH_SOURCE_DIR);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 16);
	CU_ASSERT_EQUAL_FATAL(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	g = strstr(text, "group = \"telegraf\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	static const char repl[] = "group = \"root\"    ";  /* as long as the original */
	memcpy(g, repl, sizeof(repl) - 1);
	CU_ASSERT_EQUAL(ith_config_load_string(&c, path, text, &E), 0);
	if (c.path)
		ith_config_release(&c);
	else
		fprintf(stderr, "\n  %s\n", ith_err_msg(&E));
	free(text);
}

/* A directory given as the configuration: a message that says so. */
static void test_directory_config(void)
{
	struct ith_config cfg;
	char *dir = test_tmpdir(), want[1200];

	CU_ASSERT_EQUAL(ith_config_load(&cfg, dir, &E), ITH_ERR_CONFIG);
	snprintf(want, sizeof(want), "configuration '%s' is a directory, not a regular file; give the configuration "
		"file with -c FILE or $INFLUX_TOKEN_HELPER_CONFIG", dir);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), want);
	test_rm_rf(dir);
	free(dir);
}

/*
 * The tables of config.c: the settings each block knows, as they were when
 * the tables replaced the hand-written lists. A row dropped or renamed, or a
 * default changed, fails here (and --help, the man page and the README would
 * need the same change).
 */
static const char *const known_top[] = { "management", "cluster_url", "state_dir", "status_dir", "tokens",
	"prometheus_textfile", NULL };
static const char *const known_management[] = { "account_id", "cluster_id", "token_file", "token_env", "url",
	"timeout", "connect_timeout", "deadline", "ca_file", NULL };
static const char *const known_profile[] = { "name", "description", "write", "read", "lifetime", "renew_before",
	"grace", "activation", "activation_timeout", "probe_database", "env_variable", "sinks", "on_rotate",
	"hook_timeout", "hosts_file", NULL };
static const char *const known_sink[] = { "type", "path", "mode", "group", "template", "address", "mount", "auth",
	"role_id", "secret_id_file", "token_file", "ca_file", "namespace", "secret", "key", "server", NULL };

/* A config with one setting added to a block: "" top level, "management", "tokens", "sinks". */
static char *config_with(const char *block, const char *setting)
{
	char *buf = malloc(4096);
	const char *top = "", *mg = "", *pr = "", *sk = "";

	if (!strcmp(block, ""))
		top = setting;
	else if (!strcmp(block, "management"))
		mg = setting;
	else if (!strcmp(block, "tokens"))
		pr = setting;
	else
		sk = setting;
	snprintf(buf, 4096, "management = { account_id = \"11111111-1111-4111-8111-111111111111\";\n"
		"  cluster_id = \"22222222-1111-4111-8111-111111111111\"; %s };\n"
		"state_dir = \"/s\";\n%s\n"
		"tokens = ( { name = \"a\"; write = [ \"d\" ]; %s\n"
		"  sinks = ( { type = \"file\"; path = \"/x/t\"; %s } ); } );\n", mg, top, pr, sk);
	return buf;
}

static void keys_are(const char *block, const char *const *want, const char *typo, const char *msg)
{
	struct ith_config c;
	char *text, setting[64];
	size_t i;

	for (i = 0; want[i]; i++) {
		const struct ith_config_key *k = ith_config_key_at(block, i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(k);
		if (strcmp(k->key, want[i]))
			fprintf(stderr, "\n  block '%s' row %zu: '%s', want '%s'\n", block, i, k->key, want[i]);
		CU_ASSERT_STRING_EQUAL(k->key, want[i]);
	}
	CU_ASSERT_PTR_NULL(ith_config_key_at(block, i));
	/* a key near a known one: refused, naming every key of the table, as before the tables */
	snprintf(setting, sizeof(setting), "%s = 1;", typo);
	text = config_with(block, setting);
	CU_ASSERT_EQUAL(ith_config_load_string(&c, "t.conf", text, &E), ITH_ERR_CONFIG);
	if (strcmp(ith_err_msg(&E), msg))
		fprintf(stderr, "\n  got  '%s'\n  want '%s'\n", ith_err_msg(&E), msg);
	CU_ASSERT_STRING_EQUAL(ith_err_msg(&E), msg);
	free(text);
}

static void test_table_known_keys(void)
{
	keys_are("", known_top, "state_dirr",
		"t.conf:4: state_dirr: unknown setting (known: management, cluster_url, state_dir, status_dir, tokens, "
		"prometheus_textfile)");
	keys_are("management", known_management, "timeoutt",
		"t.conf:2: management.timeoutt: unknown setting (known: account_id, cluster_id, token_file, token_env, "
		"url, timeout, connect_timeout, deadline, ca_file)");
	keys_are("tokens", known_profile, "lifetme",
		"t.conf:5: tokens[0] (a).lifetme: unknown setting (known: name, description, write, read, lifetime, "
		"renew_before, grace, activation, activation_timeout, probe_database, env_variable, sinks, on_rotate, "
		"hook_timeout, hosts_file)");
	keys_are("sinks", known_sink, "pathh",
		"t.conf:6: tokens[0] (a).sinks[0].pathh: unknown setting (known: type, path, mode, group, template, "
		"address, mount, auth, role_id, secret_id_file, token_file, ca_file, namespace, secret, key, server)");
	CU_ASSERT_PTR_NULL(ith_config_key_at("nope", 0));
}

/* A valid value for each setting that has no default; NULL: the base of config_with() sets it. */
static const struct { const char *block, *key, *value; } samples[] = {
	{ "", "management", NULL }, { "", "cluster_url", "\"https://c.example.com/\"" }, { "", "state_dir", NULL },
	{ "", "status_dir", "\"/st\"" }, { "", "tokens", NULL }, { "", "prometheus_textfile", "\"/pm/ith.prom\"" },
	{ "management", "account_id", NULL }, { "management", "cluster_id", NULL },
	{ "management", "token_file", "\"/etc/ith/mgmt\"" }, { "management", "token_env", "\"MGMT\"" },
	{ "management", "ca_file", "\"/etc/passwd\"" },  /* it must exist, owned by root */
	{ "tokens", "name", NULL }, { "tokens", "write", NULL }, { "tokens", "read", "[ \"r\", \"*\" ]" },
	{ "tokens", "probe_database", "\"d\"" }, { "tokens", "sinks", NULL }, { "tokens", "on_rotate", "[ \"/bin/true\" ]" },
	{ "tokens", "hosts_file", "\"/etc/ith/a.hosts\"" },
	{ "sinks", "type", NULL }, { "sinks", "path", NULL }, { "sinks", "group", "\"root\"" },
	{ "sinks", "template", "\"/x/t.tmpl\"" },  /* known, but only for type "template" */
	/* known, but only for the remote sinks (test_config_remote_sinks) */
	{ "sinks", "address", "\"https://v\"" }, { "sinks", "mount", "\"kv\"" }, { "sinks", "auth", "\"token\"" },
	{ "sinks", "role_id", "\"r\"" }, { "sinks", "secret_id_file", "\"/s\"" }, { "sinks", "token_file", "\"/t\"" },
	{ "sinks", "ca_file", "\"/etc/passwd\"" }, { "sinks", "namespace", "\"n\"" }, { "sinks", "secret", "\"s\"" },
	{ "sinks", "key", "\"k\"" }, { "sinks", "server", "\"https://k\"" },
};

/* Every key of every table is accepted: with a sample value, or its default written out. */
static void test_table_keys_accepted(void)
{
	static const char *const blocks[] = { "", "management", "tokens", "sinks" };
	const struct ith_config_key *k;
	struct ith_config c;

	for (size_t b = 0; b < 4; b++)
		for (size_t i = 0; (k = ith_config_key_at(blocks[b], i)); i++) {
			char setting[256], *text;
			const char *value = NULL;
			bool found = k->def != NULL;
			for (size_t j = 0; j < sizeof(samples) / sizeof(samples[0]); j++)
				if (!strcmp(samples[j].block, blocks[b]) && !strcmp(samples[j].key, k->key)) {
					value = samples[j].value;
					found = true;
				}
			if (!found)
				fprintf(stderr, "\n  no sample value for '%s' in block '%s'\n", k->key, blocks[b]);
			CU_ASSERT_TRUE(found);
			snprintf(setting, sizeof(setting), "%s = %s%s%s;", k->key, value ? "" : "\"",
				value ? value : k->def ? k->def : "", value ? "" : "\"");
			text = config_with(blocks[b], value || k->def ? setting : "");
			int r = ith_config_load_string(&c, "t.conf", text, &E);
			if (!strcmp(k->key, "template")) {
				CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "only a sink of type \"template\" takes a template"));
			} else if (!strcmp(blocks[b], "sinks") && i >= 5) {  /* a remote sink's: refused on a file sink */
				CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "a sink of type \"file\" does not take this setting"));
			} else if (!strcmp(k->key, "hosts_file")) {  /* known, but the sample's sink names no {{host}} */
				CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "its sink's path must contain {{host}}"));
			} else {
				if (r != 0)
					fprintf(stderr, "\n  %s: %s\n", setting, ith_err_msg(&E));
				CU_ASSERT_EQUAL(r, 0);
			}
			if (r == 0)
				ith_config_release(&c);
			free(text);
		}
}

/* A file of the source tree, whole (NULL: unreadable). */
static char *source_file(const char *rel)
{
	char path[1024];
	FILE *f;
	char *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s", ITH_SOURCE_DIR, rel);
	if (!(f = fopen(path, "r")))
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The man page's section sec names key in one of its .TP headings (".B a\\fR, \\fBb" names a and b). */
static bool man_heading_has(const char *man, const char *sec, const char *key)
{
	const char *p = strstr(man, sec), *end;

	if (!p)
		return false;
	end = strstr(p + strlen(sec), "\n.SH ");
	for (p = strstr(p, ".TP\n.B "); p && (!end || p < end); p = strstr(p + 1, ".TP\n.B ")) {
		char line[256], *w, *save = NULL;
		size_t n = strcspn(p + 7, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p + 7);
		for (char *q; (q = strstr(line, "\\fR")) || (q = strstr(line, "\\fB"));)
			memmove(q, q + 3, strlen(q + 3) + 1);
		for (w = strtok_r(line, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
			if (!strcmp(w, key))
				return true;
	}
	return false;
}

/*
 * The documentation against the tables: every setting of every block has a heading of its own in its section of
 * helper.conf(5), and the central rotation settings (hosts_file, the remote sinks' rows) a row in the README's
 * "Central rotation settings" tables. A setting added to config.c without them fails here.
 */
static void test_table_documented(void)
{
	static const struct { const char *block, *section; } secs[] = { { "", ".SH TOP LEVEL" },
		{ "management", ".SH MANAGEMENT" }, { "tokens", ".SH TOKEN PROFILES" }, { "sinks", ".SH SINKS" } };
	char *man = source_file("packaging/man/helper.conf.5"), *readme = source_file("README.md");
	const char *central = readme ? strstr(readme, "### Central rotation settings") : NULL;
	const char *central_end = central ? strstr(central + 4, "\n### ") : NULL;
	const struct ith_config_key *k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	CU_ASSERT_PTR_NOT_NULL_FATAL(central);
	for (size_t b = 0; b < sizeof(secs) / sizeof(secs[0]); b++)
		for (size_t i = 0; (k = ith_config_key_at(secs[b].block, i)); i++) {
			/* management and tokens: blocks, each with a section of its own */
			bool in_man = (!strcmp(k->key, "management") && strstr(man, "\n.SH MANAGEMENT\n")) ||
				(!strcmp(k->key, "tokens") && strstr(man, "\n.SH TOKEN PROFILES\n.B tokens\n")) ||
				man_heading_has(man, secs[b].section, k->key);
			if (!in_man)
				fprintf(stderr, "\n  helper.conf(5) %s has no heading for '%s'\n", secs[b].section, k->key);
			CU_ASSERT_TRUE(in_man);
			/* the remote sinks' settings follow the local ones in the table (test_table_keys_accepted) */
			if (!(!strcmp(secs[b].block, "sinks") && i >= 5) && strcmp(k->key, "hosts_file"))
				continue;
			char row[80];
			snprintf(row, sizeof(row), "\n| `%s` |", k->key);
			const char *at = strstr(central, row);
			if (!at || (central_end && at > central_end))
				fprintf(stderr, "\n  README's Central rotation settings have no row for '%s'\n", k->key);
			CU_ASSERT_TRUE(at && (!central_end || at < central_end));
		}
	free(man);
	free(readme);
}

/* Every value a setting's default can reach, as one line. */
static void dump(const struct ith_config *c, char *buf, size_t len)
{
	const struct ith_profile *p = &c->profiles[0];
	const struct ith_sink *s = &p->sinks[0];

	snprintf(buf, len, "url=%s timeout=%lld connect=%lld deadline=%lld cluster_url=%s state_dir=%s | "
		"desc=%s life=%lld renew=%lld grace=%lld act=%d act_timeout=%lld probe=%s env=%s hook=%lld | "
		"mode=%o gid=%ld group=%s", c->url, (long long)c->timeout, (long long)c->connect_timeout,
		(long long)c->deadline, c->cluster_url, c->state_dir, p->description, (long long)p->lifetime,
		(long long)p->renew_before, (long long)p->grace, (int)p->activation, (long long)p->activation_timeout,
		p->probe_database ? p->probe_database : "-", p->env_variable, (long long)p->hook_timeout,
		(unsigned)s->mode, s->gid == (gid_t)-1 ? -1L : (long)s->gid, s->group ? s->group : "-");
}

/* The defaults as they were before the tables (and as --help, the man page and the README give them). */
static const struct { const char *block, *key, *def; } defaults[] = {
	{ "management", "url", ITH_DEFAULT_URL }, { "management", "timeout", "30s" },
	{ "management", "connect_timeout", "10s" }, { "management", "deadline", "60s" },
	{ "tokens", "description", "influx-token-helper" }, { "tokens", "lifetime", "24h" },
	{ "tokens", "renew_before", "6h" }, { "tokens", "grace", "15m" }, { "tokens", "activation", "none" },
	{ "tokens", "activation_timeout", "5m" }, { "tokens", "env_variable", "INFLUX_TOKEN" },
	{ "tokens", "hook_timeout", "30s" }, { "sinks", "mode", "0600" },
};

static void test_table_defaults(void)
{
	static const char *const blocks[] = { "", "management", "tokens", "sinks" };
	const size_t ndef = sizeof(defaults) / sizeof(defaults[0]);
	const struct ith_config_key *k;
	struct ith_config c;
	char *text = config_with("", ""), base[1024], got[1024];
	size_t seen = 0;

	CU_ASSERT_EQUAL_FATAL(ith_config_load_string(&c, "t.conf", text, &E), 0);
	free(text);
	dump(&c, base, sizeof(base));
	ith_config_release(&c);
	/* applied: today's values when nothing is set */
	CU_ASSERT_STRING_EQUAL(base, "url=" ITH_DEFAULT_URL " timeout=30 connect=10 deadline=60 "
		"cluster_url=https://22222222-1111-4111-8111-111111111111.a.influxdb.io state_dir=/s | "
		"desc=influx-token-helper life=86400 renew=21600 grace=900 act=0 act_timeout=300 probe=- env=INFLUX_TOKEN "
		"hook=30 | mode=600 gid=-1 group=-");
	for (size_t b = 0; b < 4; b++)
		for (size_t i = 0; (k = ith_config_key_at(blocks[b], i)); i++) {
			char setting[256];
			if (!k->def)
				continue;
			/* each row's default is today's ... */
			bool pinned = false;
			for (size_t j = 0; j < ndef; j++)
				if (!strcmp(defaults[j].block, blocks[b]) && !strcmp(defaults[j].key, k->key))
					pinned = !strcmp(defaults[j].def, k->def);
			if (!pinned)
				fprintf(stderr, "\n  default of '%s' is '%s', not the pinned one\n", k->key, k->def);
			CU_ASSERT_TRUE(pinned);
			seen++;
			/* ... and is what an absent setting gets: writing it out changes nothing */
			snprintf(setting, sizeof(setting), "%s = \"%s\";", k->key, k->def);
			text = config_with(blocks[b], setting);
			CU_ASSERT_EQUAL_FATAL(ith_config_load_string(&c, "t.conf", text, &E), 0);
			dump(&c, got, sizeof(got));
			if (strcmp(got, base))
				fprintf(stderr, "\n  %s\n  absent: %s\n  given:  %s\n", setting, base, got);
			CU_ASSERT_STRING_EQUAL(got, base);
			ith_config_release(&c);
			free(text);
		}
	CU_ASSERT_EQUAL(seen, ndef);
}

/* The remote sinks: their settings as read (defaults, the URL without its slash), labels, not local files. */
static void test_remote_sinks(void)
{
	static const char text[] =
		"management = { account_id = \"11111111-1111-4111-8111-111111111111\";\n"
		"  cluster_id = \"22222222-1111-4111-8111-111111111111\"; token_file = \"/m\"; };\n"
		"state_dir = \"/s\";\n"
		"tokens = ( { name = \"a\"; write = [ \"d\" ]; hosts_file = \"/etc/ith/hosts\";\n"
		"  sinks = ( { type = \"vault\"; address = \"https://vault.example.com:8200/\"; path = \"influxdb/{{host}}\";\n"
		"              auth = \"approle\"; role_id = \"r-1\"; secret_id_file = \"/etc/ith/sid\"; namespace = \"team-a\"; },\n"
		"            { type = \"kubernetes\"; namespace = \"telegraf\"; secret = \"influxdb-{{host}}\"; },\n"
		"            { type = \"vault\"; address = \"http://127.0.0.1:8200\"; mount = \"kv/prod\"; path = \"x/{{host}}\";\n"
		"              auth = \"token\"; token_file = \"/etc/ith/vt\"; } ); } );\n";
	struct ith_config c;
	char label[256];

	CU_ASSERT_EQUAL_FATAL(ith_config_load_string(&c, "t.conf", text, &E), 0);
	const struct ith_sink *v = &c.profiles[0].sinks[0], *k = &c.profiles[0].sinks[1], *t = &c.profiles[0].sinks[2];
	CU_ASSERT_EQUAL(v->type, ITH_SINK_VAULT);
	CU_ASSERT_STRING_EQUAL(v->address, "https://vault.example.com:8200");
	CU_ASSERT_STRING_EQUAL(v->mount, "secret");
	CU_ASSERT_STRING_EQUAL(v->path, "influxdb/{{host}}");
	CU_ASSERT_EQUAL(v->auth, ITH_AUTH_APPROLE);
	CU_ASSERT_STRING_EQUAL(v->namespace, "team-a");
	CU_ASSERT_TRUE(ith_sink_is_remote(v));
	CU_ASSERT_STRING_EQUAL(ith_sink_label(v, label, sizeof(label)), "vault https://vault.example.com:8200 secret/influxdb/{{host}}");
	CU_ASSERT_EQUAL(k->type, ITH_SINK_KUBERNETES);
	CU_ASSERT_STRING_EQUAL(k->key, "token");
	CU_ASSERT_PTR_NULL(k->server);
	CU_ASSERT_PTR_NULL(k->path);
	CU_ASSERT_STRING_EQUAL(ith_sink_label(k, label, sizeof(label)), "kubernetes secret telegraf/influxdb-{{host}}");
	CU_ASSERT_EQUAL(t->auth, ITH_AUTH_TOKEN);
	CU_ASSERT_STRING_EQUAL(t->mount, "kv/prod");
	ith_config_release(&c);
}

int register_config_tests(void)
{
	CU_pSuite s = CU_add_suite("config: validation", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_good);
	ADD(s, test_bad);
	ADD(s, test_collisions);
	ADD(s, test_sample_config);
	ADD(s, test_directory_config);
	ADD(s, test_table_known_keys);
	ADD(s, test_table_keys_accepted);
	ADD(s, test_table_defaults);
	ADD(s, test_table_documented);
	ADD(s, test_remote_sinks);
	return 0;
}
