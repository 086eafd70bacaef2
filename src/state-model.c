#include "state-model.h"
#include "error.h"
#include "text.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ith_state_init(struct ith_state *st, const char *instance)
{
	memset(st, 0, sizeof(*st));
	if (instance)
		snprintf(st->instance, sizeof(st->instance), "%s", instance);
}

void ith_state_token_release(struct ith_state_token *t)
{
	ith_secret_release(&t->token);
	ith_perms_release(&t->perms);
	memset(t, 0, sizeof(*t));
}

void ith_state_release(struct ith_state *st)
{
	ith_state_token_release(&st->current);
	ith_state_token_release(&st->next);
	ith_wipe(st, sizeof(*st));
}

void ith_state_retire(struct ith_state *st, const char *id, int64_t revoke_after, int64_t expires_at)
{
	for (size_t i = 0; i < st->nretired; i++)
		if (!strcmp(st->retired[i].id, id))
			return;
	if (st->nretired == ITH_MAX_RETIRED)
		ith_state_drop_retired(st, 0);
	struct ith_retired *r = &st->retired[st->nretired++];
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->revoke_after = revoke_after;
	r->expires_at = expires_at;
}

void ith_state_drop_retired(struct ith_state *st, size_t i)
{
	if (i >= st->nretired)
		return;
	memmove(&st->retired[i], &st->retired[i + 1], (st->nretired - i - 1) * sizeof(st->retired[0]));
	st->nretired--;
}

static struct ith_published *find_published(const struct ith_state *st, const char *key)
{
	for (size_t i = 0; i < st->npublished; i++)
		if (!strcmp(st->published[i].sink, key))
			return (struct ith_published *)&st->published[i];
	return NULL;
}

const char *ith_state_published(const struct ith_state *st, const char *key)
{
	const struct ith_published *e = find_published(st, key);

	return e ? e->id : NULL;
}

void ith_state_drop_published(struct ith_state *st, size_t i)
{
	if (i >= st->npublished)
		return;
	memmove(&st->published[i], &st->published[i + 1], (st->npublished - i - 1) * sizeof(st->published[0]));
	st->npublished--;
}

bool ith_state_set_published(struct ith_state *st, const char *key, const char *id)
{
	struct ith_published *e = find_published(st, key);

	if (e && !strcmp(e->id, id))
		return false;
	if (!e) {
		if (st->npublished == ITH_MAX_PUBLISHED)
			ith_state_drop_published(st, 0);
		e = &st->published[st->npublished++];
		snprintf(e->sink, sizeof(e->sink), "%s", key);
	}
	snprintf(e->id, sizeof(e->id), "%s", id);
	return true;
}

/* ---- JSON ---- */

static json_object *token_json(const struct ith_state_token *t, bool with_secrets)
{
	json_object *o = json_object_new_object(), *perms = json_object_new_array();

	json_object_object_add(o, "id", json_object_new_string(t->id));
	if (with_secrets)
		json_object_object_add(o, "token", json_object_new_string_len(t->token.s ? t->token.s : "", (int)t->token.len));
	json_object_object_add(o, "created_at", json_object_new_int64(t->created_at));
	json_object_object_add(o, "expires_at", json_object_new_int64(t->expires_at));
	json_object_object_add(o, "started_at", json_object_new_int64(t->started_at));
	for (size_t i = 0; i < t->perms.n; i++) {
		json_object *p = json_object_new_object();
		json_object_object_add(p, "action", json_object_new_string(t->perms.v[i].action));
		json_object_object_add(p, "resource", json_object_new_string(t->perms.v[i].resource));
		json_object_array_add(perms, p);
	}
	json_object_object_add(o, "permissions", perms);
	return o;
}

static void wipe_token_strings(json_object *root)
{
	static const char *const keys[] = { "current", "next", NULL };
	json_object *t, *s;

	for (const char *const *k = keys; *k; k++)
		if (json_object_object_get_ex(root, *k, &t) && json_object_is_type(t, json_type_object) &&
		    json_object_object_get_ex(t, "token", &s) && json_object_is_type(s, json_type_string))
			ith_wipe((void *)json_object_get_string(s), (size_t)json_object_get_string_len(s));
}

