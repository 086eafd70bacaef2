#include "vault.h"
#include "error.h"

#include "credential.h"
#include "text.h"
#include "time.h"
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One publish or remove: the sink, the handle, and the run's one retry after a 403. */
struct vcall {
	struct ith_remote *rm;
	const struct ith_sink *s;
	const char *instance, *profile;
	bool relogged;
	struct ith_secret file_token;   /* auth = token: read from token_file */
	char where[512];                /* "vault ADDRESS MOUNT/PATH", for messages */
};

static json_object *parse_object(const char *body, const char *what, struct ith_strbuf *err, int *r)
{
	json_object *o = body ? json_tokener_parse(body) : NULL;

	*r = 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*r = ith_err(err, ITH_ERR_API_MALFORMED, "%s: the answer is not a JSON object", what);
		return NULL;
	}
	return o;
}

int ith_vault_parse_meta(const char *body, const char *instance, struct ith_vault_meta *m, struct ith_strbuf *err)
{
	int r;
	json_object *o = parse_object(body, "vault metadata", err, &r), *d, *cm, *by, *in, *cv;

	memset(m, 0, sizeof(*m));
	if (!o)
		return r;
	d = ith_json_member(o, "data", json_type_object);
	cv = ith_json_member(d, "current_version", json_type_int);
	if (!d || !cv || json_object_get_int64(cv) < 0) {
		json_object_put(o);
		return ith_err(err, ITH_ERR_API_MALFORMED, "vault metadata: no data.current_version");
	}
	m->version = (long long)json_object_get_int64(cv);
	cm = ith_json_member(d, "custom_metadata", json_type_object);  /* null when none */
	by = ith_json_member(cm, "managed-by", json_type_string);
	in = ith_json_member(cm, "instance", json_type_string);
	m->ours = by && in && !strcmp(json_object_get_string(by), ITH_MARKER_VALUE) &&
		!strcmp(json_object_get_string(in), instance);
	if ((in = ith_json_member(cm, "profile", json_type_string)) && json_object_get_string_len(in) < (int)sizeof(m->profile))
		snprintf(m->profile, sizeof(m->profile), "%s", json_object_get_string(in));
	json_object_put(o);
	return 0;
}

int ith_vault_parse_data(const char *body, const struct ith_secret *want, struct ith_vault_data *d,
	struct ith_strbuf *err)
{
	int r;
	json_object *o = parse_object(body, "vault secret", err, &r), *dd, *tok, *id, *exp;

	memset(d, 0, sizeof(*d));
	if (!o)
		return r;
	dd = ith_json_member(ith_json_member(o, "data", json_type_object), "data", json_type_object);
	tok = ith_json_member(dd, "token", json_type_string);
	id = ith_json_member(dd, "token_id", json_type_string);
	exp = ith_json_member(dd, "expires_at", json_type_string);
	if (id && json_object_get_string_len(id) < (int)sizeof(d->token_id)) {
		d->has = true;
		snprintf(d->token_id, sizeof(d->token_id), "%s", json_object_get_string(id));
		if (exp && json_object_get_string_len(exp) > 0 &&
		    ith_parse_rfc3339(json_object_get_string(exp), &d->expires_at, NULL) < 0)
			d->expires_at = 0;
		d->same_token = tok && want && want->s && (size_t)json_object_get_string_len(tok) == want->len &&
			!memcmp(json_object_get_string(tok), want->s, want->len);
	}
	if (tok)  /* the parsed copy of the token: wiped before json-c frees it */
		ith_wipe((char *)json_object_get_string(tok), (size_t)json_object_get_string_len(tok));
	json_object_put(o);
	return 0;
}

