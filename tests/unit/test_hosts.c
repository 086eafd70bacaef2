/* hosts.c: a hosts_file parsed (file:line errors), a profile expanded into NAME@HOST profiles, {{host}}
 * substituted in a sink's fields, removed hosts found by their state, and what a name selects. */
#include "suites.h"
#include "config.h"
#include "error.h"
#include "hosts.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_error(const char *text, const char *want)
{
	struct ith_strlist l;

	CU_ASSERT_EQUAL(ith_hosts_parse("h.hosts", text, strlen(text), &l, &E), ITH_ERR_CONFIG);
	CU_ASSERT_PTR_NULL(l.v);
	if (!strstr(ith_err_msg(&E), want))
		fprintf(stderr, "\n  got: %s\n  want: %s\n", ith_err_msg(&E), want);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), want));
}

static void test_parse(void)
{
	const char *text = "# fleet\n\n  web-2  \nweb-1 # the first\r\n\tdb.example.com\n";
	struct ith_strlist l;

	CU_ASSERT_EQUAL_FATAL(ith_hosts_parse("h.hosts", text, strlen(text), &l, &E), 0);
	CU_ASSERT_EQUAL_FATAL(l.n, 3);
	CU_ASSERT_STRING_EQUAL(l.v[0], "db.example.com");  /* sorted, kept as written */
	CU_ASSERT_STRING_EQUAL(l.v[1], "web-1");
	CU_ASSERT_STRING_EQUAL(l.v[2], "web-2");
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	parse_error("web-1\nweb_2\n", "h.hosts:2: 'web_2' is not a host name");
	parse_error("a\nb c\n", "h.hosts:2: 'b c' is not a host name");
	parse_error("a\nb\nc\nb\na\n", "h.hosts:4: host 'b' is listed twice (first at line 2)");
	parse_error("Web\nweb\nweb\n", "h.hosts:3: host 'web' is listed twice (first at line 2)");
	parse_error("# nothing\n\n   \n", "h.hosts: lists no host; to retire every host, remove the profile");
	parse_error("", "lists no host");
	CU_ASSERT_EQUAL(ith_hosts_parse("h.hosts", "a\n\0b\n", 5, &l, &E), ITH_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "h.hosts: contains a NUL byte"));
}

static void test_substitute(void)
{
	struct ith_sink src = { .type = ITH_SINK_FILE, .path = "/run/t/{{host}}/{{host}}.token", .mode = 0640 }, dst;

	ith_sink_substitute_host(&dst, &src, "web-1");
	CU_ASSERT_STRING_EQUAL(dst.path, "/run/t/web-1/web-1.token");
	CU_ASSERT_EQUAL(dst.mode, 0640);
	CU_ASSERT_PTR_NOT_EQUAL(dst.path, src.path);
	free(dst.path);
	src.path = "/run/t/fixed";
	ith_sink_substitute_host(&dst, &src, "web-1");
	CU_ASSERT_STRING_EQUAL(dst.path, "/run/t/fixed");
	free(dst.path);
}

static void test_expand_profile(void)
{
	struct ith_sink sk = { .type = ITH_SINK_ENV, .path = "/run/t/{{host}}.env" };
	struct ith_profile base = { .name = "telegraf", .description = "fleet", .sinks = &sk, .nsinks = 1,
		.lifetime = 3600, .hosts_file = "/etc/h" }, p;

	ith_profile_expand(&base, "web-1.example.com", false, &p);
	CU_ASSERT_STRING_EQUAL(p.name, "telegraf@web-1.example.com");
	CU_ASSERT_STRING_EQUAL(p.host, "web-1.example.com");
	CU_ASSERT_STRING_EQUAL(p.description, "fleet (host web-1.example.com)");
	CU_ASSERT_STRING_EQUAL(p.sinks[0].path, "/run/t/web-1.example.com.env");
	CU_ASSERT_EQUAL(p.sinks[0].type, ITH_SINK_ENV);
	CU_ASSERT_EQUAL(p.lifetime, 3600);
	CU_ASSERT_TRUE(p.hosts_copy);
	CU_ASSERT_FALSE(p.host_removed);
	free(p.name);
	free(p.description);
	free(p.sinks[0].path);
	free(p.sinks);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL((size_t)write(fd, text, strlen(text)), strlen(text));
	close(fd);
	chmod(path, mode);
}

static int load(struct ith_config *c, const char *dir, const char *sinkdir)
{
	char text[2048];

	snprintf(text, sizeof(text), "management = { account_id = \"11111111-1111-4111-8111-111111111111\";\n"
		"  cluster_id = \"22222222-1111-4111-8111-111111111111\"; };\nstate_dir = \"%s/state\";\n"
		"tokens = ( { name = \"solo\"; write = [ \"d\" ]; },\n"
		"  { name = \"t\"; write = [ \"d\" ]; hosts_file = \"%s/t.hosts\";\n"
		"    sinks = ( { type = \"file\"; path = \"%s/%s/{{host}}\"; } ); } );\n", dir, dir, dir, sinkdir);
	return ith_config_load_string(c, "t.conf", text, &E);
}