/* The publish record and the last publish's failure (both absent when empty: the file an older binary wrote). */
static void publish_to_json(json_object *root, const struct ith_state *st)
{
	const struct ith_publish_failure *f = &st->publish;

	if (st->npublished) {
		json_object *arr = json_object_new_array();
		for (size_t i = 0; i < st->npublished; i++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "sink", json_object_new_string(st->published[i].sink));
			json_object_object_add(e, "id", json_object_new_string(st->published[i].id));
			json_object_array_add(arr, e);
		}
		json_object_object_add(root, "published", arr);
	}
	if (f->since) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "since", json_object_new_int64(f->since));
		json_object_object_add(o, "sinks", json_object_new_int64((int64_t)f->sinks));
		json_object_object_add(o, "sink", json_object_new_string(f->sink));
		json_object_object_add(o, "error", json_object_new_string(f->error));
		json_object_object_add(root, "publish_failure", o);
	}
}

char *ith_state_to_json(const struct ith_state *st)
{
	return ith_state_to_json_ex(st, true, NULL);
}

char *ith_state_to_json_ex(const struct ith_state *st, bool with_secrets, const struct ith_public *pub)
{
	json_object *root = json_object_new_object(), *ret = json_object_new_array();
	char *out;

	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "instance", json_object_new_string(st->instance));
	if (st->has_current)
		json_object_object_add(root, "current", token_json(&st->current, with_secrets));
	if (st->has_next)
		json_object_object_add(root, "next", token_json(&st->next, with_secrets));
	for (size_t i = 0; i < st->nretired; i++) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "id", json_object_new_string(st->retired[i].id));
		json_object_object_add(r, "revoke_after", json_object_new_int64(st->retired[i].revoke_after));
		json_object_object_add(r, "expires_at", json_object_new_int64(st->retired[i].expires_at));
		if (st->retired[i].after_publish)
			json_object_object_add(r, "after_publish", json_object_new_boolean(true));
		json_object_array_add(ret, r);
	}
	json_object_object_add(root, "retired", ret);
	json_object_object_add(root, "pending_since", json_object_new_int64(st->pending_since));
	json_object_object_add(root, "rotations", json_object_new_int64((int64_t)st->rotations));
	json_object_object_add(root, "failures", json_object_new_int64((int64_t)st->failures));
	json_object_object_add(root, "last_rotation", json_object_new_int64(st->last_rotation));
	json_object_object_add(root, "last_attempt", json_object_new_int64(st->last_attempt));
	json_object_object_add(root, "last_error", json_object_new_string(st->last_error));
	json_object_object_add(root, "hook_failures", json_object_new_int64((int64_t)st->hook_failures));
	json_object_object_add(root, "last_hook_error", json_object_new_string(st->last_hook_error));
	json_object_object_add(root, "hook_pending", json_object_new_string(st->hook_pending));
	publish_to_json(root, st);
	if (st->removed_at)  /* a NAME@HOST whose host left hosts_file */
		json_object_object_add(root, "removed_at", json_object_new_int64(st->removed_at));
	if (pub) {
		json_object_object_add(root, "cluster_id", json_object_new_string(pub->cluster_id));
		json_object_object_add(root, "renew_at", json_object_new_int64(pub->renew_at));
	}
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	out = ith_xstrdup(text);
	ith_wipe((void *)text, strlen(text));
	wipe_token_strings(root);
	json_object_put(root);
	return out;
}

static int get_i64(json_object *o, const char *key, int64_t *out, struct ith_strbuf *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		*out = 0;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "'%s' is not an integer", key);
	*out = json_object_get_int64(v);
	return 0;
}

static int get_id(json_object *o, char *out, struct ith_strbuf *err)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_string) ||
	    !ith_is_uuid(json_object_get_string(v)))
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "a token entry has no valid 'id'");
	memcpy(out, json_object_get_string(v), ITH_UUID_LEN + 1);
	return 0;
}

