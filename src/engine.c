#include "engine.h"
#include "error.h"
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- context ---- */

int ith_ctx_init(struct ith_ctx *ctx, const struct ith_config *cfg, ith_log_fn log, void *ud)
{
	int r;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->log = log;
	ctx->log_ud = ud;
	ctx->lock_timeout_ms = (cfg->timeout * 4 + 30) * 1000;
	if ((r = ith_ensure_private_dir(cfg->state_dir)) < 0)
		return ith_error_prefix(r, "state_dir");
	if ((r = ith_instance_load(cfg->state_dir, ctx->instance, &ctx->instance_regenerated)) < 0)
		return r;
	return 0;
}

void ith_log(const struct ith_ctx *ctx, enum ith_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log(ctx->log_ud, lvl, msg);
}

static void trace(void *ud, const char *method, const char *path, long status, long ms)
{
	ith_log(ud, ITH_LOG_DEBUG, "%s %s -> %ld (%ld ms)", method, path, status, ms);
}

int ith_ctx_api(struct ith_ctx *ctx, struct ith_api **out)
{
	int r;

	if (!ctx->api) {
		if ((r = ith_mgmt_token_load(ctx->cfg, &ctx->mgmt)) < 0)
			return r;
		if ((r = ith_api_open(&ctx->api, ctx->cfg, &ctx->mgmt)) < 0)
			return r;
		ith_api_set_trace(ctx->api, trace, ctx);
	}
	*out = ctx->api;
	return 0;
}

void ith_ctx_release(struct ith_ctx *ctx)
{
	ith_api_close(ctx->api);
	ith_secret_release(&ctx->mgmt);
	memset(ctx, 0, sizeof(*ctx));
}

/* ---- arithmetic ---- */

int64_t ith_splay(const char *instance, const char *profile, int64_t renew_before)
{
	char key[ITH_UUID_LEN + ITH_NAME_MAX + 2];
	int64_t range = renew_before / 10;

	if (range <= 0)
		return 0;
	snprintf(key, sizeof(key), "%s:%s", instance, profile);
	return (int64_t)(ith_hash64(key) % (uint64_t)range);
}

int64_t ith_renew_at(int64_t expires_at, int64_t renew_before, int64_t splay)
{
	return expires_at - renew_before + splay;
}

bool ith_renewal_due(const struct ith_state *st, const struct ith_profile *p, const char *instance, int64_t now)
{
	if (!st->has_current)
		return true;
	return now >= ith_renew_at(st->current.expires_at, p->renew_before,
		ith_splay(instance, p->name, p->renew_before));
}

static bool fresh(const struct ith_state *st, const struct ith_profile *p, const char *instance, int64_t now,
	int64_t min_ttl)
{
	if (!st->has_current)
		return false;
	if (min_ttl >= 0)
		return st->current.expires_at - now >= min_ttl;
	return !ith_renewal_due(st, p, instance, now);
}

/* ---- helpers ---- */

static void state_token_copy(struct ith_state_token *dst, const struct ith_state_token *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->id, src->id, sizeof(dst->id));
	ith_secret_set(&dst->token, src->token.s, src->token.len);
	dst->created_at = src->created_at;
	dst->expires_at = src->expires_at;
	ith_perms_copy(&dst->perms, &src->perms);
}

static void record_failure(struct ith_state *st)
{
	st->failures++;
	snprintf(st->last_error, sizeof(st->last_error), "%s", ith_errmsg());
}

/* Save st after a failure without losing the failure's message. */
static int save_after_failure(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int r)
{
	char msg[1024];

	record_failure(st);
	snprintf(msg, sizeof(msg), "%s", ith_errmsg());
	if (ith_state_save(ctx->cfg->state_dir, p->name, st) < 0)
		ith_log(ctx, ITH_LOG_WARN, "%s: could not record the failure: %s", p->name, ith_errmsg());
	return ith_error(r, "%s", msg);
}

static bool known_id(const struct ith_state *st, const char *id)
{
	if ((st->has_current && !strcmp(st->current.id, id)) || (st->has_next && !strcmp(st->next.id, id)))
		return true;
	for (size_t i = 0; i < st->nretired; i++)
		if (!strcmp(st->retired[i].id, id))
			return true;
	return false;
}

