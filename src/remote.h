/*
 * remote.h - a small HTTPS client for the remote sinks (vault.c, k8s.c),
 * and the libcurl settings every handle of the program shares (api.c too).
 *
 * One handle (one keep-alive connection per host) per run: its deadline is
 * the command's (management.deadline, counted from ith_remote_open), each
 * request bounded by management.timeout and connect_timeout as the API's.
 * TLS peer and host verification are always on, redirects never followed,
 * plain http never proxied (url.h allows it to a loopback host only; the
 * configuration checks each sink's URL at load). Answers are capped at
 * ITH_REMOTE_MAX_BYTES; the body is a secret buffer (wiped).
 *
 * No retries here: a remote sink retries once on its own rules (a 403: log
 * in again; a conflict: read again), and a failed publish is retried by the
 * next run.
 *
 * The handle also keeps the credentials a run logs in with (a Vault client
 * token from AppRole), keyed by a string, in memory only, wiped on close;
 * and every secret registered (ith_remote_redact_add, a mem.h bounded set)
 * is kept out of the server text it quotes (ith_remote_text). The remote
 * sinks' shared wording (ith_remote_foreign, ith_remote_judge over plan.h's
 * conflict rule) and answer getter (ith_json_member) live here too.
 *
 * Calling sequence:
 *     struct ith_remote *rm;
 *     r = ith_remote_open(&rm, cfg->connect_timeout, cfg->timeout, cfg->deadline, &err);
 *     const char *hdr[] = { "X-Vault-Token: ...", NULL };   (wiped by the caller)
 *     struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
 *     r = ith_remote_request(rm, "GET", url, ca_file, hdr, NULL, &a, &err);
 *     ... a.status, a.body ...
 *     ith_remote_answer_release(&a);
 *     ith_remote_close(rm);
 *
 * Error handling: ith_remote_request returns 0 on any HTTP answer (status
 * set, the caller maps it); ITH_ERR_API_UNAVAILABLE when none came (no
 * connection, TLS, the deadline, no libcurl); ITH_ERR_API_MALFORMED when
 * the answer is over the cap. Messages name the method and the URL as
 * ith_url_shown shows it, never a header.
 */
#ifndef ITH_REMOTE_H
#define ITH_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "curl-dl.h"
#include <json-c/json.h>
#include "mem.h"
#include "plan.h"
#include "strbuf.h"

#define ITH_REMOTE_MAX_BYTES (1024 * 1024)
#define ITH_REMOTE_SECRETS_MAX 32

struct ith_remote;

struct ith_remote_answer {
	long status;
	struct ith_strbuf body;   /* secret: a Vault login answer carries a client token */
};
#define ITH_REMOTE_ANSWER_INIT { 0, ITH_STRBUF_INIT }

int ith_remote_open(struct ith_remote **out, int64_t connect_timeout, int64_t timeout, int64_t deadline,
	struct ith_strbuf *err);
void ith_remote_close(struct ith_remote *rm);

/* One request. headers: NULL-terminated "Name: value" lines (they may hold a credential: never shown).
 * json: the body (NULL: none); content_type: its type (NULL: application/json). ca_file may be NULL. */
int ith_remote_request(struct ith_remote *rm, const char *method, const char *url, const char *ca_file,
	const char *const *headers, const char *json, const char *content_type, struct ith_remote_answer *a,
	struct ith_strbuf *err);
void ith_remote_answer_release(struct ith_remote_answer *a);
/* Requests made through this handle. */
unsigned ith_remote_requests(const struct ith_remote *rm);

/* A credential kept for the run (a copy; replaced when the key is there); NULL sec: forgotten. */
void ith_remote_cred_set(struct ith_remote *rm, const char *key, const struct ith_secret *sec);
const struct ith_secret *ith_remote_cred_get(const struct ith_remote *rm, const char *key);
/* A secret to keep out of messages (copied; wiped on close). */
void ith_remote_redact_add(struct ith_remote *rm, const struct ith_secret *sec);
/* Server text made safe to print: every registered secret (and part of one) redacted, then sanitised, cut. */
const char *ith_remote_text(const struct ith_remote *rm, const char *s, char *out, size_t len);

/* ---- the remote sinks' shared wording ---- */
/* "WHERE exists and is not ours (...): remove it or choose another PLACE" (place: "path", "name"). */
int ith_remote_foreign(const char *where, const char *place, struct ith_strbuf *err);
/* The conflict rule (plan.h ith_plan_remote_verdict) for what was seen at where: 1 done (our token is
 * there), 0 write it, or ITH_ERR_SINK_FOREIGN / ITH_ERR_SINK_CONFLICT with its message. */
int ith_remote_judge(const struct ith_remote_seen *seen, const struct ith_state_token *t, const char *where,
	const char *place, struct ith_strbuf *err);

/* An answer's member key when it is of type (NULL: o is no object, has no such member, or another type). */
json_object *ith_json_member(json_object *o, const char *key, json_type type);

/* ---- shared with api.c ---- */
/* libcurl loaded (curl-dl.h) and initialised once for the process. */
int ith_curl_load(struct ith_strbuf *err);
/* Monotonic milliseconds. */
int64_t ith_mono_ms(void);
/* What every handle gets: verification on, no redirects, no netrc, http(s) only, bounded time; plain
 * http never through a proxy. errbuf: CURL_ERROR_SIZE bytes. ca_file may be NULL. */
/* The request's method and JSON body (NULL: none) on a reused handle: GET unless a body makes it POST,
 * any other method as a custom request. Shared by api.c and the remote sinks. */
void ith_curl_method(CURL *c, const char *method, const char *json);
void ith_curl_common(CURL *c, char *errbuf, long connect_timeout, long timeout, const char *ca_file,
	const char *url);
/* "apiv1_" and what follows it (the shape of a database token) become "***"; returns how many. */
size_t ith_redact_token_shaped(char *s);

#endif
