/* api.c against the emulator (tests/emulator.py, started here on 127.0.0.1 with a random port and
 * stopped at the end): create, list (ours only), get, update, revoke; retries of 5xx, 429 (Retry-After
 * honoured) and a closed connection, bounded by ITH_API_MAX_ATTEMPTS; no retry of a refusal; hostile
 * answers (not JSON, oversize, an error text quoting the management token or a control sequence).
 * python3 is always there (the build needs it): a missing one fails, never skips. */
#include "suites.h"
#include "api.h"
#include "credential.h"
#include "error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ITH_PYTHON3
#define ITH_PYTHON3 "python3"
#endif

#define ACCOUNT "3f6c1d2e-4b5a-4c7d-9e8f-0a1b2c3d4e5f"
#define CLUSTER "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define OTHER_INST "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
#define MGMT "mgmt_0123456789abcdef0123456789abcdef0123456789abcdef"

static struct {
	char *dir;
	pid_t pid;
	int port;
	struct ith_config cfg;
	struct ith_api *api;
	char id[ITH_UUID_LEN + 1];
} emu;

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CU_ASSERT_TRUE_FATAL(fd >= 0);
	CU_ASSERT_EQUAL((size_t)write(fd, text, strlen(text)), strlen(text));
	close(fd);
}