/* DELETE that treats 404 as done. */
static int revoke_id(struct ith_ctx *ctx, struct ith_api *api, const char *profile, const char *id, const char *why)
{
	int r = ith_api_delete(api, id);

	if (r == ITH_E_NOTFOUND)
		r = 0;
	if (r == 0)
		ith_log(ctx, ITH_LOG_INFO, "%s: revoked token %s (%s)", profile, id, why);
	return r;
}

/*
 * Orphans: tokens with this instance's marker for this profile that the
 * state does not hold (a create whose answer was lost, a crash between
 * create and save). Revoked unless already revoked.
 */
static int sweep_orphans(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	const struct ith_state *st, unsigned *revoked)
{
	struct ith_token_list l = { NULL, 0 };
	int r = ith_api_list(api, &l);

	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n && r == 0; i++) {
		const struct ith_token *t = &l.v[i];
		if (!ith_token_owned(t, ctx->instance, p->name) || known_id(st, t->id) || t->revoked_at)
			continue;
		r = revoke_id(ctx, api, p->name, t->id, "orphan");
		if (r == 0)
			(*revoked)++;
	}
	ith_token_list_release(&l);
	return r;
}

static int revoke_due_retired(struct ith_ctx *ctx, struct ith_api **api, const struct ith_profile *p,
	struct ith_state *st, int64_t now, unsigned *revoked)
{
	int r = 0;

	for (size_t i = 0; i < st->nretired;) {
		if (st->retired[i].revoke_after > now) {
			i++;
			continue;
		}
		if (!*api && (r = ith_ctx_api(ctx, api)) < 0)
			return r;
		r = revoke_id(ctx, *api, p->name, st->retired[i].id, "grace over");
		if (r < 0)
			return r;
		ith_state_drop_retired(st, i);
		(*revoked)++;
	}
	return 0;
}

static int sync_sinks(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st, unsigned *written)
{
	int r = 0;

	if (!st->has_current)
		return 0;
	for (size_t i = 0; i < p->nsinks; i++) {
		bool changed = false;
		int e = ith_sink_sync(&p->sinks[i], p, &st->current, &changed);
		if (e < 0) {
			ith_log(ctx, ITH_LOG_WARN, "%s: sink %s: %s", p->name, p->sinks[i].path, ith_errmsg());
			if (r == 0)
				r = e;
			continue;
		}
		if (changed) {
			(*written)++;
			ith_log(ctx, ITH_LOG_INFO, "%s: wrote %s", p->name, p->sinks[i].path);
		}
	}
	return r;
}

static int create_token(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p, struct ith_state *st,
	int64_t now, struct ith_rotate_result *res)
{
	struct ith_strbuf desc = ITH_STRBUF_INIT;
	struct ith_perms perms;
	struct ith_token tok = ITH_TOKEN_INIT;
	int r;

	/* Record the intent first: if the answer is lost, the next run sweeps. */
	st->pending_since = now;
	st->last_attempt = now;
	if ((r = ith_state_save(ctx->cfg->state_dir, p->name, st)) < 0)
		return r;
	ith_strbuf_addf(&desc, "%s ", p->description);
	ith_marker_format(ctx->instance, p->name, &desc);
	ith_perms_from_lists(&perms, p->write.v, p->write.n, p->read.v, p->read.n);
	r = ith_api_create(api, desc.buf, &perms, now + p->lifetime, &tok);
	ith_strbuf_release(&desc);
	ith_perms_release(&perms);
	if (r < 0) {
		if (r == ITH_E_PERM)
			st->pending_since = 0;  /* refused outright: nothing was made */
		return r;
	}
	if (st->has_current) {
		ith_state_retire(st, st->current.id, now + p->grace, st->current.expires_at);
		snprintf(res->old_id, sizeof(res->old_id), "%s", st->current.id);
		ith_state_token_release(&st->current);
	}
	memcpy(st->current.id, tok.id, sizeof(tok.id));
	st->current.token = tok.access_token;  /* moved */
	tok.access_token.s = NULL;
	tok.access_token.len = 0;
	st->current.created_at = tok.created_at ? tok.created_at : now;
	st->current.expires_at = tok.expires_at;
	ith_perms_copy(&st->current.perms, &tok.perms);
	st->has_current = true;
	st->pending_since = 0;
	st->rotations++;
	st->last_rotation = now;
	st->last_error[0] = '\0';
	res->rotated = true;
	snprintf(res->new_id, sizeof(res->new_id), "%s", tok.id);
	ith_token_release(&tok);
	{
		char when[32];
		ith_format_rfc3339(st->current.expires_at, when, sizeof(when));
		ith_log(ctx, ITH_LOG_INFO, "%s: created token %s, expires %s", p->name, st->current.id, when);
	}
	return ith_state_save(ctx->cfg->state_dir, p->name, st);
}

