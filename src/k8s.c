#include "k8s.h"
#include "error.h"

#include "credential.h"
#include "text.h"
#include "time.h"
#include "url.h"
#include "fs.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kcall {
	struct ith_remote *rm;
	const struct ith_sink *s;
	const char *instance, *profile;
	bool reread;                    /* the one retry after a 401/403 is spent */
	struct ith_secret token;        /* the service-account token, read on each publish */
	char *server;
	const char *ca_file;
	char where[512];                /* "kubernetes secret NS/NAME", for messages */
};

void ith_base64(const char *s, size_t len, struct ith_strbuf *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)u[i] << 16 | (i + 1 < len ? (unsigned)u[i + 1] << 8 : 0) | (i + 2 < len ? u[i + 2] : 0);
		char q[4] = { tab[v >> 18 & 63], tab[v >> 12 & 63], i + 1 < len ? tab[v >> 6 & 63] : '=',
			i + 2 < len ? tab[v & 63] : '=' };
		ith_strbuf_add(out, q, 4);
	}
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v = ith_json_member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

/* Every value of o's data (secrets, ours or not), wiped in json-c's copy before it is freed. */
static void wipe_data(json_object *o)
{
	json_object *data = ith_json_member(o, "data", json_type_object);

	if (!data)
		return;
	json_object_object_foreach(data, k, val) {
		(void)k;
		if (json_object_is_type(val, json_type_string))
			ith_wipe((char *)json_object_get_string(val), (size_t)json_object_get_string_len(val));
	}
}

static bool same_b64(json_object *val, const struct ith_secret *want)
{
	struct ith_strbuf b = ITH_STRBUF_INIT;
	bool same;

	if (!val || !want || !want->s)
		return false;
	b.secret = true;
	ith_base64(want->s, want->len, &b);
	same = (size_t)json_object_get_string_len(val) == b.len && !memcmp(json_object_get_string(val), b.buf, b.len);
	ith_strbuf_release(&b);
	return same;
}

int ith_k8s_parse_secret(const char *body, const char *instance, const char *key, const struct ith_secret *want,
	struct ith_k8s_view *v, struct ith_strbuf *err)
{
	json_object *o = body ? json_tokener_parse(body) : NULL, *md, *ann, *rv, *val;
	const char *by, *in, *id, *exp;

	memset(v, 0, sizeof(*v));
	md = ith_json_member(o, "metadata", json_type_object);
	rv = ith_json_member(md, "resourceVersion", json_type_string);
	if (!md || !rv || json_object_get_string_len(rv) == 0 ||
	    json_object_get_string_len(rv) >= (int)sizeof(v->rv)) {
		json_object_put(o);
		return ith_err(err, ITH_ERR_API_MALFORMED, "kubernetes: the answer is not a Secret with a "
			"metadata.resourceVersion");
	}
	snprintf(v->rv, sizeof(v->rv), "%s", json_object_get_string(rv));
	ann = ith_json_member(md, "annotations", json_type_object);
	by = member_str(ith_json_member(md, "labels", json_type_object), ITH_K8S_MANAGED_BY);
	in = member_str(ann, ITH_K8S_ANN "instance");
	v->ours = by && in && !strcmp(by, "influx-token-helper") && !strcmp(in, instance);
	if ((in = member_str(ann, ITH_K8S_ANN "profile")) && strlen(in) < sizeof(v->profile))
		snprintf(v->profile, sizeof(v->profile), "%s", in);
	id = member_str(ann, ITH_K8S_ANN "token-id");
	exp = member_str(ann, ITH_K8S_ANN "expires-at");
	if (id && strlen(id) < sizeof(v->token_id))
		snprintf(v->token_id, sizeof(v->token_id), "%s", id);
	if (exp && *exp && ith_parse_rfc3339(exp, &v->expires_at, NULL) < 0)
		v->expires_at = 0;
	val = ith_json_member(ith_json_member(o, "data", json_type_object), key, json_type_string);
	v->same_token = same_b64(val, want);
	wipe_data(o);
	json_object_put(o);
	return 0;
}

/* ---- the connection: server, CA, token ---- */

