#include "api.h"
#include "error.h"

#include "curl-dl.h"
#include "remote.h"
#include "text.h"
#include "time.h"
#include <errno.h>
#include <sys/random.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct ith_api {
	CURL *curl;
	CURL *dp;               /* data plane: activation probes */
	long connect_timeout, timeout;
	int64_t deadline_ms;    /* monotonic: no request or backoff beyond it */
	char *ca_file;
	struct ith_secret mgmt; /* only to keep it out of messages (server_text) */
	/* every database token in play (the state's current and next, those made here): kept out of messages */
	struct ith_secret known[ITH_API_REDACT_MAX];
	size_t nknown;
	struct curl_slist *headers_get, *headers_body;
	char *base;             /* url/accounts/A/clusters/C/tokens */
	ith_api_trace_fn trace;
	void *trace_ud;
	unsigned requests;
	unsigned last_attempts;
	long last_status;       /* of the last attempt; 0: no answer */
	int64_t server_date;    /* the Date header of the last attempt's answer (0: none) */
	int64_t server_date_at; /* our clock when it came */
	char errbuf[CURL_ERROR_SIZE];
};

struct body {
	struct ith_strbuf sb;   /* secret: create answers carry accessToken */
	bool too_big;
	/* list answers: a 2xx body goes to the parser as it arrives, never held whole */
	struct ith_list_parser *lp;
	CURL *c;
	int stream_err;
	struct ith_strbuf *err;  /* the request's: a stream error is written there */
};
#define BODY_INIT { ITH_STRBUF_INIT, false, NULL, NULL, 0, NULL }

/* The answer's Date header: the server's clock, for the expiry check (ith_api_server_date). */
static size_t header_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct ith_api *api = ud;
	size_t n = size * nmemb, i = 5, k = 0;
	char value[128];

	if (n < 6 || strncasecmp(buf, "Date:", 5))
		return n;
	while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	while (i < n && k + 1 < sizeof(value) && buf[i] != '\r' && buf[i] != '\n')
		value[k++] = buf[i++];
	value[k] = '\0';
	time_t t = sym_curl_getdate(value, NULL);
	if (t > 0) {
		api->server_date = (int64_t)t;
		api->server_date_at = ith_now();
	}
	return n;
}

int64_t ith_api_server_date(const struct ith_api *api, int64_t *at)
{
	*at = api->server_date_at;
	return api->server_date;
}

/* A 2xx answer is parsed whole; any other answer only for its message. */
static bool body_wanted(CURL *c)
{
	long status = 0;

	sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status / 100 == 2;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;

	if (b->lp) {
		if (body_wanted(b->c)) {
			int r = ith_list_parser_feed(b->lp, ptr, n, b->err);
			if (r < 0) {
				b->stream_err = r;
				return 0;  /* abort the transfer: the message is recorded */
			}
			return n;
		}
	}
	if (b->sb.len + n > ITH_JSON_MAX_BYTES && b->c && !body_wanted(b->c)) {
		/* an error answer: its head is enough for the message; the status decides (a 5xx is retried) */
		if (b->sb.len < 65536)
			ith_strbuf_add(&b->sb, ptr, n < 65536 - b->sb.len ? n : 65536 - b->sb.len);
		return n;
	}
	if (b->sb.len + n > ITH_JSON_MAX_BYTES) {
		b->too_big = true;
		return 0;  /* abort the transfer */
	}
	ith_strbuf_add(&b->sb, ptr, n);
	return n;
}

static void slist_free_wiped(struct curl_slist *l)
{
	for (struct curl_slist *e = l; e; e = e->next)
		ith_wipe(e->data, strlen(e->data));
	sym_curl_slist_free_all(l);
}

static struct curl_slist *make_headers(const struct ith_secret *mgmt, bool with_body)
{
	struct ith_strbuf auth = ITH_STRBUF_INIT;
	struct curl_slist *h = NULL, *t;