/* The rotation proper, lock held, st loaded. Saves st. */
static int rotate_locked(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int flags,
	struct ith_rotate_result *res)
{
	struct ith_api *api = NULL;
	int64_t now = ith_now();
	bool due = (flags & ITH_ROTATE_FORCE) || ith_renewal_due(st, p, ctx->instance, now);
	int r = 0;

	if (due || st->pending_since) {
		if ((r = ith_ctx_api(ctx, &api)) < 0)
			goto fail;
	}
	if (st->pending_since) {
		ith_log(ctx, ITH_LOG_INFO, "%s: an earlier create did not finish; sweeping orphans", p->name);
		if ((r = sweep_orphans(ctx, api, p, st, &res->revoked)) < 0)
			goto fail;
		st->pending_since = 0;
		if ((r = ith_state_save(ctx->cfg->state_dir, p->name, st)) < 0)
			return r;
	}
	if (due && (r = create_token(ctx, api, p, st, now, res)) < 0)
		goto fail;
	r = sync_sinks(ctx, p, st, &res->sinks_written);
	if (r < 0)
		goto fail;
	if ((r = revoke_due_retired(ctx, &api, p, st, now, &res->revoked)) < 0)
		goto fail;
	if (res->rotated || res->revoked)
		return ith_state_save(ctx->cfg->state_dir, p->name, st);
	return 0;
fail:
	return save_after_failure(ctx, p, st, r);
}

int ith_rotate(struct ith_ctx *ctx, const struct ith_profile *p, int flags, struct ith_rotate_result *res)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_state st;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = ith_lock_acquire(ctx->cfg->state_dir, p->name, ctx->lock_timeout_ms, &lock)) < 0)
		return r;
	r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st);
	if (r == 0) {
		if (st.loaded_foreign)
			ith_log(ctx, ITH_LOG_WARN, "%s: state of another helper instance found (cloned disk?); "
				"starting afresh and leaving its tokens alone", p->name);
		r = rotate_locked(ctx, p, &st, flags, res);
		ith_state_release(&st);
	}
	ith_lock_release(&lock);
	return r;
}

int ith_get(struct ith_ctx *ctx, const struct ith_profile *p, int64_t min_ttl, struct ith_state_token *out,
	bool *stale)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_rotate_result res;
	struct ith_state st;
	int64_t now = ith_now();
	int r;

	*stale = false;
	if (min_ttl > p->lifetime - 60)
		return ith_error(ITH_E_USAGE, "--min-ttl %llds cannot be met: profile '%s' makes tokens that live %llds",
			(long long)min_ttl, p->name, (long long)p->lifetime);
	/* Fast path: no lock, no network. State files are replaced atomically. */
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st)) < 0)
		return r;
	if (fresh(&st, p, ctx->instance, now, min_ttl)) {
		state_token_copy(out, &st.current);
		ith_state_release(&st);
		return 0;
	}
	ith_state_release(&st);

	if ((r = ith_lock_acquire(ctx->cfg->state_dir, p->name, ctx->lock_timeout_ms, &lock)) < 0)
		return r;
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st)) < 0)
		goto out;
	now = ith_now();
	if (!fresh(&st, p, ctx->instance, now, min_ttl)) {
		/* Renewal not due by the window but the caller wants more: force. */
		int flags = st.has_current && !ith_renewal_due(&st, p, ctx->instance, now) ? ITH_ROTATE_FORCE : 0;
		memset(&res, 0, sizeof(res));
		r = rotate_locked(ctx, p, &st, flags, &res);
		if (r < 0) {
			if (st.has_current && st.current.expires_at > now) {
				char left[32];
				ith_format_duration(st.current.expires_at - now, left, sizeof(left));
				ith_log(ctx, ITH_LOG_WARN, "%s: could not renew (%s); serving the cached token, valid for %s more",
					p->name, ith_errmsg(), left);
				*stale = true;
				r = 0;
			} else {
				goto out;
			}
		}
	}
	if (!st.has_current) {
		r = ith_error(ITH_E_UNAVAILABLE, "%s: no token available", p->name);
		goto out;
	}
	state_token_copy(out, &st.current);
out:
	ith_state_release(&st);
	ith_lock_release(&lock);
	return r;
}

