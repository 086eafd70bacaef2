#include "remote.h"
#include "error.h"
#include "version.h"

#include "text.h"
#include "url.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One handle per CA file (NULL: the system's), each with its keep-alive connections. */
#define HANDLES 4

struct handle {
	CURL *c;
	char *ca_file;
};

struct cred {
	char *key;
	struct ith_secret sec;
};

struct ith_remote {
	struct handle h[HANDLES];
	size_t nh;
	long connect_timeout, timeout;
	int64_t deadline_ms;
	unsigned requests;
	struct cred creds[ITH_REMOTE_SECRETS_MAX];
	size_t ncreds;
	struct ith_secret known[ITH_REMOTE_SECRETS_MAX];
	size_t nknown;
	char errbuf[CURL_ERROR_SIZE];
};

struct capped {
	struct ith_strbuf *sb;
	bool too_big;
};

int64_t ith_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ith_curl_method(CURL *c, const char *method, const char *json)
{
	sym_curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
	sym_curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (json) {
		sym_curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
		sym_curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		sym_curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

void ith_curl_common(CURL *c, char *errbuf, long connect_timeout, long timeout, const char *ca_file,
	const char *url)
{
	sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	sym_curl_easy_setopt(c, CURLOPT_USERAGENT, "influx-token-helper/" ITH_VERSION);
	sym_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect_timeout);
	sym_curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	sym_curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	sym_curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	sym_curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	sym_curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	if (ca_file)
		sym_curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	if (strncasecmp(url, "https://", 8)) {
		sym_curl_easy_setopt(c, CURLOPT_PROXY, "");
		sym_curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	}
}

size_t ith_redact_token_shaped(char *s)
{
	static const char prefix[] = "apiv1_";
	size_t n = 0;

	for (char *p = strstr(s, prefix); p; p = strstr(p, prefix)) {
		size_t k = sizeof(prefix) - 1 + strspn(p + sizeof(prefix) - 1,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.");
		if (k < sizeof(prefix) - 1 + ITH_REDACT_MIN_RUN) {
			p += sizeof(prefix) - 1;
			continue;
		}
		memcpy(p, "***", 3);
		memmove(p + 3, p + k, strlen(p + k) + 1);
		p += 3;
		n++;
	}
	return n;
}

int ith_curl_load(struct ith_strbuf *err)
{
	static int global_done;
	int r = ith_dlopen_curl(err);

	if (r < 0)
		return r;
	if (!global_done) {
		if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return ith_err(err, ITH_ERR_INTERNAL, "cannot initialise libcurl");
		global_done = 1;
	}
	return 0;
}

json_object *ith_json_member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

int ith_remote_open(struct ith_remote **out, int64_t connect_timeout, int64_t timeout, int64_t deadline,
	struct ith_strbuf *err)
{
	struct ith_remote *rm;
	int r = ith_curl_load(err);

	if (r < 0)
		return r;
	rm = ith_xcalloc(1, sizeof(*rm));
	rm->connect_timeout = (long)connect_timeout;
	rm->timeout = (long)timeout;
	rm->deadline_ms = ith_mono_ms() + deadline * 1000;
	*out = rm;
	return 0;
}

void ith_remote_close(struct ith_remote *rm)
{
	if (!rm)
		return;
	for (size_t i = 0; i < rm->nh; i++) {
		sym_curl_easy_cleanup(rm->h[i].c);
		free(rm->h[i].ca_file);
	}
	for (size_t i = 0; i < rm->ncreds; i++) {
		free(rm->creds[i].key);
		ith_secret_release(&rm->creds[i].sec);
	}
	for (size_t i = 0; i < rm->nknown; i++)
		ith_secret_release(&rm->known[i]);
	ith_freezero(rm, sizeof(*rm));
}

unsigned ith_remote_requests(const struct ith_remote *rm)
{
	return rm->requests;
}

static bool same_ca(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The handle for ca_file: made on first use; past HANDLES, the last one is made again. */
static CURL *handle_for(struct ith_remote *rm, const char *ca_file)
{
	struct handle *h;

	for (size_t i = 0; i < rm->nh; i++)
		if (same_ca(rm->h[i].ca_file, ca_file))
			return rm->h[i].c;
	if (rm->nh == HANDLES) {
		h = &rm->h[HANDLES - 1];
		sym_curl_easy_cleanup(h->c);
		free(h->ca_file);
	} else
		h = &rm->h[rm->nh++];
	h->c = sym_curl_easy_init();
	h->ca_file = ca_file ? ith_xstrdup(ca_file) : NULL;
	if (!h->c)
		rm->nh--;
	return h->c;
}

static size_t capped_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct capped *b = ud;
	size_t n = size * nmemb;

	if (b->sb->len + n > ITH_REMOTE_MAX_BYTES) {
		b->too_big = true;
		return 0;  /* abort the transfer */
	}
	ith_strbuf_add(b->sb, ptr, n);
	return n;
}

static struct curl_slist *make_headers(const char *const *headers, bool body, const char *content_type)
{
	struct curl_slist *h = NULL, *t;
	struct ith_strbuf ct = ITH_STRBUF_INIT;
	bool ok = true;

	ith_strbuf_addf(&ct, "Content-Type: %s", content_type ? content_type : "application/json");
	for (size_t i = 0; headers && headers[i] && ok; i++)
		if ((ok = (t = sym_curl_slist_append(h, headers[i])) != NULL))
			h = t;
	if (ok && (ok = (t = sym_curl_slist_append(h, "Accept: application/json")) != NULL))
		h = t;
	if (ok && body && (ok = (t = sym_curl_slist_append(h, ct.buf)) != NULL))
		h = t;
	if (ok && (ok = (t = sym_curl_slist_append(h, "Expect:")) != NULL))
		h = t;
	ith_strbuf_release(&ct);
	if (ok)
		return h;
	for (struct curl_slist *e = h; e; e = e->next)
		ith_wipe(e->data, strlen(e->data));
	sym_curl_slist_free_all(h);
	return NULL;
}

static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *e = h; e; e = e->next)
		ith_wipe(e->data, strlen(e->data));
	sym_curl_slist_free_all(h);
}