	auth.secret = true;
	ith_strbuf_addstr(&auth, "Authorization: Bearer ");
	ith_strbuf_add(&auth, mgmt->s, mgmt->len);
	t = sym_curl_slist_append(h, auth.buf);
	ith_strbuf_release(&auth);
	if (!t)
		return NULL;
	h = t;
	if (!(t = sym_curl_slist_append(h, "Accept: application/json")))
		goto fail;
	h = t;
	if (with_body) {
		if (!(t = sym_curl_slist_append(h, "Content-Type: application/json")))
			goto fail;
		h = t;
	}
	/* No "Expect: 100-continue" round trip. */
	if (!(t = sym_curl_slist_append(h, "Expect:")))
		goto fail;
	return t;
fail:
	slist_free_wiped(h);
	return NULL;
}

/* The shared settings (remote.h: verification on, no redirects, bounded time, no proxy for plain http),
 * and this client's write callback and CA file. */
static void common_options(struct ith_api *api, CURL *c, const char *url)
{
	ith_curl_common(c, api->errbuf, api->connect_timeout, api->timeout, api->ca_file, url);
	sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
}

int ith_api_open(struct ith_api **out, const struct ith_config *cfg, const struct ith_secret *mgmt,
	struct ith_strbuf *err)
{
	struct ith_api *api;
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	int r = ith_curl_load(err);

	if (r < 0)
		return r;
	api = ith_xcalloc(1, sizeof(*api));
	api->curl = sym_curl_easy_init();
	api->headers_get = make_headers(mgmt, false);
	api->headers_body = make_headers(mgmt, true);
	ith_secret_set(&api->mgmt, mgmt->s, mgmt->len);
	if (!api->curl || !api->headers_get || !api->headers_body) {
		ith_api_close(api);
		return ith_err(err, ITH_ERR_INTERNAL, "cannot initialise libcurl handle");
	}
	ith_strbuf_addf(&sb, "%s/accounts/%s/clusters/%s/tokens", cfg->url, cfg->account_id, cfg->cluster_id);
	api->base = ith_strbuf_detach(&sb);

	api->connect_timeout = (long)cfg->connect_timeout;
	api->timeout = (long)cfg->timeout;
	api->deadline_ms = ith_mono_ms() + cfg->deadline * 1000;
	api->ca_file = cfg->ca_file ? ith_xstrdup(cfg->ca_file) : NULL;
	common_options(api, api->curl, cfg->url);
	sym_curl_easy_setopt(api->curl, CURLOPT_HEADERFUNCTION, header_cb);
	sym_curl_easy_setopt(api->curl, CURLOPT_HEADERDATA, api);
	*out = api;
	return 0;
}

void ith_api_set_trace(struct ith_api *api, ith_api_trace_fn fn, void *ud)
{
	api->trace = fn;
	api->trace_ud = ud;
}

void ith_api_close(struct ith_api *api)
{
	if (!api)
		return;
	if (api->curl)
		sym_curl_easy_cleanup(api->curl);
	if (api->dp)
		sym_curl_easy_cleanup(api->dp);
	free(api->ca_file);
	ith_secret_release(&api->mgmt);
	for (size_t i = 0; i < api->nknown; i++)
		ith_secret_release(&api->known[i]);
	slist_free_wiped(api->headers_get);
	slist_free_wiped(api->headers_body);
	free(api->base);
	free(api);
}

int64_t ith_api_ms_left(const struct ith_api *api)
{
	int64_t left = api->deadline_ms - ith_mono_ms();

	return left > 0 ? left : 0;
}

unsigned ith_api_requests(const struct ith_api *api)
{
	return api->requests;
}

unsigned ith_api_last_attempts(const struct ith_api *api)
{
	return api->last_attempts;
}

bool ith_api_last_refused(const struct ith_api *api)
{
	return api->last_attempts == 0 || (api->last_attempts == 1 && api->last_status >= 400 && api->last_status < 500 &&
		api->last_status != 408 && api->last_status != 429);
}

