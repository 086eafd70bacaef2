#include "token.h"
#include "names.h"
#include "error.h"
#include "text.h"
#include "time.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ith_perms_release(struct ith_perms *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].resource);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void ith_token_release(struct ith_token *t)
{
	free(t->description);
	ith_perms_release(&t->perms);
	ith_secret_release(&t->access_token);
	memset(t, 0, sizeof(*t));
}

void ith_token_list_release(struct ith_token_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		ith_token_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void ith_perms_add(struct ith_perms *p, const char *action, const char *res)
{
	struct ith_perm *nv;

	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].action, action) && !strcmp(p->v[i].resource, res))
			return;
	nv = ith_xcalloc(p->n + 1, sizeof(*nv));
	if (p->n)
		memcpy(nv, p->v, p->n * sizeof(*nv));
	free(p->v);
	p->v = nv;
	snprintf(p->v[p->n].action, sizeof(p->v[p->n].action), "%s", action);
	p->v[p->n].resource = ith_xstrdup(res);
	p->n++;
}

void ith_perms_copy(struct ith_perms *dst, const struct ith_perms *src)
{
	dst->v = NULL;
	dst->n = 0;
	for (size_t i = 0; i < src->n; i++)
		ith_perms_add(dst, src->v[i].action, src->v[i].resource);
}

void ith_perms_from_lists(struct ith_perms *out, char *const *write, size_t nwrite,
	char *const *read, size_t nread)
{
	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < nread; i++)
		ith_perms_add(out, "read", read[i]);
	for (size_t i = 0; i < nwrite; i++)
		ith_perms_add(out, "write", write[i]);
}

static bool perms_contains(const struct ith_perms *p, const struct ith_perm *e)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].action, e->action) && !strcmp(p->v[i].resource, e->resource))
			return true;
	return false;
}

bool ith_perms_equal(const struct ith_perms *a, const struct ith_perms *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!perms_contains(b, &a->v[i]))
			return false;
	for (size_t i = 0; i < b->n; i++)
		if (!perms_contains(a, &b->v[i]))
			return false;
	return true;
}

void ith_perms_format(const struct ith_perms *p, struct ith_strbuf *out)
{
	for (size_t i = 0; i < p->n; i++) {
		char a[16], res[80];
		ith_strbuf_addf(out, "%s%s:%s", i ? "," : "", ith_safe_text(p->v[i].action, a, sizeof(a)),
			ith_safe_text(p->v[i].resource, res, sizeof(res)));
	}
	if (!p->n)
		ith_strbuf_addstr(out, "none");
}

/* ---- JSON ---- */

static int parse_text(const char *text, size_t len, json_object **out, struct ith_strbuf *err)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;

	if (len > ITH_JSON_MAX_BYTES)
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer is larger than %d bytes", ITH_JSON_MAX_BYTES);
	if (len == 0)
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer is empty where JSON was expected");
	tok = json_tokener_new_ex(ITH_JSON_MAX_DEPTH);
	if (!tok)
		return ith_err(err, ITH_ERR_NOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success && json_tokener_get_parse_end(tok) < len) {
		/* trailing bytes: allow whitespace only */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (!strchr(" \t\r\n", text[i])) {
				jerr = json_tokener_error_parse_unexpected;
				break;
			}
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !o) {
		json_object_put(o);
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer is not valid JSON (%s)",
			jerr == json_tokener_continue ? "truncated" : json_tokener_error_desc(jerr));
	}
	*out = o;
	return 0;
}

static int get_string_field(json_object *obj, const char *key, bool required, const char **out, struct ith_strbuf *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: token object has no '%s'", key);
		*out = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: '%s' is a %s, not a string", key,
			json_type_to_name(json_object_get_type(v)));
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: '%s' holds a NUL byte", key);
	return 0;
}

static int get_time_field(json_object *obj, const char *key, bool required, int64_t *out, struct ith_strbuf *err)
{
	const char *s = NULL;
	int r = get_string_field(obj, key, required, &s, err);

	if (r < 0)
		return r;
	*out = 0;
	if (s && (r = ith_parse_rfc3339(s, out, err)) < 0)
		return ith_err_prefix(err, r, "API answer: '%s'", key);  /* keeps the parser's own words */
	return 0;
}