/* Options of one request on handle c. */
static void set_request(struct ith_remote *rm, CURL *c, const char *method, const char *url, const char *ca_file,
	struct curl_slist *h, const char *json, struct capped *b)
{
	int64_t left = rm->deadline_ms - ith_mono_ms();
	long limit = rm->timeout * 1000L;

	if (left < limit)
		limit = left > 1 ? (long)left : 1;
	ith_curl_common(c, rm->errbuf, rm->connect_timeout, rm->timeout, ca_file, url);
	sym_curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, limit);
	sym_curl_easy_setopt(c, CURLOPT_URL, url);
	sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, capped_cb);
	sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	ith_curl_method(c, method, json);
}

int ith_remote_request(struct ith_remote *rm, const char *method, const char *url, const char *ca_file,
	const char *const *headers, const char *json, const char *content_type, struct ith_remote_answer *a,
	struct ith_strbuf *err)
{
	struct capped b = { &a->body, false };
	char shown[512], why[CURL_ERROR_SIZE];
	struct curl_slist *h;
	CURL *c;
	CURLcode cc;

	ith_url_shown(url, shown, sizeof(shown));
	ith_strbuf_release(&a->body);
	a->body.secret = true;
	a->status = 0;
	if (ith_mono_ms() >= rm->deadline_ms)
		return ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s %s: the command's deadline passed (management.deadline)",
			method, shown);
	if (!(c = handle_for(rm, ca_file)) || !(h = make_headers(headers, json != NULL, content_type)))
		return ith_err(err, ITH_ERR_INTERNAL, "cannot initialise libcurl handle");
	set_request(rm, c, method, url, ca_file, h, json, &b);
	rm->errbuf[0] = '\0';
	cc = sym_curl_easy_perform(c);
	rm->requests++;
	sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	headers_free(h);
	if (b.too_big)
		return ith_err(err, ITH_ERR_API_MALFORMED, "%s %s: answer is larger than %d bytes", method, shown,
			ITH_REMOTE_MAX_BYTES);
	if (cc != CURLE_OK)
		return ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s %s: %s", method, shown,
			ith_remote_text(rm, rm->errbuf[0] ? rm->errbuf : sym_curl_easy_strerror(cc), why, sizeof(why)));
	sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	return 0;
}

