/* remote.c: one request against a scripted server on 127.0.0.1 (a forked child answering each connection
 * with a canned answer): the status and body, the answer cap, no answer, the deadline, protocols; the
 * credentials kept for the run; server text with every registered secret redacted. */
#include "suites.h"
#include "remote.h"
#include "error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct fake {
	pid_t pid;
	int port;
};

/* Reads one request's head (up to the blank line) and its body (Content-Length); bounded. */
static void read_request(int c)
{
	char buf[65536];
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(buf) - 1 && (k = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)k;
		buf[n] = '\0';
		char *end = strstr(buf, "\r\n\r\n"), *cl = strstr(buf, "Content-Length: ");
		if (end && (!cl || n >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10)))
			return;
	}
}

/* A child answering `count` connections: each with answer (raw HTTP), or closed at once when answer is NULL;
 * big > 0: a 200 whose body is big bytes. */
static struct fake fake_start(const char *answer, size_t big, int count)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct fake f = { -1, 0 };

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CU_ASSERT_EQUAL_FATAL(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	CU_ASSERT_EQUAL_FATAL(listen(s, 8), 0);
	getsockname(s, (struct sockaddr *)&a, &len);
	f.port = ntohs(a.sin_port);
	f.pid = fork();
	CU_ASSERT_FATAL(f.pid >= 0);
	if (f.pid == 0) {
		alarm(20);  /* never outlives the test */
		for (int i = 0; i < count; i++) {
			int c = accept(s, NULL, NULL);
			if (c < 0)
				_exit(1);
			read_request(c);
			if (answer && write(c, answer, strlen(answer)) < 0)
				_exit(1);
			if (big) {
				char head[128], chunk[4096];
				memset(chunk, 'x', sizeof(chunk));
				snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", big);
				if (write(c, head, strlen(head)) < 0)
					_exit(1);
				for (size_t sent = 0; sent < big; sent += sizeof(chunk))
					if (write(c, chunk, sizeof(chunk)) < 0)
						break;
			}
			close(c);
		}
		_exit(0);
	}
	close(s);
	return f;
}

static void fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
}

static struct ith_remote *open_remote(int64_t deadline)
{
	struct ith_remote *rm = NULL;

	CU_ASSERT_EQUAL_FATAL(ith_remote_open(&rm, 2, 5, deadline, &E), 0);
	return rm;
}

static void url_of(const struct fake *f, const char *path, char *out, size_t len)
{
	snprintf(out, len, "http://127.0.0.1:%d%s", f->port, path);
}

static void test_answer(void)
{
	struct fake f = fake_start("HTTP/1.1 409 Conflict\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"a\":\"b\"}\r\n",
		0, 2);
	struct ith_remote *rm = open_remote(30);
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	const char *hdr[] = { "X-Vault-Token: hunter2hunter2", NULL };
	char url[128];

	url_of(&f, "/v1/x", url, sizeof(url));
	CU_ASSERT_EQUAL(ith_remote_request(rm, "GET", url, NULL, hdr, NULL, NULL, &a, &E), 0);
	CU_ASSERT_EQUAL(a.status, 409);
	CU_ASSERT_PTR_NOT_NULL(a.body.buf && strstr(a.body.buf, "\"a\":\"b\""));
	CU_ASSERT_TRUE(a.body.secret);
	CU_ASSERT_EQUAL(ith_remote_request(rm, "PUT", url, NULL, hdr, "{}", NULL, &a, &E), 0);
	CU_ASSERT_EQUAL(a.status, 409);
	CU_ASSERT_EQUAL(ith_remote_requests(rm), 2);
	ith_remote_answer_release(&a);
	ith_remote_close(rm);
	fake_stop(&f);
}