static void test_expand_config(void)
{
	char *dir = test_tmpdir(), path[512];
	struct ith_config c = ITH_CONFIG_INIT;
	const struct ith_profile **v;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	snprintf(path, sizeof(path), "%s/state", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/state/t@gone.state", dir);  /* a host no longer listed */
	write_file(path, "{}", 0600);
	snprintf(path, sizeof(path), "%s/state/t@b.state", dir);     /* listed: not removed */
	write_file(path, "{}", 0600);
	snprintf(path, sizeof(path), "%s/t.hosts", dir);
	write_file(path, "b\na\n", 0644);
	CU_ASSERT_EQUAL_FATAL(load(&c, dir, "out"), 0);
	ith_hosts_expand(&c);
	CU_ASSERT_EQUAL_FATAL(c.nprofiles, 4);
	CU_ASSERT_STRING_EQUAL(c.profiles[0].name, "solo");
	CU_ASSERT_STRING_EQUAL(c.profiles[1].name, "t@a");
	CU_ASSERT_STRING_EQUAL(c.profiles[2].name, "t@b");
	CU_ASSERT_STRING_EQUAL(c.profiles[3].name, "t@gone");
	CU_ASSERT_FALSE(c.profiles[2].host_removed);
	CU_ASSERT_TRUE(c.profiles[3].host_removed);
	snprintf(path, sizeof(path), "%s/out/a", dir);
	CU_ASSERT_STRING_EQUAL(c.profiles[1].sinks[0].path, path);
	CU_ASSERT_EQUAL(ith_hosts_select(&c, "t", &v, &n, &E), 0);
	CU_ASSERT_EQUAL(n, 3);
	free(v);
	CU_ASSERT_EQUAL(ith_hosts_select(&c, "t@b", &v, &n, &E), 0);
	CU_ASSERT_EQUAL(n, 1);
	free(v);
	CU_ASSERT_EQUAL(ith_hosts_select(&c, "t@zz", &v, &n, &E), ITH_ERR_USAGE);
	ith_config_release(&c);

	/* group-writable: unusable; the profile stays NAME and fails, nothing is marked removed; the host known
	 * from its state (t@gone) stays, as it is (hosts_unknown: never recorded as removed or listed again) */
	snprintf(path, sizeof(path), "%s/t.hosts", dir);
	chmod(path, 0664);
	CU_ASSERT_EQUAL_FATAL(load(&c, dir, "out"), 0);
	ith_hosts_expand(&c);
	CU_ASSERT_EQUAL_FATAL(c.nprofiles, 4);
	CU_ASSERT_STRING_EQUAL(c.profiles[1].name, "t");
	CU_ASSERT_EQUAL(c.profiles[1].hosts_cause, ITH_ERR_CONFIG);
	CU_ASSERT_EQUAL(c.profiles[1].nsinks, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.profiles[1].hosts_error, "t: hosts_file '"));
	CU_ASSERT_STRING_EQUAL(c.profiles[2].name, "t@b");   /* known from their states */
	CU_ASSERT_STRING_EQUAL(c.profiles[3].name, "t@gone");
	CU_ASSERT_TRUE(c.profiles[2].hosts_unknown && c.profiles[3].hosts_unknown);
	CU_ASSERT_FALSE(c.profiles[2].host_removed || c.profiles[3].host_removed);
	CU_ASSERT_EQUAL(ith_hosts_select(&c, "t@b", &v, &n, &E), 0);  /* a known host: itself */
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], &c.profiles[2]);
	free(v);
	CU_ASSERT_EQUAL(ith_hosts_select(&c, "t@zz", &v, &n, &E), 0);  /* an unknown one: the failing NAME */
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(v[0], &c.profiles[1]);
	free(v);
	ith_config_release(&c);

	/* a host that would put its sink among the helper's files (state_dir/instance): the profile fails */
	chmod(path, 0644);
	write_file(path, "web\ninstance\n", 0644);
	CU_ASSERT_EQUAL_FATAL(load(&c, dir, "state"), 0);
	ith_hosts_expand(&c);
	CU_ASSERT_EQUAL_FATAL(c.nprofiles, 2);
	CU_ASSERT_EQUAL(c.profiles[1].hosts_cause, ITH_ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.profiles[1].hosts_error, "host 'instance' puts sinks[0] at"));
	ith_config_release(&c);

	/* a host whose file sink is named like another's temporary file: the writer's clean-up would remove it */
	write_file(path, "web\nweb.tmp-0badcafe\n", 0644);
	CU_ASSERT_EQUAL_FATAL(load(&c, dir, "out"), 0);
	ith_hosts_expand(&c);
	CU_ASSERT_EQUAL(c.profiles[1].hosts_cause, ITH_ERR_CONFIG);
	CU_ASSERT_TRUE(c.profiles[1].hosts_error &&
		strstr(c.profiles[1].hosts_error, "named like a temporary file of the helper's") != NULL);
	ith_config_release(&c);
	test_rm_rf(dir);
	free(dir);
}

int register_hosts_tests(void)
{
	CU_pSuite s = CU_add_suite("hosts: hosts_file, NAME@HOST expansion, {{host}}", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_parse);
	ADD(s, test_substitute);
	ADD(s, test_expand_profile);
	ADD(s, test_expand_config);
	return 0;
}