static int token_from_json(json_object *o, bool need_secret, struct ith_state_token *t, struct ith_strbuf *err)
{
	json_object *v, *perms;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "a token entry is not an object");
	if ((r = get_id(o, t->id, err)) < 0 || (r = get_i64(o, "created_at", &t->created_at, err)) < 0 ||
	    (r = get_i64(o, "expires_at", &t->expires_at, err)) < 0 || (r = get_i64(o, "started_at", &t->started_at, err)) < 0)
		return r;
	if (!json_object_object_get_ex(o, "token", &v) || !json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) < 1) {
		if (need_secret)
			return ith_err(err, ITH_ERR_STATE_DAMAGED, "token entry %s has no secret", t->id);
	} else {
		ith_secret_set(&t->token, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	}
	if (json_object_object_get_ex(o, "permissions", &perms) && json_object_is_type(perms, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(perms); i++) {
			json_object *p = json_object_array_get_idx(perms, i), *a, *res;
			if (!json_object_is_type(p, json_type_object) || !json_object_object_get_ex(p, "action", &a) ||
			    !json_object_object_get_ex(p, "resource", &res) || !json_object_is_type(a, json_type_string) ||
			    !json_object_is_type(res, json_type_string))
				return ith_err(err, ITH_ERR_STATE_DAMAGED, "token entry %s has a bad permission", t->id);
			ith_perms_add(&t->perms, json_object_get_string(a), json_object_get_string(res));
		}
	}
	return 0;
}

int ith_state_from_json(const char *text, size_t len, struct ith_state *out, struct ith_strbuf *err)
{
	return ith_state_from_json_ex(text, len, true, out, err);
}

/* current, next and the retired list. */
static int tokens_from_json(json_object *root, bool need_secrets, struct ith_state *st, struct ith_strbuf *err)
{
	json_object *v;
	int r = 0;

	if (json_object_object_get_ex(root, "current", &v) && !json_object_is_type(v, json_type_null)) {
		if ((r = token_from_json(v, need_secrets, &st->current, err)) < 0)
			return r;
		st->has_current = true;
	}
	if (json_object_object_get_ex(root, "next", &v) && !json_object_is_type(v, json_type_null)) {
		if ((r = token_from_json(v, need_secrets, &st->next, err)) < 0)
			return r;
		st->has_next = true;
	}
	if (json_object_object_get_ex(root, "retired", &v) && json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v) && st->nretired < ITH_MAX_RETIRED; i++) {
			json_object *e = json_object_array_get_idx(v, i);
			struct ith_retired *rt = &st->retired[st->nretired];
			if (!json_object_is_type(e, json_type_object) || (r = get_id(e, rt->id, err)) < 0 ||
			    (r = get_i64(e, "revoke_after", &rt->revoke_after, err)) < 0 ||
			    (r = get_i64(e, "expires_at", &rt->expires_at, err)) < 0) {
				return r < 0 ? r : ith_err(err, ITH_ERR_STATE_DAMAGED, "bad retired entry");
			}
			json_object *ap;
			rt->after_publish = json_object_object_get_ex(e, "after_publish", &ap) &&
				json_object_is_type(ap, json_type_boolean) && json_object_get_boolean(ap);
			st->nretired++;
		}
	}
	return 0;
}

/* The counters, the last errors and the pending hook. */
static int counters_from_json(json_object *root, struct ith_state *st, struct ith_strbuf *err)
{
	json_object *v;
	int64_t n;
	int r;

	if ((r = get_i64(root, "pending_since", &st->pending_since, err)) < 0 ||
	    (r = get_i64(root, "last_rotation", &st->last_rotation, err)) < 0 ||
	    (r = get_i64(root, "last_attempt", &st->last_attempt, err)) < 0 ||
	    (r = get_i64(root, "removed_at", &st->removed_at, err)) < 0)
		return r;
	if ((r = get_i64(root, "rotations", &n, err)) < 0)
		return r;
	st->rotations = (uint64_t)n;
	if ((r = get_i64(root, "failures", &n, err)) < 0)
		return r;
	st->failures = (uint64_t)n;
	if (json_object_object_get_ex(root, "last_error", &v) && json_object_is_type(v, json_type_string))
		ith_safe_text(json_object_get_string(v), st->last_error, sizeof(st->last_error));
	if ((r = get_i64(root, "hook_failures", &n, err)) < 0)
		return r;
	st->hook_failures = (uint64_t)n;
	if (json_object_object_get_ex(root, "last_hook_error", &v) && json_object_is_type(v, json_type_string))
		ith_safe_text(json_object_get_string(v), st->last_hook_error, sizeof(st->last_hook_error));
	if (json_object_object_get_ex(root, "hook_pending", &v) && json_object_is_type(v, json_type_string) &&
	    ith_is_uuid(json_object_get_string(v)))
		memcpy(st->hook_pending, json_object_get_string(v), ITH_UUID_LEN + 1);
	return 0;
}