void ith_api_redact_add(struct ith_api *api, const struct ith_secret *sec)
{
	ith_secrets_add(api->known, &api->nknown, ITH_API_REDACT_MAX, sec, ITH_REDACT_MIN_RUN);
}

/*
 * The management token and extra (when not NULL) whatever their length, then
 * every run of ITH_REDACT_MIN_RUN or more bytes of s found inside a token in
 * play (or extra) become "***".
 */
/* Redact in s every token in play, and parts of them; returns how many places were redacted. */
static size_t redact_known(const struct ith_api *api, char *s, const char *extra)
{
	struct ith_secret x = { (char *)extra, extra ? strlen(extra) : 0 };
	size_t n = 0;

	if (api->mgmt.s)
		n += ith_redact(s, api->mgmt.s, api->mgmt.len);
	if (extra)
		n += ith_redact(s, extra, x.len);
	n += ith_redact_fragments(s, &api->mgmt, 1, ITH_REDACT_MIN_RUN);
	n += ith_redact_fragments(s, api->known, api->nknown, ITH_REDACT_MIN_RUN);
	if (extra)
		n += ith_redact_fragments(s, &x, 1, ITH_REDACT_MIN_RUN);
	return n + ith_redact_token_shaped(s);
}

/*
 * Text from the other side (an answer's message, libcurl's words about a
 * transfer), made safe to print and store: the one way it enters a message.
 * Every token in play, and any part of one, becomes "***" first (the
 * management token, the database tokens registered with ith_api_redact_add;
 * extra, when not NULL: the token a probe carried or an answer concerned),
 * then the text is sanitised and cut to len - 1 bytes (so no part of a
 * token survives a cut).
 */
static const char *server_text(const struct ith_api *api, const char *s, const char *extra, char *out, size_t len)
{
	/* only what can reach out (each output byte stands for at most 4 input bytes), plus room for a token
	 * that starts inside it: the scan stays linear in the output, whatever the server sent */
	size_t n = strnlen(s ? s : "", 4 * len + 8192);
	char *copy = ith_xstrndup(s ? s : "", n), *bare = ith_xstrndup(copy, n);

	/*
	 * A secret split by characters that print as nothing or as '?' (controls,
	 * zero-width and format characters) is found in the text without them;
	 * when something was redacted there, that text is the one shown.
	 */
	ith_strip_invisible(bare);
	if (redact_known(api, bare, extra)) {
		ith_safe_text(bare, out, len);
	} else {
		redact_known(api, copy, extra);
		ith_safe_text(copy, out, len);
	}
	ith_wipe(copy, n);
	ith_wipe(bare, n);
	free(copy);
	free(bare);
	return out;
}

/* The server's {code,message} text, made safe to print (a token it quotes, redacted). */
static void error_message(const struct ith_api *api, const struct body *b, char *out, size_t len)
{
	json_object *o = NULL, *m, *t;

	out[0] = '\0';
	if (!b->sb.buf || b->sb.len > 65536)
		return;
	o = json_tokener_parse(b->sb.buf);
	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string)) {
		/* an error answer that still carries a created token's secret: that one too */
		const char *tok = json_object_object_get_ex(o, "accessToken", &t) && json_object_is_type(t, json_type_string) ?
			json_object_get_string(t) : NULL;
		server_text(api, json_object_get_string(m), tok && *tok ? tok : NULL, out, len < 201 ? len : 201);
	}
	json_object_put(o);
}

static int status_error(const struct ith_api *api, long status, const char *method, const struct body *b,
	struct ith_strbuf *err)
{
	char msg[256];