int ith_vault_parse_login(const char *body, struct ith_secret *out, struct ith_strbuf *err)
{
	int r;
	json_object *o = parse_object(body, "vault login", err, &r), *ct;

	if (!o)
		return r;
	ct = ith_json_member(ith_json_member(o, "auth", json_type_object), "client_token", json_type_string);
	if (!ct || json_object_get_string_len(ct) == 0 || json_object_get_string_len(ct) > 4096) {
		json_object_put(o);
		return ith_err(err, ITH_ERR_API_MALFORMED, "vault login: no auth.client_token in the answer");
	}
	ith_secret_set(out, json_object_get_string(ct), (size_t)json_object_get_string_len(ct));
	ith_wipe((char *)json_object_get_string(ct), (size_t)json_object_get_string_len(ct));
	json_object_put(o);
	return 0;
}

const char *ith_vault_error_text(const struct ith_remote *rm, const char *body, char *out, size_t len)
{
	json_object *o = body && strlen(body) <= 65536 ? json_tokener_parse(body) : NULL, *e0;
	json_object *es = ith_json_member(o, "errors", json_type_array);

	out[0] = '\0';
	e0 = es && json_object_array_length(es) > 0 ? json_object_array_get_idx(es, 0) : NULL;
	if (e0 && json_object_is_type(e0, json_type_string))
		ith_remote_text(rm, json_object_get_string(e0), out, len < 201 ? len : 201);
	json_object_put(o);
	return out;
}

/* ---- auth ---- */

static void cred_key(const struct ith_sink *s, char *key, size_t len)
{
	snprintf(key, len, "vault approle %s|%s|%s", s->address, s->namespace ? s->namespace : "", s->role_id);
}

