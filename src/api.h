/*
 * api.h - the Management API client: the five token endpoints of
 * docs/spec/management-openapi.yml over libcurl, one handle (and so one
 * keep-alive connection) per ith_api.
 *
 * Every request sends Authorization: Bearer (built in a buffer that is wiped),
 * Accept and, with a body, Content-Type: application/json, and User-Agent
 * influx-token-helper/VERSION. TLS peer and host verification are always on;
 * redirects are never followed (they would carry the management token).
 * Answer bodies are capped at ITH_JSON_MAX_BYTES (list answers, streamed,
 * at ITH_LIST_MAX_BYTES) and parsed by token.c.
 *
 * Calling sequence:
 *     struct ith_api *api;
 *     r = ith_api_open(&api, cfg, &mgmt_token);
 *     r = ith_api_create(api, description, &perms, expires_at, &tok);
 *     ith_api_close(api);
 *
 * Retries: connection failures, 429 and 5xx are retried (at most
 * ITH_API_MAX_ATTEMPTS attempts) with capped exponential backoff and full
 * jitter, honouring Retry-After (capped at ITH_API_RETRY_AFTER_CAP s), all
 * inside the command's deadline (management.deadline, from ith_api_open).
 * Create is retried too: call it only with the intent recorded in the state,
 * so that a duplicate made by a retry is a known orphan to sweep.
 *
 * Error handling (HTTP status -> cause, after retries; message in err):
 *     401, 403              ITH_ERR_CREDENTIAL
 *     404                   ITH_ERR_API_NOT_FOUND    (DELETE callers treat as done)
 *     429                   ITH_ERR_RATE_LIMITED
 *     5xx, no connection    ITH_ERR_API_UNAVAILABLE
 *     other 4xx             ITH_ERR_API_REFUSED
 *     too big, bad JSON     ITH_ERR_API_MALFORMED
 */
#ifndef ITH_API_H
#define ITH_API_H

#include "config.h"
#include "token.h"

#define ITH_API_MAX_ATTEMPTS 5
#define ITH_API_BACKOFF_BASE_MS 250
#define ITH_API_BACKOFF_CAP_MS 8000
#define ITH_API_RETRY_AFTER_CAP 30

struct ith_api;

/* Optional trace of requests (method, path, status, ms): never headers or bodies. */
typedef void (*ith_api_trace_fn)(void *ud, const char *method, const char *path, long status, long ms);

int ith_api_open(struct ith_api **out, const struct ith_config *cfg, const struct ith_secret *mgmt,
	struct ith_strbuf *err);
void ith_api_set_trace(struct ith_api *api, ith_api_trace_fn fn, void *ud);
void ith_api_close(struct ith_api *api);

/*
 * The cluster's tokens, streamed through ith_list_parser (token.h): only
 * tokens with instance's marker are kept in out; the rest are counted in
 * stats (may be NULL). note (may be NULL) hears about skipped elements.
 * The answer may be up to ITH_LIST_MAX_BYTES long.
 */
int ith_api_list(struct ith_api *api, const char *instance, ith_note_fn note, void *ud, struct ith_token_list *out,
	struct ith_list_stats *stats, struct ith_strbuf *err);
/* expires_at 0: no expiry; else sent with "expirationType": "datetime".
 * out->expires_at is what the answer shows (0: nothing): the caller confirms
 * it. out->access_token holds the secret. */
int ith_api_create(struct ith_api *api, const char *description, const struct ith_perms *perms,
	int64_t expires_at, struct ith_token *out, struct ith_strbuf *err);
int ith_api_get(struct ith_api *api, const char *id, struct ith_token *out, struct ith_strbuf *err);
/* description and/or perms may be NULL (not sent); at least one is given. */
int ith_api_update(struct ith_api *api, const char *id, const char *description,
	const struct ith_perms *perms, struct ith_token *out, struct ith_strbuf *err);
int ith_api_delete(struct ith_api *api, const char *id, struct ith_strbuf *err);

/*
 * Activation probe on the data plane (cluster_url) with a database token:
 * write: POST /api/v2/write?bucket=DB with an empty body; else GET
 * /query?db=DB&q=SHOW MEASUREMENTS LIMIT 1. Authorization: Token <token>.
 * On any HTTP answer returns 0 with *status set; ITH_ERR_API_UNAVAILABLE when no
 * answer came. Uses its own handle (another host).
 */
int ith_api_probe(struct ith_api *api, const char *cluster_url, const struct ith_secret *token,
	const char *db, bool write, long *status, struct ith_strbuf *err);

/*
 * Secrets kept out of messages: a server's error text and the message of an
 * answer that failed to parse lose every run of ITH_REDACT_MIN_RUN or more
 * bytes found inside the management token or a registered database token
 * (ith_redact_fragments). Register every token in play: the engine adds the
 * state's current and next as soon as it has both the state and the handle;
 * ith_api_create adds each token it makes (and the accessToken of a create
 * answer it could not parse). sec is copied (wiped when the handle closes);
 * at most ITH_API_REDACT_MAX are kept, the oldest dropped first.
 */
#define ITH_API_REDACT_MAX 64
void ith_api_redact_add(struct ith_api *api, const struct ith_secret *sec);

/* Attempts the last management request took (1: no retry). */
unsigned ith_api_last_attempts(const struct ith_api *api);

/* The last management request was answered with a refusal (4xx but 408 and
 * 429) at its one and only attempt, or was never sent (the command's deadline
 * had passed: ith_api_last_attempts 0): the server made no change. */
bool ith_api_last_refused(const struct ith_api *api);

/* The Date header of the last management answer (the server's clock; 0: none), *at our clock when it came. */
int64_t ith_api_server_date(const struct ith_api *api, int64_t *at);

/* Number of HTTP requests made through this handle. */
unsigned ith_api_requests(const struct ith_api *api);
/* Milliseconds left before the command's deadline (management.deadline, counted from ith_api_open); >= 0. */
int64_t ith_api_ms_left(const struct ith_api *api);

#endif