	error_message(api, b, msg, sizeof(msg));
	if (status == 401 || status == 403)
		return ith_err(err, ITH_ERR_CREDENTIAL,
			"%s: the Management API rejected the management token (HTTP %ld%s%s); check that it is valid, "
			"not expired, and for this account and cluster", method, status, msg[0] ? ": " : "", msg);
	if (status == 404)
		return ith_err(err, ITH_ERR_API_NOT_FOUND, "%s: not found (HTTP 404%s%s)", method, msg[0] ? ": " : "", msg);
	if (status == 429)
		return ith_err(err, ITH_ERR_RATE_LIMITED, "%s: rate limited by the Management API (HTTP 429); try again later",
			method);
	if (status >= 500)
		return ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s: the Management API failed (HTTP %ld%s%s)", method, status,
			msg[0] ? ": " : "", msg);
	return ith_err(err, ITH_ERR_API_REFUSED, "%s: the Management API refused the request (HTTP %ld%s%s)", method, status,
		msg[0] ? ": " : "", msg);
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)). */
static int64_t backoff_ms(int attempt)
{
	int64_t ceiling = ITH_API_BACKOFF_BASE_MS << (attempt < 10 ? attempt : 10);
	uint32_t rnd = 0;

	if (ceiling > ITH_API_BACKOFF_CAP_MS)
		ceiling = ITH_API_BACKOFF_CAP_MS;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)ith_mono_ms() * 2654435761u;
	return (int64_t)(rnd % (uint32_t)ceiling);
}

static bool curl_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:  /* a wrong certificate does not get better */
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_WRITE_ERROR:               /* our size cap */
	case CURLE_OUT_OF_MEMORY:
		return false;
	default:
		return true;
	}
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * One attempt. On success b holds the body, *status the HTTP status and
 * *retry_after the server's Retry-After in seconds (-1: none).
 */
static CURLcode attempt(struct ith_api *api, const char *method, const char *url, const char *json,
	struct body *b, long *status, int64_t *retry_after)
{
	CURL *c = api->curl;
	int64_t left = api->deadline_ms - ith_mono_ms();
	long limit = api->timeout * 1000L;
	curl_off_t ra = -1;
	CURLcode cc;

	if (left < limit)
		limit = left > 1 ? (long)left : 1;
	sym_curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, limit);
	sym_curl_easy_setopt(c, CURLOPT_URL, url);
	sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, json ? api->headers_body : api->headers_get);
	ith_curl_method(c, method, json);
	/*
	 * A create goes on a connection of its own: on a reused keep-alive
	 * connection that the server closed without an answer, libcurl sends
	 * the request again by itself, and a create whose answer was lost
	 * would be made twice while we count one attempt (and so skip the
	 * sweep that finds the first one).
	 */
	sym_curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, strcmp(method, "POST") ? 0L : 1L);
	api->errbuf[0] = '\0';
	api->server_date = 0;
	cc = sym_curl_easy_perform(c);
	api->requests++;
	*status = 0;
	sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
#if LIBCURL_VERSION_NUM >= 0x074200
	if (sym_curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK)
		ra = -1;
#endif
	*retry_after = ra > 0 ? (int64_t)ra : -1;
	return cc;
}

/*
 * One request with retries. path is appended to the tokens base ("" or
 * "/ID"). On success b holds the body; the caller releases b either way.
 */
/*
 * After failed attempt n (error r): waits before the next one (backoff, or
 * the server's Retry-After, capped) and returns true; false when the error
 * is final, attempts are spent, or the wait would pass the command's deadline.
 */
static bool retry_wait(struct ith_api *api, int n, CURLcode cc, long status, int64_t retry_after, int r,
	struct ith_strbuf *err)
{
	int64_t wait;
	bool again = cc != CURLE_OK ? curl_retryable(cc) : (status == 429 || status >= 500);

	if (!again || n + 1 >= ITH_API_MAX_ATTEMPTS)
		return false;
	wait = backoff_ms(n);
	if (retry_after >= 0)
		wait = (retry_after > ITH_API_RETRY_AFTER_CAP ? ITH_API_RETRY_AFTER_CAP : retry_after) * 1000;
	if (ith_mono_ms() + wait >= api->deadline_ms) {
		ith_err_prefix(err, r, "giving up before the command's deadline");
		return false;
	}
	sleep_ms(wait);
	return true;
}