static int kcall_init(struct kcall *c, struct ith_remote *rm, const struct ith_sink *s, const char *instance,
	const char *profile, struct ith_strbuf *err)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	struct ith_url u;

	memset(c, 0, sizeof(*c));
	c->rm = rm;
	c->s = s;
	c->instance = instance;
	c->profile = profile;
	ith_sink_label(s, c->where, sizeof(c->where));
	c->ca_file = s->ca_file;
	if (s->server) {
		c->server = ith_xstrdup(s->server);
		return 0;
	}
	if (!host || !*host)
		return ith_err(err, ITH_ERR_CONFIG, "%s: no server: set server, or run in a pod "
			"(KUBERNETES_SERVICE_HOST is not set)", c->where);
	ith_strbuf_addf(&sb, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port && *port ? port : "443");
	if (ith_url_parse(sb.buf, &u) || *u.path) {
		ith_strbuf_release(&sb);
		return ith_err(err, ITH_ERR_CONFIG, "%s: KUBERNETES_SERVICE_HOST/PORT do not make a URL", c->where);
	}
	c->server = ith_strbuf_detach(&sb);
	if (!c->ca_file)
		c->ca_file = ITH_K8S_SA_DIR "/ca.crt";
	return 0;
}

/*
 * kubelet's projected service-account token: "token" is a link into "..data/", swapped atomically on each
 * rotation, owned by root and readable by the pod. The way there is checked as a file that steers the program
 * (root's or ours, links root's or ours followed), then the file it leads to is read (not as a private file:
 * it is not ours to keep private). Read on every publish: it rotates.
 */
int ith_k8s_read_sa_token(const char *path, const char *what, struct ith_secret *out, struct ith_strbuf *err)
{
	char *real;
	int r;

	if ((r = ith_check_trusted_path(path, what, err)) < 0)
		return r;
	if (!(real = realpath(path, NULL)))
		return ith_err(err, ith_errno_cause(errno), "cannot resolve %s: %s", what, strerror(errno));
	r = ith_secret_file_load(real, false, what, out, err);
	free(real);
	return r;
}

static int read_token(struct kcall *c, struct ith_strbuf *err)
{
	char what[4200];
	const char *path = c->s->token_file ? c->s->token_file : ITH_K8S_SA_DIR "/token";
	int r;

	ith_secret_release(&c->token);
	snprintf(what, sizeof(what), "kubernetes token_file '%s'", path);
	/* a configured token_file is checked as the management token; kubelet's, as above */
	r = c->s->token_file ? ith_secret_file_load(path, true, what, &c->token, err)
			     : ith_k8s_read_sa_token(path, what, &c->token, err);
	if (r == 0)
		ith_remote_redact_add(c->rm, &c->token);
	return r;
}

static void kcall_release(struct kcall *c)
{
	ith_secret_release(&c->token);
	free(c->server);
}

static const char *status_text(const struct ith_remote *rm, const char *body, char *out, size_t len)
{
	json_object *o = body && strlen(body) <= 65536 ? json_tokener_parse(body) : NULL;
	const char *m = member_str(o, "message");

	out[0] = '\0';
	if (m)
		ith_remote_text(rm, m, out, len < 201 ? len : 201);
	json_object_put(o);
	return out;
}

static int status_cause(struct kcall *c, const char *method, const struct ith_remote_answer *a, struct ith_strbuf *err)
{
	char msg[256];
	const char *sep;

	if (a->status / 100 == 2 || a->status == 404 || a->status == 409)
		return 0;  /* the caller decides */
	sep = status_text(c->rm, a->body.buf, msg, sizeof(msg))[0] ? ": " : "";
	if (a->status == 401 || a->status == 403)
		return ith_err(err, ITH_ERR_SINK_DENIED, "%s: permission denied (%s, HTTP %ld%s%s); check the service "
			"account's token and its RBAC Role (get, update on this Secret; create in the namespace)", c->where,
			method, a->status, sep, msg);
	if (a->status == 429)
		return ith_err(err, ITH_ERR_RATE_LIMITED, "%s: rate limited (HTTP 429); try again later", c->where);
	if (a->status >= 500)
		return ith_err(err, ITH_ERR_API_UNAVAILABLE, "%s: the API server failed (%s, HTTP %ld%s%s)", c->where,
			method, a->status, sep, msg);
	return ith_err(err, ITH_ERR_API_REFUSED, "%s: the API server refused %s (HTTP %ld%s%s)", c->where, method,
		a->status, sep, msg);
}

/* One call on the Secret (named: its URL; else the namespace's collection); a 401/403 once: the token read again. */
static int kcall(struct kcall *c, const char *method, bool named, const char *json, struct ith_remote_answer *a,
	struct ith_strbuf *err)
{
	struct ith_strbuf url = ITH_STRBUF_INIT, h = ITH_STRBUF_INIT;
	int r = 0;