int ith_revoke_profile(struct ith_ctx *ctx, const struct ith_profile *p, unsigned *revoked)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_api *api;
	struct ith_state st;
	int r;

	*revoked = 0;
	if ((r = ith_ctx_api(ctx, &api)) < 0)
		return r;
	if ((r = ith_lock_acquire(ctx->cfg->state_dir, p->name, ctx->lock_timeout_ms, &lock)) < 0)
		return r;
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st)) < 0)
		goto out_unlock;
	/* Sinks first: a consumer should fail loudly, not keep a revoked token. */
	for (size_t i = 0; i < p->nsinks; i++)
		if ((r = ith_sink_remove(&p->sinks[i])) < 0)
			goto out;
	if (st.has_current) {
		if ((r = revoke_id(ctx, api, p->name, st.current.id, "decommission")) < 0)
			goto out;
		(*revoked)++;
		ith_state_token_release(&st.current);
		st.has_current = false;
	}
	if (st.has_next) {
		if ((r = revoke_id(ctx, api, p->name, st.next.id, "decommission")) < 0)
			goto out;
		(*revoked)++;
		ith_state_token_release(&st.next);
		st.has_next = false;
	}
	while (st.nretired) {
		if ((r = revoke_id(ctx, api, p->name, st.retired[0].id, "decommission")) < 0)
			goto out;
		(*revoked)++;
		ith_state_drop_retired(&st, 0);
	}
	if ((r = sweep_orphans(ctx, api, p, &st, revoked)) < 0)
		goto out;
	r = ith_state_remove(ctx->cfg->state_dir, p->name);
	goto out_unlock;
out:
	/* Keep what is left to revoke on record. */
	r = save_after_failure(ctx, p, &st, r);
out_unlock:
	ith_state_release(&st);
	ith_lock_release(&lock);
	return r;
}

const char *ith_role_name(enum ith_token_role r)
{
	switch (r) {
	case ITH_ROLE_CURRENT: return "current";
	case ITH_ROLE_NEXT: return "next";
	case ITH_ROLE_RETIRED: return "retired";
	case ITH_ROLE_ORPHAN: return "orphan";
	case ITH_ROLE_FORMER: return "former";
	default: return "unknown-profile";
	}
}

void ith_owned_release(struct ith_owned *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ith_token_release(&v[i].tok);
	free(v);
}

int ith_list_owned(struct ith_ctx *ctx, struct ith_owned **out, size_t *n)
{
	struct ith_token_list l = { NULL, 0 };
	struct ith_owned *v;
	struct ith_api *api;
	size_t k = 0;
	int64_t now = ith_now();
	int r;

	if ((r = ith_ctx_api(ctx, &api)) < 0 || (r = ith_api_list(api, &l)) < 0)
		return r;
	v = ith_xcalloc(l.n, sizeof(*v));
	for (size_t i = 0; i < l.n; i++) {
		char inst[ITH_UUID_LEN + 1], prof[ITH_NAME_MAX + 1];
		const struct ith_profile *p = NULL;
		struct ith_state st;

		if (!ith_marker_parse(l.v[i].description, inst, prof) || strcmp(inst, ctx->instance))
			continue;
		struct ith_owned *o = &v[k++];
		o->tok = l.v[i];
		memset(&l.v[i], 0, sizeof(l.v[i]));
		snprintf(o->profile, sizeof(o->profile), "%s", prof);
		o->revoked = o->tok.revoked_at != 0;
		o->expired = o->tok.expires_at && o->tok.expires_at <= now;
		o->role = ITH_ROLE_UNKNOWN_PROFILE;
		if (ith_config_profile(ctx->cfg, prof, &p) < 0)
			continue;
		o->role = o->revoked || o->expired ? ITH_ROLE_FORMER : ITH_ROLE_ORPHAN;
		if (ith_state_load(ctx->cfg->state_dir, prof, ctx->instance, &st) < 0)
			continue;
		if (st.has_current && !strcmp(st.current.id, o->tok.id))
			o->role = ITH_ROLE_CURRENT;
		else if (st.has_next && !strcmp(st.next.id, o->tok.id))
			o->role = ITH_ROLE_NEXT;
		else if (known_id(&st, o->tok.id))
			o->role = ITH_ROLE_RETIRED;
		ith_state_release(&st);
	}
	ith_error_clear();
	ith_token_list_release(&l);
	*out = v;
	*n = k;
	return 0;
}