/* The deadline passed before attempt n: the last failure's cause, or ITH_ERR_API_UNAVAILABLE. Nothing sent
 * (n == 0): the server cannot have made anything (ith_api_last_refused). */
static int deadline_passed(struct ith_api *api, int n, int r, const char *method, const char *url,
	struct ith_strbuf *err)
{
	if (n == 0) {
		api->last_attempts = 0;
		api->last_status = 0;
	}
	if (r == 0)
		r = ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s %s: the command's deadline passed (management.deadline)",
			method, url);
	return r;
}

static int request(struct ith_api *api, const char *method, const char *path, const char *json,
	struct body *b, struct ith_strbuf *err)
{
	struct ith_strbuf url = ITH_STRBUF_INIT;
	int r = 0;

	b->sb.secret = true;
	b->err = err;
	ith_strbuf_addf(&url, "%s%s", api->base, path);
	for (int n = 0;; n++) {
		int64_t t0 = ith_mono_ms(), retry_after;
		long status;
		CURLcode cc;

		if (t0 >= api->deadline_ms) {
			r = deadline_passed(api, n, r, method, url.buf, err);
			break;
		}
		ith_strbuf_release(&b->sb);
		b->sb.secret = true;
		b->too_big = false;
		b->stream_err = 0;
		b->c = api->curl;
		if (b->lp)
			ith_list_parser_reset(b->lp);
		cc = attempt(api, method, url.buf, json, b, &status, &retry_after);
		api->last_attempts = (unsigned)n + 1;
		api->last_status = cc == CURLE_OK || b->stream_err || b->too_big ? status : 0;
		if (api->trace) {
			char shown[64];
			snprintf(shown, sizeof(shown), "tokens%s", path);
			api->trace(api->trace_ud, method, shown, status, (long)(ith_mono_ms() - t0));
		}
		if (b->stream_err) {
			r = b->stream_err;  /* the parser's message stands */
			break;
		}
		if (b->too_big) {
			r = ith_err(err, ITH_ERR_API_MALFORMED, "%s %s: answer is larger than %d bytes", method, url.buf,
				ITH_JSON_MAX_BYTES);
			break;
		}
		if (cc == CURLE_OK && status / 100 == 2) {
			r = 0;  /* the spec says 200 (204 for DELETE); any 2xx is success */
			break;
		}
		if (cc != CURLE_OK) {
			char why[CURL_ERROR_SIZE];
			r = ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s %s: %s", method, url.buf,
				server_text(api, api->errbuf[0] ? api->errbuf : sym_curl_easy_strerror(cc), NULL, why, sizeof(why)));
		} else
			r = status_error(api, status, method, b, err);
		if (!retry_wait(api, n, cc, status, retry_after, r, err))
			break;
	}
	ith_strbuf_release(&url);
	return r;
}

static void body_release(struct body *b)
{
	ith_strbuf_release(&b->sb);
}

/*
 * An answer that failed to parse: the parser's message may quote its values
 * (cut short). A secret the answer (b; NULL: a list, streamed) carries is
 * registered first, then every part of a token in play is redacted from
 * err's message. Returns r.
 */
static int answer_failed(struct ith_api *api, const struct body *b, int r, struct ith_strbuf *err)
{
	json_object *o = b && b->sb.buf && b->sb.len <= ITH_JSON_MAX_BYTES ? json_tokener_parse(b->sb.buf) : NULL, *t;

	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "accessToken", &t) &&
	    json_object_is_type(t, json_type_string)) {
		struct ith_secret sec = { (char *)json_object_get_string(t), (size_t)json_object_get_string_len(t) };
		ith_api_redact_add(api, &sec);
		ith_wipe(sec.s, sec.len);
	}
	json_object_put(o);
	if (err && err->buf) {
		redact_known(api, err->buf, NULL);
		err->len = strlen(err->buf);
	}
	return r;
}