static int approle_login(struct vcall *c, struct ith_strbuf *err)
{
	const struct ith_sink *s = c->s;
	struct ith_secret sid = ITH_SECRET_INIT, tok = ITH_SECRET_INIT;
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	struct ith_strbuf url = ITH_STRBUF_INIT, body = ITH_STRBUF_INIT, ns = ITH_STRBUF_INIT;
	char what[4200], key[1024], msg[256];
	int r;

	snprintf(what, sizeof(what), "vault secret_id_file '%s'", s->secret_id_file);
	if ((r = ith_secret_file_load(s->secret_id_file, true, what, &sid, err)) < 0)
		return r;
	ith_remote_redact_add(c->rm, &sid);
	body.secret = true;
	json_object *j = json_object_new_object();
	json_object_object_add(j, "role_id", json_object_new_string(s->role_id));
	json_object_object_add(j, "secret_id", json_object_new_string_len(sid.s, (int)sid.len));
	ith_strbuf_addstr(&body, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	ith_wipe((char *)json_object_get_string(json_object_object_get(j, "secret_id")), sid.len);
	json_object_put(j);
	ith_secret_release(&sid);
	if (s->namespace)
		ith_strbuf_addf(&ns, "X-Vault-Namespace: %s", s->namespace);
	const char *hdr[] = { s->namespace ? ns.buf : NULL, NULL };
	ith_strbuf_addf(&url, "%s/v1/auth/approle/login", s->address);
	r = ith_remote_request(c->rm, "POST", url.buf, s->ca_file, hdr, body.buf, NULL, &a, err);
	if (r == 0 && a.status / 100 != 2)
		r = ith_err(err, a.status == 429 ? ITH_ERR_RATE_LIMITED : a.status >= 500 ? ITH_ERR_API_UNAVAILABLE :
			ITH_ERR_SINK_DENIED, "%s: AppRole login refused (HTTP %ld%s%s); check role_id and secret_id_file",
			c->where, a.status, ith_vault_error_text(c->rm, a.body.buf, msg, sizeof(msg))[0] ? ": " : "", msg);
	else if (r == 0 && (r = ith_vault_parse_login(a.body.buf, &tok, err)) == 0) {
		cred_key(s, key, sizeof(key));
		ith_remote_cred_set(c->rm, key, &tok);
	}
	ith_secret_release(&tok);
	ith_remote_answer_release(&a);
	ith_strbuf_release(&body);
	ith_strbuf_release(&url);
	ith_strbuf_release(&ns);
	return r;
}

/* The Vault token to send: AppRole's (logged in once per run, or again when fresh), or token_file's. */
static int vault_token(struct vcall *c, bool fresh, const struct ith_secret **out, struct ith_strbuf *err)
{
	char key[1024], what[4200];
	int r;

	if (c->s->auth == ITH_AUTH_TOKEN) {
		if (fresh || !c->file_token.s) {
			ith_secret_release(&c->file_token);
			snprintf(what, sizeof(what), "vault token_file '%s'", c->s->token_file);
			if ((r = ith_secret_file_load(c->s->token_file, true, what, &c->file_token, err)) < 0)
				return r;
			ith_remote_redact_add(c->rm, &c->file_token);
		}
		*out = &c->file_token;
		return 0;
	}
	cred_key(c->s, key, sizeof(key));
	if (fresh)
		ith_remote_cred_set(c->rm, key, NULL);
	if (!ith_remote_cred_get(c->rm, key) && (r = approle_login(c, err)) < 0)
		return r;
	*out = ith_remote_cred_get(c->rm, key);
	return *out ? 0 : ith_err(err, ITH_ERR_INTERNAL, "%s: no Vault token after login", c->where);
}

/* ---- calls ---- */

static int one_call(struct vcall *c, const struct ith_secret *tok, const char *method, const char *url,
	const char *json, struct ith_remote_answer *a, struct ith_strbuf *err)
{
	struct ith_strbuf h = ITH_STRBUF_INIT, ns = ITH_STRBUF_INIT;
	int r;

	h.secret = true;
	ith_strbuf_addstr(&h, "X-Vault-Token: ");
	ith_strbuf_add(&h, tok->s, tok->len);
	if (c->s->namespace)
		ith_strbuf_addf(&ns, "X-Vault-Namespace: %s", c->s->namespace);
	const char *hdr[] = { h.buf, c->s->namespace ? ns.buf : NULL, NULL };
	r = ith_remote_request(c->rm, method, url, c->s->ca_file, hdr, json, NULL, a, err);
	ith_strbuf_release(&h);
	ith_strbuf_release(&ns);
	return r;
}

/* An answer's status as a cause: 0 for 2xx; 404 ITH_ERR_API_NOT_FOUND (the caller decides); the rest per vault.h. */
static int status_cause(struct vcall *c, const char *method, const char *what, const struct ith_remote_answer *a,
	struct ith_strbuf *err)
{
	char msg[256];
	const char *sep;

	if (a->status / 100 == 2)
		return 0;
	ith_vault_error_text(c->rm, a->body.buf, msg, sizeof(msg));
	sep = msg[0] ? ": " : "";
	if (a->status == 404)
		return ITH_ERR_API_NOT_FOUND;
	if (a->status == 401 || a->status == 403)
		return ith_err(err, ITH_ERR_SINK_DENIED, "%s: permission denied on %s (%s, HTTP %ld%s%s); check the "
			"Vault policy of the role or token", c->where, what, method, a->status, sep, msg);
	if (a->status == 429)
		return ith_err(err, ITH_ERR_RATE_LIMITED, "%s: rate limited (HTTP 429); try again later", c->where);
	if (a->status >= 500)
		return ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s: Vault failed (%s %s, HTTP %ld%s%s)", c->where, method,
			what, a->status, sep, msg);
	return ith_err(err, ITH_ERR_API_REFUSED, "%s: Vault refused %s %s (HTTP %ld%s%s)", c->where, method, what,
		a->status, sep, msg);
}

/*
 * method on /v1/MOUNT/KIND/PATH. A 401/403: a fresh token (login again, or
 * the file read again) and one more try, once per publish. Returns the cause
 * of the status (status_cause), the answer in a.
 */
static int vcall(struct vcall *c, const char *method, const char *kind, const char *json,
	struct ith_remote_answer *a, struct ith_strbuf *err)
{
	struct ith_strbuf url = ITH_STRBUF_INIT;
	const struct ith_secret *tok;
	char what[600];
	int r;