static bool is_sink_key(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n > 0 && n <= ITH_SINK_KEY_LEN && !s[n];
}

static int published_from_json(json_object *arr, struct ith_state *st, struct ith_strbuf *err)
{
	if (!json_object_is_type(arr, json_type_array))
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "'published' is not a list");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i), *k, *id;
		if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "sink", &k) ||
		    !json_object_is_type(k, json_type_string) || !is_sink_key(json_object_get_string(k)) ||
		    !json_object_object_get_ex(e, "id", &id) || !json_object_is_type(id, json_type_string) ||
		    !ith_is_uuid(json_object_get_string(id)))
			return ith_err(err, ITH_ERR_STATE_DAMAGED, "bad 'published' entry");
		ith_state_set_published(st, json_object_get_string(k), json_object_get_string(id));
	}
	return 0;
}

/* The publish record and the last publish's failure: both optional (a state an older binary wrote has neither). */
static int publish_from_json(json_object *root, struct ith_state *st, struct ith_strbuf *err)
{
	struct ith_publish_failure *f = &st->publish;
	json_object *v, *o;
	int64_t n;
	int r;

	if (json_object_object_get_ex(root, "published", &v) && v && (r = published_from_json(v, st, err)) < 0)
		return r;
	if (!json_object_object_get_ex(root, "publish_failure", &o) || !o)  /* absent or null: none */
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "'publish_failure' is not an object");
	if ((r = get_i64(o, "since", &f->since, err)) < 0 || (r = get_i64(o, "sinks", &n, err)) < 0)
		return r;
	if (f->since < 0 || n < 0 || n > 1000000)
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "bad 'publish_failure'");
	f->sinks = (unsigned)n;
	if (json_object_object_get_ex(o, "sink", &v) && json_object_is_type(v, json_type_string))
		ith_safe_text(json_object_get_string(v), f->sink, sizeof(f->sink));
	if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_string))
		ith_safe_text(json_object_get_string(v), f->error, sizeof(f->error));
	return 0;
}

int ith_state_from_json_ex(const char *text, size_t len, bool need_secrets, struct ith_state *out,
	struct ith_strbuf *err)
{
	json_tokener *tok = json_tokener_new_ex(ITH_JSON_MAX_DEPTH);
	json_object *root, *v;
	struct ith_state st;
	int r = 0;

	ith_state_init(&st, NULL);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success || !json_object_is_type(root, json_type_object)) {
		json_tokener_free(tok);
		json_object_put(root);
		return ith_err(err, ITH_ERR_STATE_DAMAGED, "not valid JSON");
	}
	json_tokener_free(tok);
	if (!json_object_object_get_ex(root, "version", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != 1) {
		r = ith_err(err, ITH_ERR_STATE_DAMAGED, "unknown state version");
		goto out;
	}
	if (!json_object_object_get_ex(root, "instance", &v) || !json_object_is_type(v, json_type_string) ||
	    !ith_is_uuid(json_object_get_string(v))) {
		r = ith_err(err, ITH_ERR_STATE_DAMAGED, "no valid instance id");
		goto out;
	}
	memcpy(st.instance, json_object_get_string(v), ITH_UUID_LEN + 1);
	if ((r = tokens_from_json(root, need_secrets, &st, err)) < 0 || (r = counters_from_json(root, &st, err)) < 0 ||
	    (r = publish_from_json(root, &st, err)) < 0)
		goto out;
	*out = st;
	memset(&st, 0, sizeof(st));
out:
	ith_state_release(&st);
	wipe_token_strings(root);
	json_object_put(root);
	return r;
}