int ith_api_list(struct ith_api *api, const char *instance, ith_note_fn note, void *ud, struct ith_token_list *out,
	struct ith_list_stats *stats, struct ith_strbuf *err)
{
	struct body b = BODY_INIT;
	int r, rq;

	b.lp = ith_list_parser_new(instance, note, ud);
	rq = request(api, "GET", "", NULL, &b, err);
	r = rq == 0 ? ith_list_parser_finish(b.lp, out, stats, err) : rq;
	if (r < 0 && (rq == 0 || b.stream_err))
		answer_failed(api, NULL, r, err);  /* an element of ours the parser quoted */
	ith_list_parser_free(b.lp);
	body_release(&b);
	return r;
}

static json_object *perms_json(const struct ith_perms *p)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < p->n; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "action", json_object_new_string(p->v[i].action));
		json_object_object_add(e, "resource", json_object_new_string(p->v[i].resource));
		json_object_array_add(arr, e);
	}
	return arr;
}

int ith_api_create(struct ith_api *api, const char *description, const struct ith_perms *perms,
	int64_t expires_at, struct ith_token *out, struct ith_strbuf *err)
{
	struct body b = BODY_INIT;
	json_object *req = json_object_new_object();
	struct ith_token t = ITH_TOKEN_INIT;
	char when[32];
	int r;

	json_object_object_add(req, "description", json_object_new_string(description));
	json_object_object_add(req, "permissions", perms_json(perms));
	if (expires_at) {
		ith_format_rfc3339(expires_at, when, sizeof(when));
		json_object_object_add(req, "expirationType", json_object_new_string("datetime"));
		json_object_object_add(req, "expiresAt", json_object_new_string(when));
	}
	r = request(api, "POST", "", json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &b, err);
	json_object_put(req);
	if (r == 0 && (r = ith_token_parse_json(b.sb.buf ? b.sb.buf : "", b.sb.len, true, &t, err)) < 0)
		answer_failed(api, &b, r, err);
	body_release(&b);
	if (r < 0)
		return r;
	ith_api_redact_add(api, &t.access_token);
	*out = t;
	return 0;
}

static int id_path(const char *id, char *buf, size_t len, struct ith_strbuf *err)
{
	if (!ith_is_uuid(id))
		return ith_err(err, ITH_ERR_INTERNAL, "'%.40s' is not a token id", id);
	snprintf(buf, len, "/%s", id);
	return 0;
}

int ith_api_get(struct ith_api *api, const char *id, struct ith_token *out, struct ith_strbuf *err)
{
	struct body b = BODY_INIT;
	char path[64];
	int r = id_path(id, path, sizeof(path), err);

	if (r == 0)
		r = request(api, "GET", path, NULL, &b, err);
	if (r == 0 && (r = ith_token_parse_json(b.sb.buf ? b.sb.buf : "", b.sb.len, false, out, err)) < 0)
		answer_failed(api, &b, r, err);
	body_release(&b);
	return r;
}

int ith_api_update(struct ith_api *api, const char *id, const char *description,
	const struct ith_perms *perms, struct ith_token *out, struct ith_strbuf *err)
{
	struct body b = BODY_INIT;
	json_object *req;
	char path[64];
	int r = id_path(id, path, sizeof(path), err);

	if (r < 0)
		return r;
	if (!description && !perms)
		return ith_err(err, ITH_ERR_INTERNAL, "update with nothing to change");
	req = json_object_new_object();
	if (description)
		json_object_object_add(req, "description", json_object_new_string(description));
	if (perms)
		json_object_object_add(req, "permissions", perms_json(perms));
	r = request(api, "PATCH", path, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &b, err);
	json_object_put(req);
	if (r == 0 && (r = ith_token_parse_json(b.sb.buf ? b.sb.buf : "", b.sb.len, false, out, err)) < 0)
		answer_failed(api, &b, r, err);
	body_release(&b);
	return r;
}