	snprintf(what, sizeof(what), "%s/%s/%s", c->s->mount, kind, c->s->path);
	ith_strbuf_addf(&url, "%s/v1/%s", c->s->address, what);
	for (int n = 0;; n++) {
		bool fresh = n > 0;
		if ((r = vault_token(c, fresh, &tok, err)) < 0 ||
		    (r = one_call(c, tok, method, url.buf, json, a, err)) < 0)
			break;
		if ((a->status == 401 || a->status == 403) && !c->relogged) {
			c->relogged = true;
			continue;
		}
		r = status_cause(c, method, what, a, err);
		break;
	}
	ith_strbuf_release(&url);
	return r;
}

/* ---- publish ---- */

/* What is there now: the metadata (exists, ours, version) and, when ours, the data. */
struct remote_view {
	bool exists;
	struct ith_vault_meta meta;
	struct ith_vault_data data;
};

static int read_view(struct vcall *c, const struct ith_state_token *t, struct remote_view *v, struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	int r = vcall(c, "GET", "metadata", NULL, &a, err);

	memset(v, 0, sizeof(*v));
	if (r == ITH_ERR_API_NOT_FOUND)
		r = 0;
	else if (r == 0) {
		v->exists = true;
		r = ith_vault_parse_meta(a.body.buf, c->instance, &v->meta, err);
		/* ours: this instance's and this profile's (another profile's secret is not ours to write or delete) */
		v->meta.ours = v->meta.ours && !strcmp(v->meta.profile, c->profile);
	}
	if (r == 0 && v->exists && v->meta.ours && v->meta.version > 0) {
		r = vcall(c, "GET", "data", NULL, &a, err);
		if (r == ITH_ERR_API_NOT_FOUND)  /* the current version deleted: no data */
			r = 0;
		else if (r == 0)
			r = ith_vault_parse_data(a.body.buf, t ? &t->token : NULL, &v->data, err);
	}
	ith_remote_answer_release(&a);
	return r;
}

/* 1: done (the same token there), 0: write, or the cause (foreign, another rotator ahead). */
static int judge(struct vcall *c, const struct ith_state_token *t, const struct remote_view *v, struct ith_strbuf *err)
{
	struct ith_remote_seen seen = { v->exists, v->meta.ours, v->data.has ? v->data.token_id : NULL,
		v->data.same_token, v->data.expires_at };

	return ith_remote_judge(&seen, t, c->where, "path", err);
}

static char *data_json(const struct ith_state_token *t, long long cas)
{
	json_object *o = json_object_new_object(), *opt = json_object_new_object(), *d = json_object_new_object();
	char exp[40] = "";
	char *out;

	if (t->expires_at)
		ith_format_rfc3339(t->expires_at, exp, sizeof(exp));
	json_object_object_add(opt, "cas", json_object_new_int64(cas));
	json_object_object_add(d, "token", json_object_new_string_len(t->token.s, (int)t->token.len));
	json_object_object_add(d, "token_id", json_object_new_string(t->id));
	json_object_object_add(d, "expires_at", json_object_new_string(exp));
	json_object_object_add(o, "options", opt);
	json_object_object_add(o, "data", d);
	out = ith_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	ith_wipe((char *)json_object_get_string(json_object_object_get(d, "token")), t->token.len);
	ith_wipe((char *)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), strlen(out));
	json_object_put(o);
	return out;
}

static int write_marker(struct vcall *c, struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	json_object *o = json_object_new_object(), *cm = json_object_new_object();
	int r;

	json_object_object_add(cm, "managed-by", json_object_new_string(ITH_MARKER_VALUE));
	json_object_object_add(cm, "instance", json_object_new_string(c->instance));
	json_object_object_add(cm, "profile", json_object_new_string(c->profile));
	json_object_object_add(o, "custom_metadata", cm);
	json_object_object_add(o, "cas_required", json_object_new_boolean(1));
	r = vcall(c, "POST", "metadata", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), &a, err);
	json_object_put(o);
	ith_remote_answer_release(&a);
	if (r == ITH_ERR_API_NOT_FOUND)
		r = ith_err(err, ITH_ERR_API_REFUSED, "%s: writing its metadata answered 404", c->where);
	return r;
}