void ith_remote_answer_release(struct ith_remote_answer *a)
{
	ith_strbuf_release(&a->body);
	a->status = 0;
}

void ith_remote_cred_set(struct ith_remote *rm, const char *key, const struct ith_secret *sec)
{
	size_t i;

	for (i = 0; i < rm->ncreds && strcmp(rm->creds[i].key, key); i++)
		;
	if (i < rm->ncreds) {
		ith_secret_release(&rm->creds[i].sec);
		if (!sec) {
			free(rm->creds[i].key);
			rm->creds[i] = rm->creds[--rm->ncreds];
			return;
		}
	} else if (!sec || rm->ncreds == ITH_REMOTE_SECRETS_MAX) {
		return;  /* past the cap: the next call logs in again */
	} else {
		rm->creds[rm->ncreds].key = ith_xstrdup(key);
		i = rm->ncreds++;
	}
	ith_secret_set(&rm->creds[i].sec, sec->s, sec->len);
	ith_remote_redact_add(rm, sec);
}

const struct ith_secret *ith_remote_cred_get(const struct ith_remote *rm, const char *key)
{
	for (size_t i = 0; i < rm->ncreds; i++)
		if (!strcmp(rm->creds[i].key, key))
			return &rm->creds[i].sec;
	return NULL;
}

void ith_remote_redact_add(struct ith_remote *rm, const struct ith_secret *sec)
{
	ith_secrets_add(rm->known, &rm->nknown, ITH_REMOTE_SECRETS_MAX, sec, 1);
}

int ith_remote_foreign(const char *where, const char *place, struct ith_strbuf *err)
{
	return ith_err(err, ITH_ERR_SINK_FOREIGN, "%s exists and is not ours (no influx-token-helper marker of this "
		"instance and profile): remove it or choose another %s", where, place);
}

int ith_remote_judge(const struct ith_remote_seen *seen, const struct ith_state_token *t, const char *where,
	const char *place, struct ith_strbuf *err)
{
	switch (ith_plan_remote_verdict(seen, t)) {
	case ITH_REMOTE_FOREIGN:
		return ith_remote_foreign(where, place, err);
	case ITH_REMOTE_DONE:
		return 1;
	case ITH_REMOTE_CONFLICT:
		return ith_err(err, ITH_ERR_SINK_CONFLICT, "%s: another rotator published a newer token (%s) there; "
			"ours (%s) is not written over it", where, seen->token_id, t->id);
	case ITH_REMOTE_WRITE:
		break;
	}
	return 0;
}

static size_t redact_all(const struct ith_remote *rm, char *s)
{
	size_t n = 0;

	for (size_t i = 0; i < rm->nknown; i++)
		n += ith_redact(s, rm->known[i].s, rm->known[i].len);
	n += ith_redact_fragments(s, rm->known, rm->nknown, ITH_REDACT_MIN_RUN);
	return n + ith_redact_token_shaped(s);
}

const char *ith_remote_text(const struct ith_remote *rm, const char *s, char *out, size_t len)
{
	size_t n = strnlen(s ? s : "", 4 * len + 8192);
	char *copy = ith_xstrndup(s ? s : "", n), *bare = ith_xstrndup(copy, n);

	/* a secret split by invisible characters is found without them (as api.c's server_text) */
	ith_strip_invisible(bare);
	if (redact_all(rm, bare)) {
		ith_safe_text(bare, out, len);
	} else {
		redact_all(rm, copy);
		ith_safe_text(copy, out, len);
	}
	ith_wipe(copy, n);
	ith_wipe(bare, n);
	free(copy);
	free(bare);
	return out;
}