	ith_strbuf_addf(&url, "%s/api/v1/namespaces/%s/secrets%s%s", c->server, c->s->namespace, named ? "/" : "",
		named ? c->s->secret : "");
	h.secret = true;
	for (int n = 0; n < 2 && r == 0; n++) {
		if ((n > 0 || !c->token.s) && (r = read_token(c, err)) < 0)
			break;
		ith_strbuf_release(&h);
		h.secret = true;
		ith_strbuf_addstr(&h, "Authorization: Bearer ");
		ith_strbuf_add(&h, c->token.s, c->token.len);
		const char *hdr[] = { h.buf, NULL };
		if ((r = ith_remote_request(c->rm, method, url.buf, c->ca_file, hdr, json, NULL, a, err)) < 0)
			break;
		if ((a->status == 401 || a->status == 403) && !c->reread) {
			c->reread = true;
			continue;
		}
		r = status_cause(c, method, a, err);
		break;
	}
	ith_strbuf_release(&h);
	ith_strbuf_release(&url);
	return r;
}

/* ---- publish ---- */

static void set_str(json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val));
}

static json_object *child(json_object *o, const char *key)
{
	json_object *v = ith_json_member(o, key, json_type_object);

	if (!v) {
		v = json_object_new_object();
		json_object_object_add(o, key, v);
	}
	return v;
}

/* obj (the Secret read, or a new one) with our key, label and annotations; the JSON to send (a secret). */
static char *secret_json(struct kcall *c, json_object *obj, const struct ith_state_token *t)
{
	struct ith_strbuf b = ITH_STRBUF_INIT;
	json_object *md = child(obj, "metadata"), *ann, *data;
	char exp[40] = "";
	char *out;

	set_str(obj, "apiVersion", "v1");
	set_str(obj, "kind", "Secret");
	if (!ith_json_member(obj, "type", json_type_string))
		set_str(obj, "type", "Opaque");
	set_str(md, "name", c->s->secret);
	set_str(md, "namespace", c->s->namespace);
	set_str(child(md, "labels"), ITH_K8S_MANAGED_BY, "influx-token-helper");
	ann = child(md, "annotations");
	if (t->expires_at)
		ith_format_rfc3339(t->expires_at, exp, sizeof(exp));
	set_str(ann, ITH_K8S_ANN "instance", c->instance);
	set_str(ann, ITH_K8S_ANN "profile", c->profile);
	set_str(ann, ITH_K8S_ANN "token-id", t->id);
	set_str(ann, ITH_K8S_ANN "expires-at", exp);
	json_object_object_del(md, "managedFields");
	data = child(obj, "data");
	b.secret = true;
	ith_base64(t->token.s, t->token.len, &b);
	json_object_object_add(data, c->s->key, json_object_new_string_len(b.buf, (int)b.len));
	ith_strbuf_release(&b);
	out = ith_xstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	ith_wipe((char *)json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN), strlen(out));
	return out;
}

static void free_json(char *s)
{
	if (s)
		ith_freezero(s, strlen(s) + 1);
}

/* The Secret read, ours only when this instance's and this profile's (another profile's is not ours to write). */
static int parse_ours(struct kcall *c, const char *body, const struct ith_secret *want, struct ith_k8s_view *v,
	struct ith_strbuf *err)
{
	int r = ith_k8s_parse_secret(body, c->instance, c->s->key, want, v, err);

	v->ours = r == 0 && v->ours && !strcmp(v->profile, c->profile);
	return r;
}

/* 1: the same token there, 0: write it, or the cause. */
static int judge(struct kcall *c, const struct ith_state_token *t, const struct ith_k8s_view *v, struct ith_strbuf *err)
{
	struct ith_remote_seen seen = { true, v->ours, v->token_id, v->same_token, v->expires_at };

	return ith_remote_judge(&seen, t, c->where, "name", err);
}