static int parse_perms(json_object *arr, struct ith_perms *out, struct ith_strbuf *err)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: 'permissions' is not an array");
	n = json_object_array_length(arr);
	if (n > 4096)
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: too many permissions");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *action, *res;
		int r;

		if (!json_object_is_type(e, json_type_object))
			return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: permission %zu is not an object", i);
		if ((r = get_string_field(e, "action", true, &action, err)) < 0 ||
		    (r = get_string_field(e, "resource", true, &res, err)) < 0)
			return r;
		if (strcmp(action, "read") && strcmp(action, "write")) {
			char safe[24];
			return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: unknown permission action '%s'",
				ith_safe_text(action, safe, sizeof(safe)));
		}
		if (!ith_valid_db_name(res))
			return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: permission resource is not a database name");
		ith_perms_add(out, action, res);
	}
	return 0;
}

/* accessToken: required, of a plausible length, and fit for an HTTP header. */
static int access_token_from_obj(json_object *o, struct ith_secret *out, struct ith_strbuf *err)
{
	const char *s;
	size_t n;
	int r;

	if ((r = get_string_field(o, "accessToken", true, &s, err)) < 0)
		return r;
	n = strlen(s);
	if (n < 16 || n > 4096)
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: accessToken has an implausible length (%zu)", n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return ith_err(err, ITH_ERR_API_MALFORMED,
				"API answer: accessToken holds characters that cannot go in an HTTP header");
	ith_secret_set(out, s, n);
	return 0;
}

static int token_from_obj(json_object *o, bool want_secret, struct ith_token *out, struct ith_strbuf *err)
{
	struct ith_token t = ITH_TOKEN_INIT;
	const char *s;
	json_object *perms;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return ith_err(err, ITH_ERR_API_MALFORMED, "API answer: token is a %s, not an object",
			json_type_to_name(json_object_get_type(o)));
	if ((r = get_string_field(o, "id", true, &s, err)) < 0)
		goto out;
	if (!ith_is_uuid(s)) {
		r = ith_err(err, ITH_ERR_API_MALFORMED, "API answer: token id is not a UUID");
		goto out;
	}
	memcpy(t.id, s, ITH_UUID_LEN + 1);
	for (const char *const *k = (const char *const[]){ "accountId", "clusterId", NULL }; *k; k++) {
		if ((r = get_string_field(o, *k, false, &s, err)) < 0)
			goto out;
		if (s && !ith_is_uuid(s)) {
			r = ith_err(err, ITH_ERR_API_MALFORMED, "API answer: '%s' is not a UUID", *k);
			goto out;
		}
	}
	if ((r = get_string_field(o, "description", true, &s, err)) < 0)
		goto out;
	if (strlen(s) > 65536) {
		r = ith_err(err, ITH_ERR_API_MALFORMED, "API answer: description is too long");
		goto out;
	}
	t.description = ith_xstrdup(s);
	if (!json_object_object_get_ex(o, "permissions", &perms)) {
		r = ith_err(err, ITH_ERR_API_MALFORMED, "API answer: token object has no 'permissions'");
		goto out;
	}
	if ((r = parse_perms(perms, &t.perms, err)) < 0 ||
	    (r = get_time_field(o, "createdAt", false, &t.created_at, err)) < 0 ||
	    (r = get_time_field(o, "expiresAt", false, &t.expires_at, err)) < 0 ||
	    (r = get_time_field(o, "revokedAt", false, &t.revoked_at, err)) < 0)
		goto out;
	if (want_secret && (r = access_token_from_obj(o, &t.access_token, err)) < 0)
		goto out;
	*out = t;
	return 0;
out:
	ith_token_release(&t);
	return r;
}