/* One HTTP/1.0 request to the emulator's control interface; the status, the body into resp. */
static int emu_request(const char *method, const char *path, const char *body, char *resp, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)emu.port) };
	char head[512], buf[65536];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(head, sizeof(head), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n", method, path, body ? strlen(body) : 0);
	if (write(fd, head, strlen(head)) < 0 || (body && write(fd, body, strlen(body)) < 0)) {
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	if (sscanf(buf, "HTTP/%*s %d", &status) != 1)
		return -1;
	if (resp) {
		const char *b = strstr(buf, "\r\n\r\n");
		snprintf(resp, cap, "%s", b ? b + 4 : "");
	}
	return status;
}

/* How many API requests the emulator recorded (since the last /_emu/clear). */
static int emu_requests(void)
{
	char resp[60000];
	int n = 0;

	if (emu_request("GET", "/_emu/requests", NULL, resp, sizeof(resp)) != 200)
		return -1;
	for (const char *p = resp; (p = strstr(p, "\"method\"")); p++)
		n++;
	return n;
}

static void faults(const char *json)
{
	CU_ASSERT_EQUAL_FATAL(emu_request("POST", "/_emu/faults", json, NULL, 0), 200);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Start the emulator, load a configuration that points at it, open the API handle. */
static void test_emulator_start(void)
{
	char path[512], port_file[512], log[512], conf[2048], emulator[512];
	struct ith_secret mgmt = ITH_SECRET_INIT;
	double deadline;
	FILE *f;

	emu.dir = test_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(emu.dir);
	snprintf(path, sizeof(path), "%s/mgmt-token", emu.dir);
	write_file(path, MGMT "\n");
	snprintf(port_file, sizeof(port_file), "%s/emu.port", emu.dir);
	snprintf(log, sizeof(log), "%s/emu.log", emu.dir);
	snprintf(emulator, sizeof(emulator), "%s/tests/emulator.py", ITH_SOURCE_DIR);
	emu.pid = fork();
	CU_ASSERT_TRUE_FATAL(emu.pid >= 0);
	if (emu.pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600), null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(ITH_PYTHON3, ITH_PYTHON3, emulator, "--account", ACCOUNT, "--cluster", CLUSTER,
			"--mgmt-token-file", path, "--port-file", port_file, (char *)NULL);
		_exit(127);
	}
	for (deadline = now_s() + 15; now_s() < deadline; usleep(20000)) {
		if ((f = fopen(port_file, "r"))) {
			if (fscanf(f, "%d", &emu.port) != 1)
				emu.port = 0;
			fclose(f);
			break;
		}
		if (waitpid(emu.pid, NULL, WNOHANG) == emu.pid) {
			emu.pid = 0;
			break;
		}
	}
	if (emu.port <= 0)
		fprintf(stderr, "\nthe emulator (%s %s) did not start: see %s\n", ITH_PYTHON3, emulator, log);
	CU_ASSERT_TRUE_FATAL(emu.port > 0);
	snprintf(conf, sizeof(conf),
		"management = { account_id = \"" ACCOUNT "\"; cluster_id = \"" CLUSTER "\"; token_file = \"%s\";\n"
		"  url = \"http://127.0.0.1:%d/api/v0\"; timeout = \"10s\"; deadline = \"60s\"; };\n"
		"state_dir = \"%s/state\";\n"
		"tokens = ( { name = \"telegraf\"; write = [ \"sensors\" ]; } );\n", path, emu.port, emu.dir);
	snprintf(path, sizeof(path), "%s/helper.conf", emu.dir);
	CU_ASSERT_EQUAL_FATAL(ith_config_load_string(&emu.cfg, path, conf, &E), 0);
	CU_ASSERT_EQUAL_FATAL(ith_mgmt_token_load(&emu.cfg, &mgmt, &E), 0);
	CU_ASSERT_EQUAL_FATAL(ith_api_open(&emu.api, &emu.cfg, &mgmt, &E), 0);
	ith_secret_release(&mgmt);
}

static int create(const char *instance, struct ith_token *out)
{
	struct ith_perms perms = { NULL, 0 };
	struct ith_strbuf desc = ITH_STRBUF_INIT;
	int r;

	ith_perms_add(&perms, "write", "sensors");
	ith_strbuf_addstr(&desc, "Telegraf writer ");
	ith_marker_format(instance, "telegraf", &desc);
	r = ith_api_create(emu.api, desc.buf, &perms, (int64_t)time(NULL) + 3600, out, &E);
	ith_strbuf_release(&desc);
	ith_perms_release(&perms);
	return r;
}

/* create, list (ours only), get, update and revoke */
static void test_lifecycle(void)
{
	struct ith_token t = ITH_TOKEN_INIT, other = ITH_TOKEN_INIT, got = ITH_TOKEN_INIT;
	struct ith_token_list l = { NULL, 0 };
	unsigned before;

	CU_ASSERT_PTR_NOT_NULL_FATAL(emu.api);
	before = ith_api_requests(emu.api);
	CU_ASSERT_EQUAL_FATAL(create(INST, &t), 0);
	CU_ASSERT_EQUAL(strlen(t.id), ITH_UUID_LEN);
	CU_ASSERT_TRUE(t.access_token.len > 0);
	CU_ASSERT_EQUAL(t.perms.n, 1);
	CU_ASSERT_TRUE(t.expires_at > (int64_t)time(NULL));
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), 1);
	CU_ASSERT_EQUAL(ith_api_requests(emu.api), before + 1);
	snprintf(emu.id, sizeof(emu.id), "%s", t.id);
	CU_ASSERT_EQUAL_FATAL(create(OTHER_INST, &other), 0);

	/* the list keeps this instance's tokens only */
	CU_ASSERT_EQUAL_FATAL(ith_api_list(emu.api, INST, NULL, NULL, &l, NULL, &E), 0);
	CU_ASSERT_EQUAL_FATAL(l.n, 1);
	CU_ASSERT_STRING_EQUAL(l.v[0].id, t.id);
	CU_ASSERT_EQUAL(l.v[0].access_token.len, 0);  /* a secret only in the create answer */
	ith_token_list_release(&l);

	CU_ASSERT_EQUAL(ith_api_get(emu.api, t.id, &got, &E), 0);
	CU_ASSERT_STRING_EQUAL(got.id, t.id);
	CU_ASSERT_EQUAL(got.revoked_at, 0);
	CU_ASSERT_EQUAL(got.access_token.len, 0);
	ith_token_release(&got);

	CU_ASSERT_EQUAL(ith_api_update(emu.api, other.id, "renamed", NULL, &got, &E), 0);
	CU_ASSERT_STRING_EQUAL(got.description, "renamed");
	ith_token_release(&got);

	/* revoke: the server shows it revoked; a token it no longer has is 404 */
	CU_ASSERT_EQUAL(ith_api_delete(emu.api, other.id, &E), 0);
	CU_ASSERT_EQUAL(ith_api_get(emu.api, other.id, &got, &E), 0);
	CU_ASSERT_NOT_EQUAL(got.revoked_at, 0);
	ith_token_release(&got);
	CU_ASSERT_EQUAL(ith_api_get(emu.api, "00000000-0000-4000-8000-000000000000", &got, &E), ITH_ERR_API_NOT_FOUND);
	ith_strbuf_release(&E);
	ith_token_release(&got);
	ith_token_release(&t);
	ith_token_release(&other);
}