int ith_api_delete(struct ith_api *api, const char *id, struct ith_strbuf *err)
{
	struct body b = BODY_INIT;
	char path[64];
	int r = id_path(id, path, sizeof(path), err);

	if (r == 0)
		r = request(api, "DELETE", path, NULL, &b, err);
	body_release(&b);
	return r;
}

/* A probe's headers: the token under test, and what a write or a query sends. */
static struct curl_slist *probe_headers(const struct ith_secret *token, bool write)
{
	struct ith_strbuf auth = ITH_STRBUF_INIT;
	struct curl_slist *h, *t;

	auth.secret = true;
	ith_strbuf_addstr(&auth, "Authorization: Token ");
	ith_strbuf_add(&auth, token->s, token->len);
	h = sym_curl_slist_append(NULL, auth.buf);
	ith_strbuf_release(&auth);
	if (h && (t = sym_curl_slist_append(h, write ? "Content-Type: text/plain; charset=utf-8" : "Accept: application/json")))
		h = t;
	return h;
}

int ith_api_probe(struct ith_api *api, const char *cluster_url, const struct ith_secret *token,
	const char *db, bool write, long *status, struct ith_strbuf *err)
{
	struct body b = BODY_INIT;
	struct ith_strbuf url = ITH_STRBUF_INIT;
	struct curl_slist *h = NULL;
	char *esc;
	CURLcode cc;
	long st = 0;
	int r = 0;

	if (!api->dp) {
		if (!(api->dp = sym_curl_easy_init()))
			return ith_err(err, ITH_ERR_INTERNAL, "cannot initialise libcurl handle");
		common_options(api, api->dp, cluster_url);
	}
	esc = sym_curl_easy_escape(api->dp, db, 0);
	if (!esc)
		return ith_err(err, ITH_ERR_NOMEM, "out of memory");
	if (write)
		ith_strbuf_addf(&url, "%s/api/v2/write?bucket=%s", cluster_url, esc);
	else
		ith_strbuf_addf(&url, "%s/query?db=%s&q=SHOW%%20MEASUREMENTS%%20LIMIT%%201", cluster_url, esc);
	sym_curl_free(esc);
	h = probe_headers(token, write);
	b.sb.secret = true;
	{
		int64_t left = ith_api_ms_left(api);  /* a probe too ends by the command's deadline */
		sym_curl_easy_setopt(api->dp, CURLOPT_TIMEOUT_MS, left < api->timeout * 1000L ? (long)(left > 1 ? left : 1) : api->timeout * 1000L);
	}
	sym_curl_easy_setopt(api->dp, CURLOPT_URL, url.buf);
	sym_curl_easy_setopt(api->dp, CURLOPT_HTTPHEADER, h);
	sym_curl_easy_setopt(api->dp, CURLOPT_WRITEDATA, &b);
	if (write) {
		sym_curl_easy_setopt(api->dp, CURLOPT_POSTFIELDS, "");
		sym_curl_easy_setopt(api->dp, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		sym_curl_easy_setopt(api->dp, CURLOPT_HTTPGET, 1L);
	}
	api->errbuf[0] = '\0';
	int64_t t0 = ith_mono_ms();
	cc = sym_curl_easy_perform(api->dp);
	sym_curl_easy_setopt(api->dp, CURLOPT_HTTPHEADER, NULL);
	sym_curl_easy_getinfo(api->dp, CURLINFO_RESPONSE_CODE, &st);
	if (api->trace)
		api->trace(api->trace_ud, write ? "POST" : "GET", write ? "/api/v2/write" : "/query", st,
			(long)(ith_mono_ms() - t0));
	if (cc != CURLE_OK && !(b.too_big && st)) {
		char why[CURL_ERROR_SIZE];
		r = ith_err(err, ITH_ERR_API_UNAVAILABLE, "activation probe %s: %s", url.buf,
			server_text(api, api->errbuf[0] ? api->errbuf : sym_curl_easy_strerror(cc), token->s, why, sizeof(why)));
	} else
		*status = st;
	slist_free_wiped(h);
	ith_strbuf_release(&url);
	body_release(&b);
	return r;
}