/* Hostile answers: over the cap, no answer at all, garbage instead of HTTP. */
static void test_hostile(void)
{
	struct fake f = fake_start(NULL, 2 * ITH_REMOTE_MAX_BYTES, 1);
	struct ith_remote *rm = open_remote(30);
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	char url[128];

	url_of(&f, "/big", url, sizeof(url));
	CU_ASSERT_EQUAL(ith_remote_request(rm, "GET", url, NULL, NULL, NULL, NULL, &a, &E), ITH_ERR_API_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "larger than"));
	fake_stop(&f);
	f = fake_start(NULL, 0, 1);
	url_of(&f, "/closed", url, sizeof(url));
	CU_ASSERT_EQUAL(ith_remote_request(rm, "POST", url, NULL, NULL, "{}", NULL, &a, &E), ITH_ERR_API_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "POST http://127.0.0.1:"));
	fake_stop(&f);
	f = fake_start("\x01\x02garbage\r\n\r\n", 0, 1);
	url_of(&f, "/garbage", url, sizeof(url));
	CU_ASSERT_EQUAL(ith_remote_request(rm, "GET", url, NULL, NULL, NULL, NULL, &a, &E), ITH_ERR_API_UNAVAILABLE);
	fake_stop(&f);
	/* only http and https */
	CU_ASSERT_EQUAL(ith_remote_request(rm, "GET", "file:///etc/passwd", NULL, NULL, NULL, NULL, &a, &E),
		ITH_ERR_API_UNAVAILABLE);
	CU_ASSERT_PTR_NULL(a.body.buf && strstr(a.body.buf, "root:"));
	ith_remote_answer_release(&a);
	ith_remote_close(rm);
}

static void test_deadline(void)
{
	struct ith_remote *rm = open_remote(0);
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;

	CU_ASSERT_EQUAL(ith_remote_request(rm, "GET", "http://127.0.0.1:9/", NULL, NULL, NULL, NULL, &a, &E),
		ITH_ERR_API_UNAVAILABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ith_err_msg(&E), "deadline"));
	CU_ASSERT_EQUAL(ith_remote_requests(rm), 0);
	ith_remote_close(rm);
}

static void test_creds_and_redaction(void)
{
	struct ith_remote *rm = open_remote(30);
	struct ith_secret s = { (char *)"s.VaultClientToken42", 20 }, s2 = { (char *)"another-one-123456", 18 };
	char out[256];

	CU_ASSERT_PTR_NULL(ith_remote_cred_get(rm, "k"));
	ith_remote_cred_set(rm, "k", &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ith_remote_cred_get(rm, "k"));
	CU_ASSERT_EQUAL(memcmp(ith_remote_cred_get(rm, "k")->s, s.s, s.len), 0);
	ith_remote_cred_set(rm, "k", &s2);
	CU_ASSERT_EQUAL(ith_remote_cred_get(rm, "k")->len, s2.len);
	ith_remote_cred_set(rm, "k", NULL);
	CU_ASSERT_PTR_NULL(ith_remote_cred_get(rm, "k"));
	/* a credential once kept is redacted from server text: whole, in part, split by invisible characters */
	ith_remote_text(rm, "bad token s.VaultClientToken42 here", out, sizeof(out));
	CU_ASSERT_PTR_NULL(strstr(out, "VaultClient"));
	ith_remote_text(rm, "prefix VaultClientTok", out, sizeof(out));
	CU_ASSERT_PTR_NULL(strstr(out, "VaultClientTok"));
	ith_remote_text(rm, "s.Vault\xe2\x80\x8b" "ClientToken42", out, sizeof(out));
	CU_ASSERT_PTR_NULL(strstr(out, "ClientToken42"));
	ith_remote_text(rm, "a database token apiv1_abcdefghijklmnop", out, sizeof(out));
	CU_ASSERT_PTR_NULL(strstr(out, "abcdefghijklmnop"));
	ith_remote_text(rm, "line\nbreak\x1b[31m", out, sizeof(out));
	CU_ASSERT_PTR_NULL(strchr(out, '\n'));
	CU_ASSERT_PTR_NULL(strchr(out, '\x1b'));
	ith_remote_close(rm);
}

int register_remote_tests(void)
{
	CU_pSuite s = CU_add_suite("remote: the remote sinks' HTTPS client", NULL, NULL);

	if (!s)
		return -1;
	ADD(s, test_answer);
	ADD(s, test_hostile);
	ADD(s, test_deadline);
	ADD(s, test_creds_and_redaction);
	return 0;
}