/* 5xx, 429 with Retry-After and a closed connection are retried; ITH_API_MAX_ATTEMPTS at most. */
static void test_retries(void)
{
	struct ith_token got = ITH_TOKEN_INIT;
	double t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(emu.api);
	faults("[{\"method\": \"GET\", \"count\": 2, \"status\": 503}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), 0);
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), 3);
	ith_token_release(&got);

	faults("[{\"method\": \"GET\", \"count\": 1, \"status\": 429, \"retry_after\": 1}]");
	t0 = now_s();
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), 0);
	CU_ASSERT_TRUE(now_s() - t0 >= 0.9);  /* Retry-After honoured */
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), 2);
	ith_token_release(&got);

	/* a connection closed with no answer: asked again (by libcurl itself when the connection was a reused
	 * one, which the attempts do not count), so the server saw two requests */
	faults("[{\"method\": \"GET\", \"count\": 1, \"close\": true}]");
	CU_ASSERT_EQUAL(emu_request("POST", "/_emu/clear", "{}", NULL, 0), 200);
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), 0);
	CU_ASSERT_TRUE(ith_api_last_attempts(emu.api) <= 2);
	CU_ASSERT_EQUAL(emu_requests(), 2);
	ith_token_release(&got);

	/* a create goes on a fresh connection: libcurl never repeats it unseen; the second attempt is ours */
	faults("[{\"method\": \"POST\", \"count\": 1, \"close\": true}]");
	CU_ASSERT_EQUAL(emu_request("POST", "/_emu/clear", "{}", NULL, 0), 200);
	CU_ASSERT_EQUAL(create(INST, &got), 0);
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), 2);
	CU_ASSERT_EQUAL(emu_requests(), 2);
	ith_token_release(&got);

	faults("[{\"method\": \"GET\", \"count\": 20, \"status\": 500}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_API_UNAVAILABLE);
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), ITH_API_MAX_ATTEMPTS);
	ith_strbuf_release(&E);
	ith_token_release(&got);

	faults("[{\"method\": \"GET\", \"count\": 20, \"status\": 429, \"retry_after\": 0}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_RATE_LIMITED);
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), ITH_API_MAX_ATTEMPTS);
	ith_strbuf_release(&E);
	ith_token_release(&got);
	faults("[]");
}

/* A refusal is not retried: the server made no change. */
static void test_refusals(void)
{
	struct ith_token got = ITH_TOKEN_INIT;

	CU_ASSERT_PTR_NOT_NULL_FATAL(emu.api);
	faults("[{\"method\": \"GET\", \"count\": 5, \"status\": 401}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_CREDENTIAL);
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), 1);
	CU_ASSERT_TRUE(ith_api_last_refused(emu.api));
	ith_strbuf_release(&E);
	faults("[{\"method\": \"DELETE\", \"count\": 5, \"status\": 400}]");
	CU_ASSERT_EQUAL(ith_api_delete(emu.api, emu.id, &E), ITH_ERR_API_REFUSED);
	CU_ASSERT_EQUAL(ith_api_last_attempts(emu.api), 1);
	ith_strbuf_release(&E);
	ith_token_release(&got);
	faults("[]");
}

/* A request the command's deadline stopped before it was sent: no attempt, so no change the server could have
 * made (a create's intent needs no sweep). */