/* The CAS write; *stale when Vault says the version moved on. */
static int write_data(struct vcall *c, const struct ith_state_token *t, long long cas, bool *stale,
	struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	struct ith_strbuf lerr = ITH_STRBUF_INIT;
	char *json = data_json(t, cas), msg[256];
	int r = vcall(c, "POST", "data", json, &a, &lerr);

	*stale = a.status == 400 && strstr(ith_vault_error_text(c->rm, a.body.buf, msg, sizeof(msg)), "check-and-set");
	if (r == ITH_ERR_API_NOT_FOUND)
		r = ith_err(&lerr, ITH_ERR_API_REFUSED, "%s: the write answered 404 (is %s a KV v2 mount?)", c->where,
			c->s->mount);
	if (r < 0 && !*stale)
		ith_err_move(err, &lerr, r);
	ith_strbuf_release(&lerr);
	ith_freezero(json, strlen(json) + 1);
	ith_remote_answer_release(&a);
	return *stale ? 0 : r;
}

static int publish(struct vcall *c, const struct ith_state_token *t, bool *changed, struct ith_strbuf *err)
{
	struct remote_view v;
	bool stale = false;
	int r;

	for (int n = 0; n < 2; n++) {
		if ((r = read_view(c, t, &v, err)) < 0 || (r = judge(c, t, &v, err)) != 0)
			return r < 0 ? r : 0;  /* the same token there: nothing to write */
		/* a new secret: our marker first (metadata, version 0), so a write cut short after it is still ours */
		if (!v.exists && (r = write_marker(c, err)) < 0)
			return r;
		if ((r = write_data(c, t, v.meta.version, &stale, err)) < 0)
			return r;
		if (!stale) {
			*changed = true;
			return 0;
		}
	}
	return ith_err(err, ITH_ERR_SINK_CONFLICT, "%s: its version changed twice while we wrote (another rotator?); "
		"not retried further", c->where);
}

static void vcall_init(struct vcall *c, struct ith_remote *rm, const struct ith_sink *s, const char *instance,
	const char *profile)
{
	memset(c, 0, sizeof(*c));
	c->rm = rm;
	c->s = s;
	c->instance = instance;
	c->profile = profile;
	ith_sink_label(s, c->where, sizeof(c->where));
}

int ith_vault_publish(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *changed, struct ith_strbuf *err)
{
	struct vcall c;
	int r;

	*changed = false;
	vcall_init(&c, rm, s, instance, profile);
	ith_remote_redact_add(rm, &t->token);
	r = publish(&c, t, changed, err);
	ith_secret_release(&c.file_token);
	return r;
}

int ith_vault_holds(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *holds, struct ith_strbuf *err)
{
	struct remote_view v;
	struct vcall c;
	int r;

	vcall_init(&c, rm, s, instance, profile);
	ith_remote_redact_add(rm, &t->token);
	r = read_view(&c, t, &v, err);
	*holds = r == 0 && v.exists && v.meta.ours && v.data.has && v.data.same_token && !strcmp(v.data.token_id, t->id);
	ith_secret_release(&c.file_token);
	return r;
}

int ith_vault_remove(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile, bool *removed,
	struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	struct remote_view v;
	struct vcall c;
	int r;

	*removed = false;
	vcall_init(&c, rm, s, instance, profile);
	if ((r = read_view(&c, NULL, &v, err)) == 0 && v.exists && !v.meta.ours)
		r = ith_remote_foreign(c.where, "path", err);
	if (r == 0 && v.exists) {
		r = vcall(&c, "DELETE", "metadata", NULL, &a, err);
		if (r == ITH_ERR_API_NOT_FOUND)
			r = 0;
		else
			*removed = r == 0;
	}
	ith_remote_answer_release(&a);
	ith_secret_release(&c.file_token);
	return r;
}