/* json-c keeps string copies in its objects: wipe those that may hold secrets. */
static void wipe_json_secrets(json_object *o)
{
	json_object *v;

	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "accessToken", &v) &&
	    json_object_is_type(v, json_type_string))
		ith_wipe((void *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

int ith_token_parse_json(const char *text, size_t len, bool want_secret, struct ith_token *out, struct ith_strbuf *err)
{
	json_object *o = NULL;
	int r = parse_text(text, len, &o, err);

	if (r < 0)
		return r;
	r = token_from_obj(o, want_secret, out, err);
	wipe_json_secrets(o);
	json_object_put(o);
	return r;
}

/* ---- the list answer, streamed ---- */

#define LP_NOTES_MAX 5

enum lp_phase { LP_START, LP_BEFORE, LP_ELEM, LP_AFTER, LP_DONE };

struct ith_list_parser {
	char instance[ITH_UUID_LEN + 1];      /* "" keeps nothing */
	ith_note_fn note;
	void *note_ud;
	enum lp_phase phase;
	bool first;                           /* just after '[': ']' may follow */
	/* the element being framed */
	struct ith_strbuf elem;               /* secret: it could hold anything */
	bool oversized, scalar, in_str, esc;
	size_t depth;
	size_t bytes;
	struct ith_token_list list;
	size_t alloc;
	struct ith_list_stats st;
	int err;
};

static void lp_note(struct ith_list_parser *lp, const char *fmt, ...) ITH_PRINTF(2, 3);
static void lp_note(struct ith_list_parser *lp, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (++lp->st.skipped > LP_NOTES_MAX || !lp->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lp->note(lp->note_ud, msg);
}

struct ith_list_parser *ith_list_parser_new(const char *instance, ith_note_fn note, void *ud)
{
	struct ith_list_parser *lp = ith_xcalloc(1, sizeof(*lp));

	if (instance && ith_is_uuid(instance))
		memcpy(lp->instance, instance, sizeof(lp->instance));
	lp->note = note;
	lp->note_ud = ud;
	lp->elem.secret = true;
	return lp;
}

void ith_list_parser_reset(struct ith_list_parser *lp)
{
	ith_strbuf_release(&lp->elem);
	lp->elem.secret = true;
	ith_token_list_release(&lp->list);
	lp->alloc = 0;
	lp->phase = LP_START;
	lp->bytes = 0;
	lp->err = 0;
	memset(&lp->st, 0, sizeof(lp->st));
}

void ith_list_parser_free(struct ith_list_parser *lp)
{
	if (!lp)
		return;
	ith_list_parser_reset(lp);
	free(lp);
}

static int lp_keep(struct ith_list_parser *lp, json_object *o, const char *id, struct ith_strbuf *err)
{
	struct ith_token t = ITH_TOKEN_INIT;
	char shown[48];
	int r = token_from_obj(o, false, &t, err);

	if (r < 0)
		return ith_err_prefix(err, r, "token %s of the list (one of this instance's)", ith_safe_text(id, shown, 41));
	if (lp->list.n == lp->alloc) {
		struct ith_token *nv;
		lp->alloc = lp->alloc ? lp->alloc * 2 : 8;
		nv = ith_xcalloc(lp->alloc, sizeof(*nv));
		if (lp->list.n)
			memcpy(nv, lp->list.v, lp->list.n * sizeof(*nv));
		free(lp->list.v);
		lp->list.v = nv;
	}
	lp->list.v[lp->list.n++] = t;
	lp->st.ours++;
	return 0;
}

/* One element: ours (strict), foreign (opaque, counted) or skipped (noted). */
static int lp_classify(struct ith_list_parser *lp, json_object *o, size_t idx, struct ith_strbuf *err)
{
	json_object *v;
	const char *id, *desc = NULL;
	char inst[ITH_UUID_LEN + 1], prof[ITH_PROFILE_MAX + 1];

	if (!json_object_is_type(o, json_type_object)) {
		lp_note(lp, "list element %zu is a %s, not a token object: skipped", idx,
			json_type_to_name(json_object_get_type(o)));
		return 0;
	}
	if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_string)) {
		lp_note(lp, "list element %zu has no string id: skipped", idx);
		return 0;
	}
	id = json_object_get_string(v);
	if (json_object_object_get_ex(o, "description", &v) && json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v))
		desc = json_object_get_string(v);
	if (lp->instance[0] && ith_marker_parse(desc, inst, prof) && !strcmp(inst, lp->instance))
		return lp_keep(lp, o, id, err);
	lp->st.foreign++;
	if (json_object_object_get_ex(o, "revokedAt", &v) && !json_object_is_type(v, json_type_null))
		lp->st.revoked++;
	return 0;
}