static void test_deadline_not_sent(void)
{
	struct ith_config c = emu.cfg;   /* shallow: only deadline differs; not released */
	struct ith_secret mgmt = { NULL, 0 };
	struct ith_perms perms = { NULL, 0 };
	struct ith_token t = ITH_TOKEN_INIT;
	struct ith_api *api = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(emu.api);
	c.deadline = 1;
	CU_ASSERT_EQUAL_FATAL(ith_mgmt_token_load(&emu.cfg, &mgmt, &E), 0);
	CU_ASSERT_EQUAL_FATAL(ith_api_open(&api, &c, &mgmt, &E), 0);
	ith_secret_release(&mgmt);
	usleep(1100 * 1000);
	ith_perms_add(&perms, "write", "sensors");
	CU_ASSERT_EQUAL(ith_api_create(api, "late [influx-token-helper:" INST ":telegraf]", &perms,
		(int64_t)time(NULL) + 3600, &t, &E), ITH_ERR_API_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "deadline"));
	CU_ASSERT_EQUAL(ith_api_requests(api), 0);
	CU_ASSERT_EQUAL(ith_api_last_attempts(api), 0);
	CU_ASSERT_TRUE(ith_api_last_refused(api));
	ith_strbuf_release(&E);
	ith_perms_release(&perms);
	ith_token_release(&t);
	ith_api_close(api);
}

/* Hostile answers: never a crash, a malformed answer named; server text keeps no secret and no control
 * character. */
static void test_hostile_answers(void)
{
	struct ith_token got = ITH_TOKEN_INIT;
	const char *msg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(emu.api);
	faults("[{\"method\": \"GET\", \"count\": 1, \"body\": \"{not json\"}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_API_MALFORMED);
	ith_strbuf_release(&E);
	ith_token_release(&got);

	faults("[{\"method\": \"GET\", \"count\": 1, \"body\": \"{\\\"id\\\": 42, \\\"permissions\\\": \\\"all\\\"}\"}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_API_MALFORMED);
	ith_strbuf_release(&E);
	ith_token_release(&got);

	faults("[{\"method\": \"GET\", \"count\": 1, \"big\": 5000000}]");  /* over ITH_JSON_MAX_BYTES */
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_API_MALFORMED);
	ith_strbuf_release(&E);
	ith_token_release(&got);

	/* an error text that quotes the management token and carries an escape sequence */
	faults("[{\"method\": \"GET\", \"count\": 1, \"status\": 400, "
		"\"body\": \"{\\\"code\\\": 400, \\\"message\\\": \\\"bad bearer " MGMT " \\\\u001b[31mred\\\"}\"}]");
	CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), ITH_ERR_API_REFUSED);
	msg = ith_err_msg(&E);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad bearer"));
	CU_ASSERT_PTR_NULL(strstr(msg, "0123456789abcdef0123"));
	CU_ASSERT_PTR_NULL(strchr(msg, '\x1b'));
	ith_strbuf_release(&E);
	ith_token_release(&got);
	faults("[]");
}

static void test_emulator_stop(void)
{
	struct ith_token got = ITH_TOKEN_INIT;

	if (emu.api) {
		CU_ASSERT_EQUAL(ith_api_get(emu.api, emu.id, &got, &E), 0);  /* faults cleared: all well again */
		ith_token_release(&got);
		ith_api_close(emu.api);
		emu.api = NULL;
	}
	ith_config_release(&emu.cfg);
	if (emu.pid > 0) {
		kill(emu.pid, SIGTERM);
		CU_ASSERT_EQUAL(waitpid(emu.pid, NULL, 0), emu.pid);
		emu.pid = 0;
	}
	test_rm_rf(emu.dir);
	free(emu.dir);
	emu.dir = NULL;
}

int register_api_tests(void)
{
	CU_pSuite s = CU_add_suite("api: the Management API client against tests/emulator.py", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_emulator_start);
	ADD(s, test_lifecycle);
	ADD(s, test_retries);
	ADD(s, test_refusals);
	ADD(s, test_deadline_not_sent);
	ADD(s, test_hostile_answers);
	ADD(s, test_emulator_stop);
	return 0;
}