/* One GET and write. *again: a 409 (the Secret changed, or was created, meanwhile). */
static int publish_once(struct kcall *c, const struct ith_state_token *t, bool *changed, bool *again,
	struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	struct ith_k8s_view v;
	json_object *obj = NULL;
	char *json = NULL;
	int r;

	*again = false;
	if ((r = kcall(c, "GET", true, NULL, &a, err)) < 0)
		goto out;
	if (a.status == 200 && (r = parse_ours(c, a.body.buf, &t->token, &v, err)) == 0 && (r = judge(c, t, &v, err)) == 0)
		obj = json_tokener_parse(a.body.buf);
	if (r != 0 || (a.status == 200 && !obj))
		goto out;
	if (a.status != 200 && a.status != 404) {
		r = ith_err(err, ITH_ERR_API_REFUSED, "%s: reading it answered HTTP %ld", c->where, a.status);
		goto out;
	}
	json = secret_json(c, obj ? obj : (obj = json_object_new_object()), t);
	r = kcall(c, a.status == 200 ? "PUT" : "POST", a.status == 200, json, &a, err);
	*again = r == 0 && a.status == 409;
	if (r == 0 && !*again && a.status / 100 != 2)
		r = ith_err(err, ITH_ERR_API_REFUSED, "%s: the write answered HTTP %ld", c->where, a.status);
	*changed = r == 0 && !*again;
out:
	wipe_data(obj);  /* it held the other keys' values, and ours */
	json_object_put(obj);
	free_json(json);
	ith_remote_answer_release(&a);
	return r < 0 ? r : 0;
}

int ith_k8s_publish(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *changed, struct ith_strbuf *err)
{
	struct kcall c;
	bool again = false;
	int r;

	*changed = false;
	if ((r = kcall_init(&c, rm, s, instance, profile, err)) == 0) {
		ith_remote_redact_add(rm, &t->token);
		for (int n = 0; n < 2 && r == 0; n++)
			if ((r = publish_once(&c, t, changed, &again, err)) == 0 && !again)
				break;
		if (r == 0 && again)
			r = ith_err(err, ITH_ERR_SINK_CONFLICT, "%s: it changed twice while we wrote (another rotator?); not "
				"retried further", c.where);
	}
	kcall_release(&c);
	return r;
}

int ith_k8s_holds(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *holds, struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	struct ith_k8s_view v;
	struct kcall c;
	int r;

	*holds = false;
	if ((r = kcall_init(&c, rm, s, instance, profile, err)) == 0) {
		ith_remote_redact_add(rm, &t->token);
		if ((r = kcall(&c, "GET", true, NULL, &a, err)) == 0 && a.status == 200 &&
		    (r = parse_ours(&c, a.body.buf, &t->token, &v, err)) == 0)
			*holds = v.ours && v.same_token && !strcmp(v.token_id, t->id);
		else if (r == 0 && a.status != 404)
			r = ith_err(err, ITH_ERR_API_REFUSED, "%s: reading it answered HTTP %ld", c.where, a.status);
	}
	ith_remote_answer_release(&a);
	kcall_release(&c);
	return r;
}

static int remove_it(struct kcall *c, bool *removed, struct ith_strbuf *err)
{
	struct ith_remote_answer a = ITH_REMOTE_ANSWER_INIT;
	struct ith_k8s_view v;
	json_object *o, *pre;
	int r = kcall(c, "GET", true, NULL, &a, err);

	if (r < 0 || a.status == 404)
		goto out;
	if (a.status != 200) {
		r = ith_err(err, ITH_ERR_API_REFUSED, "%s: reading it answered HTTP %ld", c->where, a.status);
		goto out;
	}
	if ((r = parse_ours(c, a.body.buf, NULL, &v, err)) < 0)
		goto out;
	if (!v.ours) {
		r = ith_remote_foreign(c->where, "name", err);
		goto out;
	}
	o = json_object_new_object();
	pre = json_object_new_object();
	set_str(o, "kind", "DeleteOptions");
	set_str(o, "apiVersion", "v1");
	set_str(pre, "resourceVersion", v.rv);
	json_object_object_add(o, "preconditions", pre);
	r = kcall(c, "DELETE", true, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), &a, err);
	json_object_put(o);
	if (r == 0 && a.status == 409)
		r = ith_err(err, ITH_ERR_SINK_CONFLICT, "%s: it changed while we deleted it; not deleted (run revoke again)",
			c->where);
	else if (r == 0 && a.status / 100 == 2)
		*removed = true;
out:
	ith_remote_answer_release(&a);
	return r;
}

int ith_k8s_remove(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile, bool *removed,
	struct ith_strbuf *err)
{
	struct kcall c;
	int r;

	*removed = false;
	if ((r = kcall_init(&c, rm, s, instance, profile, err)) == 0)
		r = remove_it(&c, removed, err);
	kcall_release(&c);
	return r;
}