static int lp_element_done(struct ith_list_parser *lp, struct ith_strbuf *err)
{
	size_t idx = lp->st.total++;
	json_tokener *tok;
	json_object *o;
	int r = 0;

	if (lp->oversized) {
		lp_note(lp, "list element %zu is larger than %d bytes: skipped", idx, ITH_LIST_ELEMENT_MAX);
		goto out;
	}
	if (!(tok = json_tokener_new_ex(ITH_JSON_MAX_DEPTH)))
		return ith_err(err, ITH_ERR_NOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, lp->elem.buf, (int)lp->elem.len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != lp->elem.len) {
		lp_note(lp, "list element %zu is not valid JSON: skipped", idx);
	} else {
		r = lp_classify(lp, o, idx, err);
		wipe_json_secrets(o);
	}
	json_object_put(o);
	json_tokener_free(tok);
out:
	ith_strbuf_release(&lp->elem);
	lp->elem.secret = true;
	return r;
}

static int lp_fail(struct ith_list_parser *lp, const char *what, struct ith_strbuf *err)
{
	return lp->err = ith_err(err, ITH_ERR_API_MALFORMED, "API answer: the token list %s (at byte %zu)", what, lp->bytes);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void lp_take(struct ith_list_parser *lp, const char *p, size_t n)
{
	if (lp->oversized || !n)
		return;
	if (lp->elem.len + n > ITH_LIST_ELEMENT_MAX) {
		lp->oversized = true;
		ith_strbuf_release(&lp->elem);
		lp->elem.secret = true;
		return;
	}
	ith_strbuf_add(&lp->elem, p, n);
}

/*
 * A byte outside an element: whitespace, '[', ',', ']'. Returns 1 when it
 * is consumed, 0 when it is an element's first byte (now in LP_ELEM), or
 * the error.
 */
static int lp_between(struct ith_list_parser *lp, char c, struct ith_strbuf *err)
{
	switch (lp->phase) {
	case LP_START:
		if (is_ws(c))
			return 1;
		if (c != '[')
			return lp_fail(lp, "is not a JSON array", err);
		lp->phase = LP_BEFORE;
		lp->first = true;
		return 1;
	case LP_BEFORE:
		if (is_ws(c))
			return 1;
		if (c == ']' && lp->first) {
			lp->phase = LP_DONE;
			return 1;
		}
		if (c == ']' || c == ',')
			return lp_fail(lp, "has an empty element", err);
		lp->phase = LP_ELEM;
		lp->oversized = false;
		lp->scalar = c != '{' && c != '[';
		lp->in_str = lp->esc = false;
		lp->depth = 0;
		return 0;  /* c is the element's first byte */
	case LP_ELEM:
		return 0;
	case LP_AFTER:
		if (is_ws(c))
			return 1;
		if (c == ',') {
			lp->phase = LP_BEFORE;
			lp->first = false;
		} else if (c == ']') {
			lp->phase = LP_DONE;
		} else {
			return lp_fail(lp, "lacks a ',' between elements", err);
		}
		return 1;
	case LP_DONE:
		if (!is_ws(c))
			return lp_fail(lp, "is followed by more bytes", err);
		return 1;
	}
	return 1;
}

/*
 * A byte of an element: sets *end_before when c ends a scalar (c is not
 * part of it), *end_after when c closes the element. Returns 0 or the error.
 */
static int lp_elem_byte(struct ith_list_parser *lp, char c, bool *end_before, bool *end_after, struct ith_strbuf *err)
{
	*end_before = *end_after = false;
	if (lp->in_str) {
		if (lp->esc)
			lp->esc = false;
		else if (c == '\\')
			lp->esc = true;
		else if (c == '"')
			lp->in_str = false;
	} else if (c == '"') {
		lp->in_str = true;
	} else if (lp->scalar && lp->depth == 0 && (c == ',' || c == ']' || is_ws(c))) {
		*end_before = true;
	} else if (lp->scalar && lp->depth == 0 && (c == '{' || c == '[')) {
		return lp_fail(lp, "lacks a ',' between elements", err);  /* "a"{...}: no value may hide in a scalar */
	} else if (c == '{' || c == '[') {
		lp->depth++;
	} else if (c == '}' || c == ']') {
		if (lp->depth == 0)
			return lp_fail(lp, "has unbalanced brackets", err);
		if (--lp->depth == 0 && !lp->scalar)
			*end_after = true;
	}
	return 0;
}

/* Frame elements: strings (with escapes) and nesting are tracked, values are parsed by json-c. */
int ith_list_parser_feed(struct ith_list_parser *lp, const char *buf, size_t len, struct ith_strbuf *err)
{
	size_t span = 0;   /* start in buf of the element bytes not yet taken */

	if (lp->err)
		return lp->err;
	if (len > ITH_LIST_MAX_BYTES - lp->bytes)
		return lp->err = ith_err(err, ITH_ERR_API_MALFORMED, "API answer: the token list is larger than %d bytes",
			ITH_LIST_MAX_BYTES);
	for (size_t i = 0; i < len; i++, lp->bytes++) {
		char c = buf[i];
		bool starts = lp->phase != LP_ELEM, end_before, end_after;
		int r = lp_between(lp, c, err);

		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (starts)
			span = i;
		if ((r = lp_elem_byte(lp, c, &end_before, &end_after, err)) < 0)
			return r;
		if (end_before || end_after) {
			lp_take(lp, buf + span, i - span + (end_after ? 1 : 0));
			if ((r = lp_element_done(lp, err)) < 0)
				return lp->err = r;
			lp->phase = LP_AFTER;
			if (end_before) {
				i--;  /* the delimiter belongs to LP_AFTER */
				lp->bytes--;
			}
		}
	}
	if (lp->phase == LP_ELEM)
		lp_take(lp, buf + span, len - span);
	return 0;
}

int ith_list_parser_finish(struct ith_list_parser *lp, struct ith_token_list *out, struct ith_list_stats *stats,
	struct ith_strbuf *err)
{
	if (lp->err)
		return lp->err;
	if (lp->phase == LP_START)
		return lp->err = ith_err(err, ITH_ERR_API_MALFORMED, "API answer is empty where the token list was expected");
	if (lp->phase != LP_DONE)
		return lp_fail(lp, "is truncated", err);
	if (lp->st.skipped > LP_NOTES_MAX && lp->note) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%zu more list elements skipped", lp->st.skipped - LP_NOTES_MAX);
		lp->note(lp->note_ud, msg);
	}
	*out = lp->list;
	lp->list.v = NULL;
	lp->list.n = 0;
	lp->alloc = 0;
	if (stats)
		*stats = lp->st;
	return 0;
}

int ith_token_list_parse_json(const char *text, size_t len, const char *instance, struct ith_token_list *out,
	struct ith_list_stats *stats, struct ith_strbuf *err)
{
	struct ith_list_parser *lp = ith_list_parser_new(instance, NULL, NULL);
	int r = ith_list_parser_feed(lp, text, len, err);

	if (r == 0)
		r = ith_list_parser_finish(lp, out, stats, err);
	ith_list_parser_free(lp);
	return r;
}

/* ---- marker ---- */

void ith_marker_format(const char *instance, const char *profile, struct ith_strbuf *out)
{
	ith_strbuf_addf(out, "%s%s:%s]", ITH_MARKER_PREFIX, instance, profile);
}

bool ith_marker_parse(const char *description, char *instance, char *profile)
{
	const char *m, *p, *end;
	size_t plen;

	if (!description)
		return false;
	m = strstr(description, ITH_MARKER_PREFIX);
	if (!m)
		return false;
	/* the last occurrence: a description could quote a marker */
	for (const char *n; (n = strstr(m + 1, ITH_MARKER_PREFIX));)
		m = n;
	p = m + strlen(ITH_MARKER_PREFIX);
	end = description + strlen(description);
	if (end - p < ITH_UUID_LEN + 3 || end[-1] != ']' || p[ITH_UUID_LEN] != ':')
		return false;
	char id[ITH_UUID_LEN + 1];
	memcpy(id, p, ITH_UUID_LEN);
	id[ITH_UUID_LEN] = '\0';
	if (!ith_is_uuid(id))
		return false;
	plen = (size_t)(end - 1 - (p + ITH_UUID_LEN + 1));
	if (plen < 1 || plen > ITH_PROFILE_MAX)
		return false;
	char name[ITH_PROFILE_MAX + 1];
	memcpy(name, p + ITH_UUID_LEN + 1, plen);
	name[plen] = '\0';
	if (!ith_valid_profile_ref(name))
		return false;
	memcpy(instance, id, sizeof(id));
	memcpy(profile, name, plen + 1);
	return true;
}

bool ith_token_owned(const struct ith_token *t, const char *instance, const char *profile)
{
	char inst[ITH_UUID_LEN + 1], prof[ITH_PROFILE_MAX + 1];

	return ith_marker_parse(t->description, inst, prof) && !strcmp(inst, instance) && !strcmp(prof, profile);
}
