#include "engine.h"
#include "credential.h"
#include "error.h"
#include "hook.h"
#include "k8s.h"
#include "layout.h"
#include "output.h"
#include "plan.h"
#include "fs.h"
#include "text.h"
#include "time.h"
#include "trust.h"
#include "schedule.h"
#include "vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The planner's flags are the rotate flags. */
_Static_assert((int)ITH_PLAN_FORCE == (int)ITH_ROTATE_FORCE && (int)ITH_PLAN_WAIT == (int)ITH_ROTATE_WAIT &&
	(int)ITH_PLAN_DRY_RUN == (int)ITH_ROTATE_DRY_RUN, "plan.h and engine.h flags differ");

/* How much later than asked a server may set a new token's expiry. */
#define ITH_EXPIRY_SLACK 300
/* A clock skew with the server's Date header beyond this is reported. */
#define ITH_SKEW_WARN 120

/* ---- context ---- */

/* Read-only: use what exists, create nothing. */
static int ctx_init_readonly(struct ith_ctx *ctx, struct ith_strbuf *err)
{
	int fd, r;

	if (access(ctx->cfg->state_dir, F_OK) < 0 && errno == ENOENT)
		return 0;  /* nothing yet: every state reads empty */
	if ((fd = ith_open_dir_nofollow(ctx->cfg->state_dir, err)) < 0)
		return ith_err_prefix(err, fd, "state_dir");
	r = ith_check_private_fd(fd, ctx->cfg->state_dir, true, err);
	close(fd);
	if (r < 0)
		return ith_err_prefix(err, r, "state_dir");
	return ith_instance_peek(ctx->cfg->state_dir, ctx->instance, err);
}

int ith_ctx_init(struct ith_ctx *ctx, const struct ith_config *cfg, bool readonly, ith_log_fn log, void *ud,
	struct ith_strbuf *err)
{
	int r;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->log = log;
	ctx->log_ud = ud;
	/* a lock wait too ends by the command's deadline */
	ctx->lock_timeout_ms = (cfg->timeout * 4 + 30 < cfg->deadline ? cfg->timeout * 4 + 30 : cfg->deadline) * 1000;
	if (readonly)
		return ctx_init_readonly(ctx, err);
	if ((r = ith_ensure_private_dir(cfg->state_dir, err)) < 0)
		return ith_err_prefix(err, r, "state_dir");
	if ((r = ith_instance_load(cfg->state_dir, ctx->instance, &ctx->instance_regenerated, err)) < 0)
		return r;
	if (ctx->instance_regenerated)
		ith_log(ctx, ITH_LOG_WARN, "the machine id changed (a cloned image?): new instance id %s; tokens of the "
			"old one are left alone", ctx->instance);
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
	ith_sanitize_inplace(msg);
	ctx->log(ctx->log_ud, lvl, msg);
}

static void trace(void *ud, const char *method, const char *path, long status, long ms)
{
	ith_log(ud, ITH_LOG_DEBUG, "%s %s -> %ld (%ld ms)", method, path, status, ms);
}

int ith_ctx_api(struct ith_ctx *ctx, struct ith_api **out, struct ith_strbuf *err)
{
	int r;

	if (!ctx->api) {
		if ((r = ith_mgmt_token_load(ctx->cfg, &ctx->mgmt, err)) < 0)
			return r;
		if ((r = ith_api_open(&ctx->api, ctx->cfg, &ctx->mgmt, err)) < 0)
			return r;
		ith_api_set_trace(ctx->api, trace, ctx);
	}
	*out = ctx->api;
	return 0;
}

/*
 * The API handle, told the state's secrets (ith_api_redact_add): a server's
 * message that quotes the current or the next token is redacted like one
 * quoting the management token. Every path holding a state calls this, not
 * ith_ctx_api; a reused handle (watch, exec) learns each state it meets.
 */
static void know_state(struct ith_api *api, const struct ith_state *st)
{
	if (st->has_current)
		ith_api_redact_add(api, &st->current.token);
	if (st->has_next)
		ith_api_redact_add(api, &st->next.token);
}

static int state_api(struct ith_ctx *ctx, const struct ith_state *st, struct ith_api **out, struct ith_strbuf *err)
{
	int r = ith_ctx_api(ctx, out, err);

	if (r == 0)
		know_state(*out, st);
	return r;
}

void ith_ctx_release(struct ith_ctx *ctx)
{
	ith_api_close(ctx->api);
	ith_remote_close(ctx->remote);
	ith_secret_release(&ctx->mgmt);
	memset(ctx, 0, sizeof(*ctx));
}

void ith_rotate_result_release(struct ith_rotate_result *res)
{
	ith_strbuf_release(&res->plan);
}

/* ---- helpers ---- */

static void state_token_copy(struct ith_state_token *dst, const struct ith_state_token *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->id, src->id, sizeof(dst->id));
	ith_secret_set(&dst->token, src->token.s, src->token.len);
	dst->created_at = src->created_at;
	dst->expires_at = src->expires_at;
	dst->started_at = src->started_at;
	ith_perms_copy(&dst->perms, &src->perms);
}

/* With status_dir: the state's secret-free copy there (written when it differs); a failure is a warning. */
static void publish_status(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st)
{
	struct ith_strbuf perr = ITH_STRBUF_INIT;
	struct ith_public pub;

	if (!ctx->cfg->status_dir)
		return;
	memcpy(pub.cluster_id, ctx->cfg->cluster_id, sizeof(pub.cluster_id));
	pub.renew_at = st->has_current ? ith_token_renew_at(&st->current, p, ctx->instance) : 0;
	if (ith_state_publish(ctx->cfg->status_dir, p->name, st, &pub, &perr) < 0)
		ith_log(ctx, ITH_LOG_WARN, "%s: status_dir: %s", p->name, ith_err_msg(&perr));
	ith_strbuf_release(&perr);
}

/* Save the state; with status_dir, publish its secret-free copy too. */
static int save_state(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st,
	struct ith_strbuf *err)
{
	int r = ith_state_save(ctx->cfg->state_dir, p->name, st, err);

	if (r == 0)
		publish_status(ctx, p, st);
	return r;
}

/* Save st after a failure, counting it, without losing the failure's message. */
static int save_after_failure(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int r,
	struct ith_strbuf *err)
{
	struct ith_strbuf serr = ITH_STRBUF_INIT;  /* a warning: err keeps the failure */

	st->failures++;
	snprintf(st->last_error, sizeof(st->last_error), "%s", ith_err_msg(err));
	if (save_state(ctx, p, st, &serr) < 0)
		ith_log(ctx, ITH_LOG_WARN, "%s: could not record the failure: %s", p->name, ith_err_msg(&serr));
	ith_strbuf_release(&serr);
	return r;
}

/* Save st, a failure to do so only a warning (the caller's own outcome stands). */
static void save_quietly(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st)
{
	struct ith_strbuf serr = ITH_STRBUF_INIT;

	if (save_state(ctx, p, st, &serr) < 0)
		ith_log(ctx, ITH_LOG_WARN, "%s: could not save the state: %s", p->name, ith_err_msg(&serr));
	ith_strbuf_release(&serr);
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
static int revoke_id(struct ith_ctx *ctx, struct ith_api *api, const char *profile, const char *id, const char *why,
	struct ith_strbuf *err)
{
	struct ith_strbuf derr = ITH_STRBUF_INIT;  /* a 404 is no failure here */
	int r = ith_api_delete(api, id, &derr);

	if (r == ITH_ERR_API_NOT_FOUND) {
		ith_log(ctx, ITH_LOG_INFO, "%s: token %s was already gone (%s)", profile, id, why);
		r = 0;
	} else if (r == 0) {
		ith_log(ctx, ITH_LOG_INFO, "%s: revoked token %s (%s)", profile, id, why);
	}
	if (r < 0)
		return ith_err_move(err, &derr, r);
	ith_strbuf_release(&derr);
	return r;
}

/* Ours (this instance's exact marker for this profile), live, and not in the state. */
static bool is_orphan(const struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st,
	const struct ith_token *t)
{
	return ith_token_owned(t, ctx->instance, p->name) && !known_id(st, t->id) && !t->revoked_at;
}

/* Elements of a list answer that were not even a token: -v shows them. */
static void list_note(void *ud, const char *msg)
{
	ith_log(ud, ITH_LOG_DEBUG, "token list: %s", msg);
}

/* Before a list answer is read (list, check, a sweep): every profile's current and next known to the handle. */
static void know_all_states(struct ith_ctx *ctx, struct ith_api *api)
{
	struct ith_strbuf ignored = ITH_STRBUF_INIT;  /* a state that cannot be read has nothing to add */

	for (size_t i = 0; i < ctx->cfg->nprofiles; i++) {
		struct ith_state st;
		if (ith_state_load(ctx->cfg->state_dir, ctx->cfg->profiles[i].name, ctx->instance, &st, &ignored) < 0)
			continue;
		know_state(api, &st);
		ith_state_release(&st);
	}
	ith_strbuf_release(&ignored);
}

int ith_list_ours(struct ith_ctx *ctx, struct ith_api *api, struct ith_token_list *out, struct ith_list_stats *stats,
	struct ith_strbuf *err)
{
	struct ith_list_stats st;
	int r;

	know_all_states(ctx, api);
	r = ith_api_list(api, ctx->instance, list_note, ctx, out, &st, err);

	if (r == 0) {
		ith_log(ctx, ITH_LOG_DEBUG, "token list: %zu tokens, %zu of this instance, %zu of others (%zu of them "
			"revoked), %zu skipped", st.total, st.ours, st.foreign, st.revoked, st.skipped);
		if (stats)
			*stats = st;
	}
	return r;
}

/*
 * Orphans: tokens with this instance's marker for this profile that the
 * state does not hold (a create whose answer was lost, a crash between
 * create and save, a state file lost). One list call, then DELETE each.
 * plan: describe instead of revoking.
 */
static int sweep_orphans(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	const struct ith_state *st, unsigned *revoked, struct ith_strbuf *plan, struct ith_strbuf *err)
{
	struct ith_token_list l = { NULL, 0 };
	int r = ith_list_ours(ctx, api, &l, NULL, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < l.n && r == 0; i++) {
		if (!is_orphan(ctx, p, st, &l.v[i]))
			continue;
		if (plan) {
			ith_strbuf_addf(plan, "%s: would revoke %s (orphan)\n", p->name, l.v[i].id);
			continue;
		}
		r = revoke_id(ctx, api, p->name, l.v[i].id, "orphan", err);
		if (r == 0)
			(*revoked)++;
	}
	ith_token_list_release(&l);
	return r;
}

static int revoke_due_retired(struct ith_ctx *ctx, struct ith_api **api, const struct ith_profile *p,
	struct ith_state *st, int64_t now, unsigned *revoked, struct ith_strbuf *err)
{
	int r;

	for (size_t i = 0; i < st->nretired;) {
		if (!ith_retired_due(&st->retired[i], now)) {
			i++;
			continue;
		}
		if (!*api && (r = state_api(ctx, st, api, err)) < 0)
			return r;
		if ((r = revoke_id(ctx, *api, p->name, st->retired[i].id, "grace over", err)) < 0)
			return r;
		ith_state_drop_retired(st, i);
		(*revoked)++;
	}
	return 0;
}

/* The remote sinks' client, opened once per context (its deadline: management.deadline from now). */
static int ctx_remote(struct ith_ctx *ctx, struct ith_remote **out, struct ith_strbuf *err)
{
	int r;

	if (!ctx->remote && (r = ith_remote_open(&ctx->remote, ctx->cfg->connect_timeout, ctx->cfg->timeout,
	    ctx->cfg->deadline, err)) < 0)
		return r;
	*out = ctx->remote;
	return 0;
}

/* One sink written with t: a local file (output.h), or published to Vault or Kubernetes. */
static int sink_write(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_sink *s,
	const struct ith_state_token *t, bool *changed, struct ith_strbuf *err)
{
	struct ith_remote *rm;
	int r;

	if (!ith_sink_is_remote(s))
		return ith_sink_sync(s, p, t, changed, err);
	if ((r = ctx_remote(ctx, &rm, err)) < 0)
		return r;
	if (s->type == ITH_SINK_VAULT)
		return ith_vault_publish(rm, s, ctx->instance, p->name, t, changed, err);
	return ith_k8s_publish(rm, s, ctx->instance, p->name, t, changed, err);
}

/* One sink's published secret deleted (remote: only when ours), or its file removed. */
static int sink_delete(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_sink *s,
	struct ith_strbuf *err)
{
	struct ith_remote *rm;
	char label[512];
	bool removed = false;
	int r;

	if (!ith_sink_is_remote(s))
		return ith_sink_remove(s, err);
	if ((r = ctx_remote(ctx, &rm, err)) < 0)
		return r;
	if (s->type == ITH_SINK_VAULT)
		r = ith_vault_remove(rm, s, ctx->instance, p->name, &removed, err);
	else
		r = ith_k8s_remove(rm, s, ctx->instance, p->name, &removed, err);
	if (r == 0 && removed)
		ith_log(ctx, ITH_LOG_INFO, "%s: deleted %s", p->name, ith_sink_label(s, label, sizeof(label)));
	if (r == ITH_ERR_SINK_FOREIGN) {  /* not ours to delete; our tokens are still ours to revoke */
		ith_log(ctx, ITH_LOG_WARN, "%s: %s; left alone", p->name, ith_err_msg(err));
		r = 0;
	}
	return r;
}

/* ---- publishing: the sinks, their record, the publish failure, the grace held for it ---- */

/* One sink, when the planner says so (plan.h ith_plan_publish); its record follows a success. */
static int publish_sink(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st,
	const struct ith_sink *s, int flags, bool *wrote, bool *recorded, struct ith_strbuf *err)
{
	char key[ITH_SINK_KEY_LEN + 1];
	int r;

	ith_sink_key(s, key);
	switch (ith_plan_publish(st, key, !ith_sink_is_remote(s), flags)) {
	case ITH_PUBLISH_SKIP:
		return 0;
	case ITH_PUBLISH_COMPARE:  /* a local sink: written when its content differs */
	case ITH_PUBLISH_WRITE:    /* a remote sink: published (vault.h, k8s.h) */
		break;
	}
	if ((r = sink_write(ctx, p, s, &st->current, wrote, err)) < 0)
		return r;
	*recorded |= ith_state_set_published(st, key, st->current.id);
	return 0;
}

/*
 * The publish's outcome in the state. A failure: recorded (since its first
 * run in a row, the first failing sink and its message). Every sink holds
 * the current token: the failure (and the last error it left) is cleared
 * and the grace held for the publish starts now (schedule.h
 * ith_grace_start). Returns whether st changed.
 */
static bool publish_outcome(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, unsigned failed,
	const char *sink, const char *msg)
{
	struct ith_publish_failure *f = &st->publish;
	int64_t now = ith_now();
	bool was_failing = f->since != 0;
	unsigned started;

	if (failed) {
		if (!f->since)
			f->since = now;
		f->sinks = failed;
		ith_safe_text(sink, f->sink, sizeof(f->sink));
		ith_safe_text(msg, f->error, sizeof(f->error));
		return true;
	}
	memset(f, 0, sizeof(*f));
	if (was_failing) {
		/* the failure recorded last was this publish's (a run reaching the sinks got past the steps before):
		 * status is ok again, not failing */
		st->last_error[0] = '\0';
		ith_log(ctx, ITH_LOG_INFO, "%s: every sink holds token %s again", p->name, st->current.id);
	}
	if ((started = ith_grace_start(st, p, now)) != 0)
		ith_log(ctx, ITH_LOG_INFO, "%s: token %s is published to every sink: the %llds grace of %u retired "
			"token%s starts now", p->name, st->current.id, (long long)p->grace, started, started == 1 ? "" : "s");
	return was_failing || started;
}

/* Records of sinks no longer configured are dropped (a sink removed, or its path changed). */
static bool prune_records(const struct ith_profile *p, struct ith_state *st)
{
	char key[ITH_SINK_KEY_LEN + 1];
	bool dropped = false;

	for (size_t i = 0; i < st->npublished;) {
		bool configured = false;
		for (size_t j = 0; j < p->nsinks && !configured; j++) {
			ith_sink_key(&p->sinks[j], key);
			configured = !strcmp(key, st->published[i].sink);
		}
		if (configured) {
			i++;
			continue;
		}
		ith_state_drop_published(st, i);
		dropped = true;
	}
	return dropped;
}

/* A remote sink left alone by a run with no network whose record says it still needs the current token. */
static bool remote_pending(const struct ith_state *st, const struct ith_sink *s)
{
	char key[ITH_SINK_KEY_LEN + 1];

	ith_sink_key(s, key);
	return ith_plan_publish(st, key, false, 0) != ITH_PUBLISH_SKIP;
}

/*
 * Publish the current token to every sink that needs it; *changed: the state changed (record, failure, grace).
 * local_only (the cached path, no network): remote sinks are left alone, and while one of them still needs the
 * current token the publish is not complete (no grace starts).
 */
static int sync_sinks(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int flags,
	bool local_only, unsigned *written, bool *changed, struct ith_strbuf *err)
{
	char first[1024] = "", msg[768] = "", label[512], first_sink[512] = "";
	unsigned pending = 0;
	unsigned failed = 0;
	int r = 0;

	if (!st->has_current)
		return 0;
	for (size_t i = 0; i < p->nsinks; i++) {
		struct ith_strbuf serr = ITH_STRBUF_INIT;  /* each sink's own; the first one's is kept */
		const struct ith_sink *sk = &p->sinks[i];
		const char *target = ith_sink_label(sk, label, sizeof(label));
		bool wrote = false;
		if (local_only && ith_sink_is_remote(sk)) {
			pending += remote_pending(st, sk);
			ith_strbuf_release(&serr);
			continue;
		}
		int e = publish_sink(ctx, p, st, sk, flags, &wrote, changed, &serr);
		if (e < 0) {
			if (ith_sink_is_remote(sk))  /* its message names it */
				ith_log(ctx, ITH_LOG_WARN, "%s: %s", p->name, ith_err_msg(&serr));
			else
				ith_log(ctx, ITH_LOG_WARN, "%s: sink %s: %s", p->name, target, ith_err_msg(&serr));
			if (r == 0) {
				r = e;
				snprintf(first_sink, sizeof(first_sink), "%s", target);  /* label[] is the next sink's soon */
				snprintf(msg, sizeof(msg), "%s", ith_err_msg(&serr));
				if (ith_sink_is_remote(sk))  /* its message names it */
					snprintf(first, sizeof(first), "%s", msg);
				else
					snprintf(first, sizeof(first), "sink %s: %s", target, msg);
			}
			failed++;
		} else if (wrote) {
			(*written)++;
			ith_log(ctx, ITH_LOG_INFO, "%s: wrote %s", p->name, target);
		}
		ith_strbuf_release(&serr);
	}
	*changed |= prune_records(p, st);
	if (failed || !pending)
		*changed |= publish_outcome(ctx, p, st, failed, first_sink, msg);
	if (r < 0)  /* the first failure's own message, kept */
		ith_err(err, r, "%s: %s%s", p->name, first, failed > 1 ? " (and more sinks: see above)" : "");
	return r;
}

/*
 * Now in the server's time: from the Date header of the answer just
 * received, when there is one (else our clock). A skew beyond ITH_SKEW_WARN
 * is reported: the expiry we ask is our clock's, so a host far ahead would
 * ask (and get) a token that lives that much longer.
 */
static int64_t server_now(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p, int64_t now)
{
	int64_t at, date = ith_api_server_date(api, &at), skew;
	char d[32];

	if (!date)
		return now;
	skew = at - date;
	if (skew > ITH_SKEW_WARN || skew < -ITH_SKEW_WARN) {
		ith_format_duration(skew < 0 ? -skew : skew, d, sizeof(d));
		ith_log(ctx, ITH_LOG_WARN, "%s: the local clock is %s %s the server's (its Date header): new tokens' "
			"expiries are judged in the server's time; set the clock right (NTP)", p->name, d,
			skew > 0 ? "ahead of" : "behind");
	}
	return date + (now - at);
}

/*
 * Expiry is confirmed, never assumed: the create answer (or, when it shows
 * none, a GET of the token) must show an expiry in the future and no later
 * than asked (plus ITH_EXPIRY_SLACK), both judged in the server's time too
 * (its Date header), so a host clock far ahead does not buy a long-lived
 * token. Otherwise the token is revoked at once and never served, written or
 * recorded; the create intent stays open, so a token that could not be
 * revoked is swept as an orphan by the next run.
 */
/* A new token whose expiry could not be confirmed (what the server showed: what): revoked at once. */
static int refuse_token(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	const struct ith_token *tok, const char *what, struct ith_strbuf *err)
{
	struct ith_strbuf rerr = ITH_STRBUF_INIT;
	int r = revoke_id(ctx, api, p->name, tok->id, "expiry not confirmed", &rerr);

	if (r < 0)
		r = ith_err(err, ITH_ERR_API_MALFORMED, "%s: the server %s for new token %s; it is not used, and revoking "
			"it failed (%s): the next run revokes it", p->name, what, tok->id, ith_err_msg(&rerr));
	ith_strbuf_release(&rerr);
	if (r < 0)
		return r;
	return ith_err(err, ITH_ERR_API_MALFORMED, "%s: the server %s for new token %s; it was revoked at once and not used",
		p->name, what, tok->id);
}

static int confirm_expiry(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	struct ith_token *tok, int64_t asked, struct ith_strbuf *err)
{
	char when[32], what[128];
	int64_t now, snow;
	int r;

	if (!tok->expires_at) {
		struct ith_token g = ITH_TOKEN_INIT;
		ith_log(ctx, ITH_LOG_DEBUG, "%s: the create answer shows no expiry; asking for token %s", p->name, tok->id);
		if ((r = ith_api_get(api, tok->id, &g, err)) < 0)
			return ith_err_prefix(err, r, "%s: token %s was created but its expiry could not be confirmed; it is "
				"not used, and the next run revokes it", p->name, tok->id);
		if (strcmp(g.id, tok->id))
			r = ith_err(err, ITH_ERR_API_MALFORMED, "the server answered the GET of token %s with another token", tok->id);
		tok->expires_at = g.expires_at;
		ith_token_release(&g);
		if (r < 0)
			return r;
	}
	now = ith_now();
	snow = server_now(ctx, api, p, now);
	ith_format_rfc3339(tok->expires_at, when, sizeof(when));
	if (!tok->expires_at) {
		snprintf(what, sizeof(what), "shows no expiry (the token would never expire)");
	} else if (ith_expired(tok->expires_at, now) || ith_expired(tok->expires_at, snow)) {
		snprintf(what, sizeof(what), "shows an expiry in the past (%s)%s", when, !ith_expired(tok->expires_at, now) ?
			" in the server's time" : "");
	} else if (tok->expires_at > asked + ITH_EXPIRY_SLACK || tok->expires_at > snow + p->lifetime + ITH_EXPIRY_SLACK) {
		snprintf(what, sizeof(what), "shows an expiry later than asked%s (%s)", tok->expires_at <= asked +
			ITH_EXPIRY_SLACK ? " in the server's time" : "", when);
	} else {
		if (ith_short_lived(tok->expires_at, asked - p->lifetime, p->renew_before))  /* from the create's start */
			ith_log(ctx, ITH_LOG_WARN, "%s: the server made token %s live only %llds, no longer than renew_before "
				"(%llds): it is renewed at half its life; lower renew_before to fit the cluster's limit",
				p->name, tok->id, (long long)(tok->expires_at - (asked - p->lifetime)), (long long)p->renew_before);
		return 0;
	}
	return refuse_token(ctx, api, p, tok, what, err);
}

/*
 * Create the next token. The intent (pending_since) is saved first, so that
 * a token whose answer is lost is swept later; *attempts is the number of
 * create requests sent (more than one: an earlier one may have committed).
 */
static int create_next(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p, struct ith_state *st,
	const struct ith_perms *perms, int64_t now, unsigned *attempts, struct ith_rotate_result *res, struct ith_strbuf *err)
{
	struct ith_strbuf desc = ITH_STRBUF_INIT;
	struct ith_token tok = ITH_TOKEN_INIT;
	int64_t asked = now + p->lifetime;
	char when[32];
	int r;

	int64_t pending_before = st->pending_since;
	bool own_intent = !pending_before;

	if (st->has_next)  /* the plan drops a pending next first: it is never forgotten */
		return ith_err(err, ITH_ERR_INTERNAL, "%s: a create while token %s is pending", p->name, st->next.id);

	/* the intent runs from the latest create's start: its attempts may commit until the in-flight window ends */
	st->pending_since = now;
	st->last_attempt = now;
	if ((r = save_state(ctx, p, st, err)) < 0)
		return r;
	ith_strbuf_addf(&desc, "%s ", p->description);
	ith_marker_format(ctx->instance, p->name, &desc);
	r = ith_api_create(api, desc.buf, perms, asked, &tok, err);
	*attempts = ith_api_last_attempts(api);
	ith_strbuf_release(&desc);
	if (r < 0) {
		if (ith_api_last_refused(api) && own_intent)
			st->pending_since = 0;  /* refused outright, and no earlier create in flight */
		else if (ith_api_last_refused(api))
			st->pending_since = pending_before;  /* nothing made now: the earlier intent's window stands */
		return r;
	}
	if ((r = confirm_expiry(ctx, api, p, &tok, asked, err)) < 0) {
		ith_token_release(&tok);  /* wipes the secret */
		return r;
	}
	memcpy(st->next.id, tok.id, sizeof(tok.id));
	st->next.token = tok.access_token;  /* moved, not copied */
	tok.access_token.s = NULL;
	tok.access_token.len = 0;
	st->next.created_at = tok.created_at ? tok.created_at : now;
	st->next.expires_at = tok.expires_at;
	st->next.started_at = now;
	ith_perms_copy(&st->next.perms, &tok.perms);
	st->has_next = true;
	res->created = true;
	snprintf(res->new_id, sizeof(res->new_id), "%s", tok.id);
	ith_token_release(&tok);
	ith_format_rfc3339(st->next.expires_at, when, sizeof(when));
	ith_log(ctx, ITH_LOG_INFO, "%s: created token %s, expires %s", p->name, st->next.id, when);
	/* one attempt, answer received: nothing else was made now. Its intent closes (an earlier one keeps its own
	 * window) in the save that records the token, so a run stopped after it (killed while it waits for the
	 * activation) leaves no intent of its own to sweep */
	if (*attempts == 1)
		st->pending_since = pending_before;
	return save_state(ctx, p, st, err);
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* What a probe answer means. */
enum probe_verdict { PROBE_ACTIVE, PROBE_NOT_YET, PROBE_FAILED };

static enum probe_verdict probe_verdict(int r, long status)
{
	if (r < 0)
		return PROBE_FAILED;
	if (status / 100 == 2)
		return PROBE_ACTIVE;
	if (status == 401 || status == 403)
		return PROBE_NOT_YET;
	return PROBE_FAILED;
}

/* "HTTP 404 (...)" or the connection error, for messages. */
static void probe_describe(int r, long status, char *out, size_t len, struct ith_strbuf *err)
{
	if (r < 0)
		snprintf(out, len, "no answer (%s): is the data plane at cluster_url reachable?", ith_err_msg(err));
	else if (status == 401 || status == 403)
		snprintf(out, len, "HTTP %ld (not active yet)", status);
	else if (status == 404)
		snprintf(out, len, "HTTP 404: cluster_url or the probed database is wrong");
	else if (status >= 500)
		snprintf(out, len, "HTTP %ld: the data plane is failing", status);
	else
		snprintf(out, len, "HTTP %ld: not an answer a database token gets; check cluster_url", status);
}

/* activation "delay": active once activation_timeout (and a second) has passed; with wait, sleeps until then. */
static bool delay_active(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st, bool wait,
	int64_t now, int64_t stop)
{
	int64_t deadline = ith_delay_active_at(&st->next, p);

	if (now < deadline && wait) {
		int64_t until = deadline < stop ? deadline : stop;
		ith_log(ctx, ITH_LOG_INFO, "%s: waiting %llds for token %s to activate%s", p->name,
			(long long)(until - now), st->next.id, until < deadline ? " (capped by management.deadline)" : "");
		if (until > now)
			sleep_s((double)(until - now));
		now = ith_now();
	}
	return now >= deadline;
}

/* What the consumers have while the next token is not active. */
static const char *meanwhile(const struct ith_state *st, int64_t now)
{
	return st->has_current && !ith_expired(st->current.expires_at, now) ? "consumers keep the current token" :
		"consumers have no valid token meanwhile";
}

/* activation "probe": probes db until active, or (with wait) until deadline or stop; see next_active. */
static bool probe_active(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	const struct ith_state *st, bool wait, int64_t stop, const char *db, bool write, bool *failed, struct ith_strbuf *err)
{
	int64_t deadline = ith_activation_end(&st->next, p), now;
	double backoff = ITH_PROBE_PAUSE_FIRST;
	long reported = -1;
	char seen[320];

	for (;;) {
		long status = 0;
		int r = ith_api_probe(api, ctx->cfg->cluster_url, &st->next.token, db, write, &status, err);
		enum probe_verdict v = probe_verdict(r, status);

		if (r < 0 && api && ith_api_ms_left(api) < 100) {
			/* cut short by the command's own deadline: no verdict on the data plane */
			snprintf(seen, sizeof(seen), "no answer before the command's deadline (management.deadline)");
			*failed = false;
			now = ith_now();
			if (wait)
				ith_log(ctx, ITH_LOG_WARN, "%s: token %s is not active after %llds, the command's deadline (last "
					"probe: %s); %s, the next run tries again", p->name, st->next.id,
					(long long)(now - st->next.started_at), seen, meanwhile(st, now));
			return false;
		}

		if (v == PROBE_ACTIVE) {
			ith_log(ctx, ITH_LOG_DEBUG, "%s: token %s is active (probe answered %ld)", p->name, st->next.id, status);
			return true;
		}
		probe_describe(r, status, seen, sizeof(seen), err);
		*failed = v == PROBE_FAILED;
		if (*failed && reported != (r < 0 ? 0 : status)) {
			reported = r < 0 ? 0 : status;
			ith_log(ctx, ITH_LOG_WARN, "%s: activation probe of token %s failed: %s; it is not promoted",
				p->name, st->next.id, seen);
		} else {
			ith_log(ctx, ITH_LOG_DEBUG, "%s: probe: %s", p->name, seen);
		}
		now = ith_now();
		/* the next probe must start by activation_timeout, and a second before the command's deadline */
		int64_t end = deadline < stop - 1 ? deadline : stop - 1;
		if (!wait || now >= end) {
			if (wait)
				ith_log(ctx, ITH_LOG_WARN, "%s: token %s is not active after %llds%s (last probe: %s); %s, the "
					"next run tries again", p->name, st->next.id,
					(long long)(now < deadline ? now - st->next.started_at : p->activation_timeout),
					now < deadline ? ", the command's deadline (management.deadline)" : "", seen, meanwhile(st, now));
			if (*failed)
				ith_err(err, ITH_ERR_ACTIVATION, "%s: activation probe of token %s failed: %s", p->name,
					st->next.id, seen);
			return false;
		}
		sleep_s(backoff < (double)(end - now) ? backoff : (double)(end - now));
		backoff = ith_probe_pause_next(backoff);
	}
}

/*
 * Is the next token active? none: yes. delay: once activation_timeout has
 * passed since its creation. probe: once the data plane answers 2xx to it;
 * 401/403 mean not yet; 404, other answers and no answer are probe failures,
 * reported and never taken as active. With wait, polls (capped exponential
 * backoff) until activation_timeout after creation; without, looks once.
 * deferred: the plan leaves the probe to rotate (a get with a valid current
 * token). *failed: the last probe failed (not merely "not yet").
 */
static bool next_active(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	const struct ith_state *st, bool wait, bool deferred, bool *failed, struct ith_strbuf *err)
{
	int64_t now = ith_now();
	/* no wait beyond the command's deadline (management.deadline) */
	int64_t stop = now + (api ? ith_api_ms_left(api) / 1000 : ctx->cfg->deadline);
	const char *db;
	bool write;

	*failed = false;
	switch (p->activation) {
	case ITH_ACT_NONE:
		return true;
	case ITH_ACT_DELAY:
		return delay_active(ctx, p, st, wait, now, stop);
	case ITH_ACT_PROBE:
		break;
	}
	if (!ith_probe_target(p, &db, &write))
		return false;  /* the loader refuses this: nothing to probe, so nothing is promoted */
	if (deferred) {
		/* get never waits for an activation: a valid current token is served, rotate or watch probes */
		ith_log(ctx, ITH_LOG_DEBUG, "%s: token %s is probed by rotate, not get", p->name, st->next.id);
		return false;
	}
	return probe_active(ctx, api, p, st, wait, stop, db, write, failed, err);
}

/* Retire token t, to be revoked from revoke_after. */
static void retire(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st,
	const struct ith_state_token *t, int64_t revoke_after, int64_t now)
{
	if (st->nretired >= ITH_MAX_RETIRED) {
		/* the oldest retired token leaves the state: open an intent, so the next run sweeps it */
		ith_log(ctx, ITH_LOG_WARN, "%s: %d retired tokens await revocation; the oldest is left to the next "
			"run's sweep", p->name, ITH_MAX_RETIRED);
		if (!st->pending_since)
			st->pending_since = now;
	}
	ith_state_retire(st, t->id, revoke_after, t->expires_at);
}

/* Switch: next becomes current, the old current is retired for its grace. */
static void promote(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int64_t now,
	struct ith_rotate_result *res)
{
	if (st->has_current) {
		retire(ctx, p, st, &st->current, ith_grace_end(p, now), now);
		ith_grace_hold(st, p, st->current.id);  /* its grace starts once its successor is published */
		snprintf(res->old_id, sizeof(res->old_id), "%s", st->current.id);
		ith_state_token_release(&st->current);
	}
	st->current = st->next;  /* moved */
	memset(&st->next, 0, sizeof(st->next));
	st->has_current = true;
	st->has_next = false;
	st->rotations++;
	st->last_rotation = now;
	st->last_error[0] = '\0';
	if (p->on_rotate.n)  /* owed until it has run for this token (run_hook) */
		memcpy(st->hook_pending, st->current.id, sizeof(st->hook_pending));
	res->rotated = true;
	snprintf(res->new_id, sizeof(res->new_id), "%s", st->current.id);
	if (res->old_id[0])
		ith_log(ctx, ITH_LOG_INFO, "%s: switched to %s; %s stays valid for its %llds grace", p->name,
			st->current.id, res->old_id, (long long)p->grace);
	else
		ith_log(ctx, ITH_LOG_INFO, "%s: now serving %s", p->name, st->current.id);
}

struct hook_out {
	struct ith_ctx *ctx;
	const char *profile;
};

/* A line the hook printed: to our stderr (the log), never to our stdout. */
static void hook_line(void *ud, const char *line)
{
	struct hook_out *h = ud;

	ith_log(h->ctx, ITH_LOG_INFO, "%s: on_rotate: %s", h->profile, line);
}

/*
 * After a switch, sinks written and the state saved: tell the consumer. A
 * failure is recorded, never undone; the hook stays pending (hook_pending)
 * and the next run tries again, until it has run for the current token.
 */
static void run_hook(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st)
{
	struct ith_strbuf herr = ITH_STRBUF_INIT;  /* recorded and warned about, never the run's failure */
	struct hook_out h = { ctx, p->name };

	if (!p->on_rotate.n)
		return;
	/* hook_timeout is capped by the command's deadline: a hook cannot hold the profile's lock for longer */
	int64_t timeout = p->hook_timeout < ctx->cfg->deadline ? p->hook_timeout : ctx->cfg->deadline;

	if (ith_hook_run(p, timeout, &st->current, hook_line, &h, &herr) < 0) {
		st->hook_failures++;
		snprintf(st->last_hook_error, sizeof(st->last_hook_error), "%s", ith_err_msg(&herr));
		ith_log(ctx, ITH_LOG_WARN, "%s: %s (the rotation stands)", p->name, ith_err_msg(&herr));
	} else {
		st->last_hook_error[0] = '\0';
		st->hook_pending[0] = '\0';
		ith_log(ctx, ITH_LOG_INFO, "%s: on_rotate %s exited 0", p->name, p->on_rotate.v[0]);
	}
	ith_strbuf_release(&herr);
}

static int patch_perms(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	struct ith_state_token *t, const struct ith_perms *want, struct ith_strbuf *err)
{
	struct ith_token answer = ITH_TOKEN_INIT;
	struct ith_strbuf sb = ITH_STRBUF_INIT;
	int r = ith_api_update(api, t->id, NULL, want, &answer, err);

	if (r < 0)
		return r;
	ith_token_release(&answer);
	ith_perms_release(&t->perms);
	ith_perms_copy(&t->perms, want);
	ith_perms_format(want, &sb);
	ith_log(ctx, ITH_LOG_INFO, "%s: token %s permissions set to %s (same secret)", p->name, t->id, sb.buf);
	ith_strbuf_release(&sb);
	return 0;
}

/* ---- the dry run: print the plan, change nothing ---- */

/*
 * The sinks the SINKS step would (re)write with the current token, compared
 * read-only (ith_sink_check: nothing created or written). Without a current
 * token the promote line says it all: every sink gets the new one.
 */
static void print_sinks(const struct ith_profile *p, const struct ith_state *st, bool creating, struct ith_strbuf *pl)
{
	static const char *const why[] = { "", "missing", "content, mode or group differs" };

	if (!st->has_current)
		return;
	for (size_t i = 0; i < p->nsinks; i++) {
		struct ith_strbuf serr = ITH_STRBUF_INIT;
		enum ith_sink_diff diff;
		char label[512];
		if (ith_sink_is_remote(&p->sinks[i])) {  /* no network in a dry run: the publish record decides */
			if (creating)
				ith_strbuf_addf(pl, "%s: would publish the new token to %s\n", p->name,
					ith_sink_label(&p->sinks[i], label, sizeof(label)));
			else if (remote_pending(st, &p->sinks[i]))
				ith_strbuf_addf(pl, "%s: would publish token %s to %s\n", p->name, st->current.id,
					ith_sink_label(&p->sinks[i], label, sizeof(label)));
			continue;
		}
		if (ith_sink_check(&p->sinks[i], p, &st->current, &diff, &serr) < 0)
			ith_strbuf_addf(pl, "%s: would write sink %s, which fails now (%s)\n", p->name, p->sinks[i].path,
				ith_err_msg(&serr));
		else if (diff != ITH_SINK_SAME)
			ith_strbuf_addf(pl, "%s: would write sink %s (%s)\n", p->name, p->sinks[i].path, why[diff]);
		ith_strbuf_release(&serr);
	}
}

/* on_rotate: owed now for the current token (a failed or missed run), or owed by a promote. */
static void print_hook(const struct ith_profile *p, const struct ith_state *st, const struct ith_step *s,
	struct ith_strbuf *pl)
{
	bool owed = st->hook_pending[0] && st->has_current && !strcmp(st->hook_pending, st->current.id);

	if (owed)
		ith_strbuf_addf(pl, "%s: would run on_rotate (owed for %s)%s\n", p->name, st->current.id,
			s->when == ITH_WHEN_HOOK_OWED ? "; for the new token instead if one is promoted" : "");
	else if (s->when == ITH_WHEN_HOOK_OWED)
		ith_strbuf_addf(pl, "%s: would run on_rotate once a new token is promoted\n", p->name);
}

/* One step of the plan as the dry run says it; *creating: a create is planned (the promote line follows it). */
static void print_step(const struct ith_profile *p, const struct ith_state *st, const struct ith_step *s,
	const struct ith_perms *want, bool *creating, struct ith_strbuf *pl)
{
	static const char *const why[] = { "none yet", "forced", "renewal due", "current gone", "replaces the pending one" };
	static const char *const acts[] = { "none", "delay", "probe" };
	static const char *const drop[] = { "expired before it became active", "still not active at its own renewal",
		"--force" };
	struct ith_strbuf sb = ITH_STRBUF_INIT;

	if (s->kind == ITH_STEP_DROP) {
		ith_strbuf_addf(pl, "%s: would revoke pending token %s (%s)%s\n", p->name, st->next.id, drop[s->drop],
			s->dropped_next || ith_grace_over(s->at, ith_now()) ? "" : " after its grace: a get may have handed it out");
	} else if (s->kind == ITH_STEP_PATCH && s->slot == ITH_SLOT_CURRENT) {
		ith_perms_format(want, &sb);
		ith_strbuf_addf(pl, "%s: would patch %s permissions to %s\n", p->name, st->current.id, sb.buf);
		ith_strbuf_release(&sb);
	} else if (s->kind == ITH_STEP_CREATE && s->when == ITH_WHEN_ALWAYS) {
		ith_strbuf_addf(pl, "%s: would create a token (%s)\n", p->name, why[s->why]);
		*creating = true;
	} else if (s->kind == ITH_STEP_PROMOTE && *creating) {
		ith_strbuf_addf(pl, "%s: would promote it once active (activation %s)%s\n", p->name, acts[p->activation],
			s->retire_current ? ", retiring the current one for its grace" : "");
	} else if (s->kind == ITH_STEP_PROMOTE && st->has_next) {
		ith_strbuf_addf(pl, "%s: would promote next %s once active\n", p->name, st->next.id);
	} else if (s->kind == ITH_STEP_REVOKE) {
		for (size_t i = 0; i < st->nretired && i < 64; i++)
			if (s->retired & (UINT64_C(1) << i))
				ith_strbuf_addf(pl, "%s: would revoke %s (retired, grace over)\n", p->name, st->retired[i].id);
			else if (st->retired[i].after_publish)
				ith_strbuf_addf(pl, "%s: keeps %s (retired; its grace starts once the current token is "
					"published to every sink)\n", p->name, st->retired[i].id);
	} else if (s->kind == ITH_STEP_SINKS) {
		print_sinks(p, st, *creating, pl);
	} else if (s->kind == ITH_STEP_HOOK) {
		print_hook(p, st, s, pl);
	}
}

/* The plan into res->plan; the sweep of an open intent is a read-only list. */
static int print_plan(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st,
	const struct ith_plan *plan, const struct ith_perms *want, struct ith_rotate_result *res, struct ith_strbuf *err)
{
	struct ith_strbuf *pl = &res->plan;
	bool creating = false;
	char when[32];
	size_t len0;
	int r = 0;

	ith_strbuf_addstr(pl, "");
	len0 = pl->len;
	for (size_t i = 0; i < plan->n; i++) {
		const struct ith_step *s = &plan->v[i];
		if (s->kind == ITH_STEP_SWEEP) {
			/* an earlier create's answer was not recorded: the sweep comes first */
			struct ith_api *api;
			if (ctx->instance[0] && (r = state_api(ctx, st, &api, err)) == 0)
				r = sweep_orphans(ctx, api, p, st, NULL, pl, err);
			if (r < 0)
				return r;
		}
		print_step(p, st, s, want, &creating, pl);
	}
	if (pl->len == len0) {
		ith_format_rfc3339(plan->renew_at, when, sizeof(when));
		ith_strbuf_addf(pl, "%s: nothing to do (renewal due %s)\n", p->name, when);
	}
	return r;
}

/* ---- the rotation proper: lock held, st loaded; executes the plan, saves st ---- */

/* What the steps so far did; api is NULL until a step needs it. */
struct rotate_run {
	struct ith_api *api;
	int flags;              /* the rotate's ITH_ROTATE_* */
	bool changed, gone, next_gone, active;
	bool revoke_failed;     /* only the revocation of retired tokens failed: the hook is still owed now */
	char probe_msg[1024];   /* an activation probe failed while waiting: the run fails at its end */
};

/*
 * A create intent left open by an earlier run (a lost answer, a crash, a
 * create that failed): swept before creating again, so failing creates
 * cannot pile up orphans. A create still in flight may commit after this
 * sweep: the intent stays open until no such request can be alive (s->at).
 */
static int run_sweep(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st,
	const struct ith_step *s, struct rotate_run *run, struct ith_rotate_result *res, struct ith_strbuf *err)
{
	int r = sweep_orphans(ctx, run->api, p, st, &res->revoked, NULL, err);

	if (r < 0)
		return r;
	if (ith_sweep_closes(s->at, ith_now()))
		st->pending_since = 0;
	run->changed = true;
	return 0;
}

/*
 * The pending next gives way (expired, not active by its own renewal
 * moment, --force): retired, to be revoked from s->at (the REVOKE step
 * revokes it in this run when that is now), and a new one is made.
 */
static void run_drop(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, const struct ith_step *s,
	int64_t now, struct rotate_run *run)
{
	static const char *const why[] = { "it expired before it became active", "it is still not active at its own "
		"renewal moment", "--force" };

	ith_log(ctx, s->drop == ITH_DROP_FORCED ? ITH_LOG_INFO : ITH_LOG_WARN, "%s: dropping pending token %s (%s): it "
		"is revoked %s and a new one is made", p->name, st->next.id, why[s->drop], ith_grace_over(s->at, now) ? "at once" :
		"after its grace (a get may have handed it out)");
	retire(ctx, p, st, &st->next, s->at, now);
	ith_state_token_release(&st->next);
	st->has_next = false;
	run->changed = true;
}

/* The permissions changed: patch in place. A token the server no longer has sets run->gone (current) or is
 * dropped, setting run->next_gone (next). */
static int run_patch(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st,
	const struct ith_step *s, const struct ith_perms *want, struct rotate_run *run, struct ith_rotate_result *res,
	struct ith_strbuf *err)
{
	struct ith_state_token *t = s->slot == ITH_SLOT_CURRENT ? &st->current : &st->next;
	struct ith_strbuf perr = ITH_STRBUF_INIT;  /* a vanished current token is no failure here */
	int r = patch_perms(ctx, run->api, p, t, want, &perr);

	if (r == ITH_ERR_API_NOT_FOUND) {
		ith_log(ctx, ITH_LOG_WARN, "%s: %stoken %s is gone from the server (%s); making a new one", p->name,
			t == &st->next ? "pending " : "", t->id, ith_err_msg(&perr));
		ith_strbuf_release(&perr);
		if (t == &st->next) {
			ith_state_token_release(&st->next);
			st->has_next = false;
			run->next_gone = run->changed = true;
		} else {
			run->gone = true;
		}
		return 0;
	}
	if (r < 0)
		return ith_err_move(err, &perr, r);
	ith_strbuf_release(&perr);
	res->patched = run->changed = true;
	return 0;
}

static int run_create(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int64_t now,
	const struct ith_perms *want, struct rotate_run *run, struct ith_rotate_result *res, struct ith_strbuf *err)
{
	bool had_intent = st->pending_since != 0;
	unsigned attempts = 0;
	int r = create_next(ctx, run->api, p, st, want, now, &attempts, res, err);

	if (r < 0)
		return r;
	run->changed = true;
	if (!had_intent && attempts > 1)
		/* retried: an earlier attempt may have committed; it may yet (the intent stays) */
		return sweep_orphans(ctx, run->api, p, st, &res->revoked, NULL, err);
	return 0;
}

static void run_activate(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st,
	const struct ith_step *s, struct rotate_run *run, struct ith_strbuf *err)
{
	bool failed;

	if (!st->has_next)
		return;  /* the create did not happen */
	run->active = next_active(ctx, run->api, p, st, s->wait, s->reach == ITH_REACH_DEFERRED, &failed, err);
	if (!run->active && failed && s->wait)
		snprintf(run->probe_msg, sizeof(run->probe_msg), "%s", ith_err_msg(err));
}

/* One step, under its condition; HOOK runs after the save (rotate_locked). */
static int run_step(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int64_t now,
	const struct ith_step *s, const struct ith_perms *want, struct rotate_run *run, struct ith_rotate_result *res,
	struct ith_strbuf *err)
{
	int r;

	switch (s->kind) {
	case ITH_STEP_SWEEP:
		return run_sweep(ctx, p, st, s, run, res, err);
	case ITH_STEP_DROP:
		run_drop(ctx, p, st, s, now, run);
		return 0;
	case ITH_STEP_PATCH:
		return s->when == ITH_WHEN_NEVER ? 0 : run_patch(ctx, p, st, s, want, run, res, err);
	case ITH_STEP_CREATE:
		if ((s->when == ITH_WHEN_GONE && !run->gone) || (s->when == ITH_WHEN_NEXT_GONE && !run->next_gone))
			return 0;
		return run_create(ctx, p, st, now, want, run, res, err);
	case ITH_STEP_ACTIVATE:
		run_activate(ctx, p, st, s, run, err);
		return 0;
	case ITH_STEP_PROMOTE:
		if (run->active) {
			promote(ctx, p, st, ith_now(), res);
			run->changed = true;
		}
		return 0;
	case ITH_STEP_SINKS:
		r = sync_sinks(ctx, p, st, run->flags, false, &res->sinks_written, &run->changed, err);
		res->sinks_failed = r < 0;
		return r;
	case ITH_STEP_REVOKE:
		r = revoke_due_retired(ctx, &run->api, p, st, ith_now(), &res->revoked, err);
		run->changed |= res->revoked != 0;
		run->revoke_failed = r < 0;
		return r;
	default:
		return 0;
	}
}

static int run_plan(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int64_t now,
	const struct ith_plan *pl, const struct ith_perms *want, struct rotate_run *run, struct ith_rotate_result *res,
	struct ith_strbuf *err)
{
	int r;

	if (pl->needs_api && (r = state_api(ctx, st, &run->api, err)) < 0)
		return r;
	for (size_t i = 0; i < pl->n; i++)
		if ((r = run_step(ctx, p, st, now, &pl->v[i], want, run, res, err)) < 0)
			return r;
	if (run->probe_msg[0])  /* the rotation could not finish: the operator must hear of it */
		return ith_err(err, ITH_ERR_ACTIVATION, "%s", run->probe_msg);
	return 0;
}

/* The hook, when the plan has it and it is owed for the current token; after the state's save, so a `get`
 * from the hook, or from a consumer it restarts, sees the new token. */
static int hook_if_owed(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st,
	const struct ith_plan *pl, struct ith_strbuf *err)
{
	if (!ith_plan_find(pl, ITH_STEP_HOOK) || !st->hook_pending[0] || !st->has_current ||
	    strcmp(st->hook_pending, st->current.id))
		return 0;
	run_hook(ctx, p, st);
	return save_state(ctx, p, st, err);
}

/*
 * A run must not end quietly with nothing valid for the consumers (the
 * sinks hold the current token): a timer, cron or systemctl sees 69. A
 * get's renewal decides for itself (it may serve the next token). Not
 * recorded as a failure: status shows the profile's state.
 */
static int check_valid(const struct ith_profile *p, const struct ith_state *st, int flags,
	struct ith_rotate_result *res, struct ith_strbuf *err)
{
	res->pending = st->has_next;
	if ((flags & ITH_PLAN_FROM_GET) || (st->has_current && !ith_expired(st->current.expires_at, ith_now())))
		return 0;
	if (st->has_next)
		return ith_err(err, ITH_ERR_NO_VALID_TOKEN, "%s: no valid token for the consumers yet: token %s is not active "
			"yet (the next run promotes it once it is)%s", p->name, st->next.id,
			st->has_current ? "; the current one has expired" : "");
	return ith_err(err, ITH_ERR_NO_VALID_TOKEN, "%s: no valid token for the consumers", p->name);
}

static int rotate_locked(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int flags,
	struct ith_rotate_result *res, struct ith_strbuf *err)
{
	struct rotate_run run = { .flags = flags };
	struct ith_perms want;
	struct ith_plan pl;
	int r;

	ith_perms_from_lists(&want, p->write.v, p->write.n, p->read.v, p->read.n);
	struct ith_plan_in in = { .p = p, .st = st, .instance = ctx->instance, .want = &want, .flags = flags,
		.now = ith_now(), .inflight_window = ith_inflight_window(ctx->cfg), .min_ttl = -1 };
	ith_plan_rotate(&in, &pl);
	if (flags & ITH_ROTATE_DRY_RUN)
		r = print_plan(ctx, p, st, &pl, &want, res, err);
	else
		r = run_plan(ctx, p, st, in.now, &pl, &want, &run, res, err);
	ith_perms_release(&want);
	if (flags & ITH_ROTATE_DRY_RUN)
		return r;
	if (r < 0) {
		r = save_after_failure(ctx, p, st, r, err);
		if (run.revoke_failed) {  /* the new token is in place: its consumer must still hear of it */
			struct ith_strbuf herr = ITH_STRBUF_INIT;
			if (hook_if_owed(ctx, p, st, &pl, &herr) < 0)
				ith_log(ctx, ITH_LOG_WARN, "%s: %s", p->name, ith_err_msg(&herr));
			ith_strbuf_release(&herr);
		}
		return r;
	}
	if (run.changed && (r = save_state(ctx, p, st, err)) < 0)
		return r;
	if (!run.changed)  /* nothing to save: the status copy may still be gone (a reboot empties /run) */
		publish_status(ctx, p, st);
	if ((r = hook_if_owed(ctx, p, st, &pl, err)) < 0)
		return r;
	return check_valid(p, st, flags, res, err);
}

/* ---- hosts (hosts.h): NAME@HOST profiles ---- */

/* A profile whose hosts_file could not be used stands for its hosts and only fails (nothing is decommissioned). */
static int hosts_refused(const struct ith_profile *p, struct ith_strbuf *err)
{
	return p->hosts_cause ? ith_err(err, p->hosts_cause, "%s", p->hosts_error) : 0;
}

/* A host listed again before its decommission: kept, removed_at cleared. Lock held. */
static int host_listed(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int flags,
	struct ith_strbuf *err)
{
	if (!p->host || p->host_removed || p->hosts_unknown || !st->removed_at || (flags & ITH_ROTATE_DRY_RUN))
		return 0;
	st->removed_at = 0;
	ith_log(ctx, ITH_LOG_INFO, "%s: host %s is listed again in %s: kept", p->name, p->host, p->hosts_file);
	return save_state(ctx, p, st, err);
}

/* A host gone from hosts_file: removed_at on first sight; from removed_at + grace, *decommission (what revoke
 * does: sinks, tokens, state). Lock held. */
static int host_removed(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int flags,
	struct ith_rotate_result *res, bool *decommission, struct ith_strbuf *err)
{
	int64_t now = ith_now();

	*decommission = false;
	if (!st->removed_at) {
		if (flags & ITH_ROTATE_DRY_RUN) {
			ith_strbuf_addf(&res->plan, "%s: host %s is no longer in %s: would record it, and decommission it "
				"after grace (%llds)\n", p->name, p->host, p->hosts_file, (long long)p->grace);
			return 0;
		}
		st->removed_at = now;
		ith_log(ctx, ITH_LOG_INFO, "%s: host %s is no longer in %s: its tokens are revoked and its sinks removed "
			"after grace (%llds)", p->name, p->host, p->hosts_file, (long long)p->grace);
		return save_state(ctx, p, st, err);
	}
	if (!ith_grace_over(ith_decommission_at(p, st->removed_at), now)) {
		ith_log(ctx, ITH_LOG_DEBUG, "%s: host %s removed; decommissioned in %llds", p->name, p->host,
			(long long)(ith_decommission_at(p, st->removed_at) - now));
		return 0;
	}
	*decommission = true;
	return 0;
}

/* rotate of an expanded profile's host: listed (rotated as any profile) or removed (decommissioned after grace). */
static int host_rotate(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int flags,
	struct ith_rotate_result *res, bool *decommission, struct ith_strbuf *err)
{
	int r;

	*decommission = false;
	if (p->host_removed)
		return host_removed(ctx, p, st, flags, res, decommission, err);
	if ((r = host_listed(ctx, p, st, flags, err)) < 0)
		return r;
	return rotate_locked(ctx, p, st, flags, res, err);
}

/* After the lock is released: a removed host's decommission, as `revoke NAME@HOST` does it. */
static int host_decommission(struct ith_ctx *ctx, const struct ith_profile *p, int flags,
	struct ith_rotate_result *res, struct ith_strbuf *err)
{
	int r;

	if (!(flags & ITH_ROTATE_DRY_RUN))
		ith_log(ctx, ITH_LOG_INFO, "%s: host %s left %s more than grace ago: decommissioning it", p->name, p->host,
			p->hosts_file);
	r = ith_revoke_profile(ctx, p, flags & ITH_ROTATE_DRY_RUN, &res->plan, &res->revoked, err);
	if (r == 0 && !(flags & ITH_ROTATE_DRY_RUN))
		res->revoked += !res->revoked;  /* something was done (the state went), even with no token left */
	return r;
}

int ith_rotate(struct ith_ctx *ctx, const struct ith_profile *p, int flags, struct ith_rotate_result *res,
	struct ith_strbuf *err)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_state st;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = hosts_refused(p, err)) < 0)
		return r;
	if (!(flags & ITH_ROTATE_DRY_RUN) &&
	    (r = ith_lock_acquire(ctx->cfg->state_dir, p->name, ctx->lock_timeout_ms, &lock, err)) < 0)
		return r;
	r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err);
	bool decommission = false;
	if (r == 0) {
		if (st.loaded_foreign && ctx->instance[0])
			ith_log(ctx, ITH_LOG_WARN, "%s: state of another helper instance found (cloned disk?); "
				"starting afresh and leaving its tokens alone", p->name);
		r = p->host ? host_rotate(ctx, p, &st, flags, res, &decommission, err) : rotate_locked(ctx, p, &st, flags, res, err);
		ith_state_release(&st);
	}
	ith_lock_release(&lock);
	if (r == 0 && decommission)
		r = host_decommission(ctx, p, flags, res, err);
	return r;
}

/* ---- get ---- */

static int serve(const struct ith_state_token *t, struct ith_state_token *out)
{
	state_token_copy(out, t);
	return 0;
}

/* What get asks the planner at stage. */
static void get_plan(const struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st,
	int64_t now, int64_t min_ttl, enum ith_get_stage stage, struct ith_plan *pl)
{
	struct ith_plan_in in = { .p = p, .st = st, .instance = ctx->instance, .flags = ITH_PLAN_FROM_GET,
		.now = now, .inflight_window = ith_inflight_window(ctx->cfg), .min_ttl = min_ttl, .stage = stage };

	ith_plan_get(&in, pl);
}

/*
 * The renewal run failed, the current token still serves: say what failed.
 * A sink write failing after the switch is no failed renewal: the token
 * served is the one just made. err's message leads with the profile name,
 * said once here.
 */
static void warn_stale(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st, int64_t now,
	const struct ith_rotate_result *res, const struct ith_strbuf *err)
{
	const char *msg = ith_err_msg(err);
	size_t n = strlen(p->name);
	char left[32];

	if (!strncmp(msg, p->name, n) && !strncmp(msg + n, ": ", 2))
		msg += n + 2;
	ith_format_duration(st->current.expires_at - now, left, sizeof(left));
	if (res->sinks_failed && res->rotated)
		ith_log(ctx, ITH_LOG_WARN, "%s: %s token %s, but writing the sinks failed (%s); serving it, valid for %s",
			p->name, res->old_id[0] ? "renewed to" : "created", st->current.id, msg, left);
	else if (res->sinks_failed)
		ith_log(ctx, ITH_LOG_WARN, "%s: writing the sinks failed (%s); serving the cached token, valid for %s more",
			p->name, msg, left);
	else
		ith_log(ctx, ITH_LOG_WARN, "%s: could not renew (%s); serving the cached token, valid for %s more",
			p->name, msg, left);
}

/* A SERVE or FAIL step; r_renew: the failed renewal's error, res: what that run did. */
static int get_finish(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st, int64_t now,
	int64_t min_ttl, const struct ith_step *s, int r_renew, const struct ith_rotate_result *res,
	struct ith_state_token *out, bool *stale, struct ith_strbuf *err)
{
	char left[32], want[32];

	if (s->kind == ITH_STEP_FAIL)
		return s->fail == ITH_FAIL_RENEW ? r_renew :
			ith_err(err, ITH_ERR_NO_VALID_TOKEN, "%s: no valid token available", p->name);
	if (s->stale) {
		warn_stale(ctx, p, st, now, res, err);
		*stale = true;
	}
	serve(s->slot == ITH_SLOT_CURRENT ? &st->current : &st->next, out);
	if (s->short_ttl) {
		ith_format_duration(out->expires_at - now, left, sizeof(left));
		ith_format_duration(min_ttl, want, sizeof(want));
		ith_log(ctx, ITH_LOG_WARN, "%s: serving token %s, valid for %s, less than --min-ttl %s (%s)", p->name,
			out->id, left, want, st->has_next ? "its successor is not active yet" : "the server gave no longer");
		*stale = true;
	}
	return 0;
}

/* Under the lock, st reloaded: renews when the plan says so, then serves what the plan says after it. */
static int get_locked(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st, int64_t now,
	int64_t min_ttl, struct ith_state_token *out, bool *stale, struct ith_strbuf *err)
{
	enum ith_get_stage stage = ITH_GET_RENEWED;
	struct ith_rotate_result res;
	struct ith_plan pl;
	int r = 0;

	memset(&res, 0, sizeof(res));
	get_plan(ctx, p, st, now, min_ttl, ITH_GET_LOCKED, &pl);
	if (pl.v[0].kind == ITH_STEP_RENEW) {
		r = rotate_locked(ctx, p, st, ITH_PLAN_FROM_GET | (pl.v[0].force ? ITH_ROTATE_FORCE : 0), &res, err);
		if (r < 0)
			stage = ITH_GET_RENEW_FAILED;
	}
	get_plan(ctx, p, st, now, min_ttl, stage, &pl);
	r = get_finish(ctx, p, st, now, min_ttl, &pl.v[0], r, &res, out, stale, err);
	ith_rotate_result_release(&res);
	return r;
}

int ith_get(struct ith_ctx *ctx, const struct ith_profile *p, int64_t min_ttl, struct ith_state_token *out,
	bool *stale, struct ith_strbuf *err)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_state st;
	struct ith_plan pl;
	int64_t now = ith_now();
	int r;

	*stale = false;
	if ((r = hosts_refused(p, err)) < 0)
		return r;
	if (p->host_removed)
		return ith_err(err, ITH_ERR_CONFIG, "%s: host %s is no longer in %s; its token is being retired", p->name,
			p->host, p->hosts_file);
	if (min_ttl >= p->lifetime)
		return ith_err(err, ITH_ERR_USAGE, "--min-ttl %llds cannot be met: profile '%s' makes tokens that live %llds",
			(long long)min_ttl, p->name, (long long)p->lifetime);
	/* Fast path: no lock, no network. State files are replaced atomically. */
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err)) < 0)
		return r;
	get_plan(ctx, p, &st, now, min_ttl, ITH_GET_CACHED, &pl);
	if (pl.v[0].kind == ITH_STEP_SERVE) {
		r = serve(pl.v[0].slot == ITH_SLOT_CURRENT ? &st.current : &st.next, out);
		goto out;
	}
	struct ith_strbuf lerr = ITH_STRBUF_INIT;  /* busy is no failure while the current token serves */
	r = ith_lock_acquire(ctx->cfg->state_dir, p->name, pl.v[0].busy_serves ? 0 : ctx->lock_timeout_ms, &lock, &lerr);
	if (r == ITH_ERR_LOCK_BUSY && pl.v[0].busy_serves) {
		ith_strbuf_release(&lerr);
		ith_log(ctx, ITH_LOG_DEBUG, "%s: a rotation is in progress; serving the current token", p->name);
		r = serve(&st.current, out);
		goto out;
	}
	if (r < 0)
		ith_err_move(err, &lerr, r);
	if (r < 0)
		goto out;
	ith_state_release(&st);
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err)) < 0)
		goto out;
	r = get_locked(ctx, p, &st, ith_now(), min_ttl, out, stale, err);
out:
	ith_state_release(&st);
	ith_lock_release(&lock);
	return r;
}

/* ---- decommission ---- */

/* --dry-run: what a revoke would do, into plan; sweeps (listing only) when the instance is known. */
static int revoke_plan(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state *st,
	struct ith_strbuf *plan, unsigned *revoked, struct ith_strbuf *err)
{
	struct ith_api *api = NULL;
	const char *ids[ITH_MAX_RETIRED + 2];
	const char *roles[ITH_MAX_RETIRED + 2];
	size_t n = 0;
	int r = 0;

	if (st->has_current) {
		ids[n] = st->current.id;
		roles[n++] = "current";
	}
	if (st->has_next) {
		ids[n] = st->next.id;
		roles[n++] = "next";
	}
	for (size_t i = 0; i < st->nretired; i++) {
		ids[n] = st->retired[i].id;
		roles[n++] = "retired";
	}
	for (size_t i = 0; i < n; i++)
		ith_strbuf_addf(plan, "%s: would revoke %s (%s)\n", p->name, ids[i], roles[i]);
	if (ctx->instance[0] && (r = state_api(ctx, st, &api, err)) == 0)
		r = sweep_orphans(ctx, api, p, st, revoked, plan, err);
	for (size_t i = 0; i < p->nsinks; i++) {
		struct ith_strbuf serr = ITH_STRBUF_INIT;
		bool exists;
		char label[512];
		if (ith_sink_is_remote(&p->sinks[i])) {  /* no network in a dry run */
			ith_strbuf_addf(plan, "%s: would delete %s (only when it carries our marker)\n", p->name,
				ith_sink_label(&p->sinks[i], label, sizeof(label)));
			continue;
		}
		if (ith_sink_remove_check(&p->sinks[i], &exists, &serr) < 0)
			ith_strbuf_addf(plan, "%s: would remove %s, which fails now (%s)\n", p->name, p->sinks[i].path,
				ith_err_msg(&serr));
		else if (exists)  /* one that is not there is not removed */
			ith_strbuf_addf(plan, "%s: would remove %s\n", p->name, p->sinks[i].path);
		ith_strbuf_release(&serr);
	}
	return r;
}

/* Revoke the state's next or current token (has: whether it holds one) and drop it from the state. */
static int decommission_slot(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p,
	struct ith_state_token *t, bool *has, unsigned *revoked, struct ith_strbuf *err)
{
	int r;

	if (!*has)
		return 0;
	if ((r = revoke_id(ctx, api, p->name, t->id, "decommission", err)) < 0)
		return r;
	(*revoked)++;
	ith_state_token_release(t);
	*has = false;
	return 0;
}

/* Revokes every token on record, dropping each from st as it goes, then sweeps. */
static int revoke_all(struct ith_ctx *ctx, struct ith_api *api, const struct ith_profile *p, struct ith_state *st,
	unsigned *revoked, struct ith_strbuf *err)
{
	int r;

	/* Revoke from the end so each success can be dropped from the state. */
	while (st->nretired) {
		if ((r = revoke_id(ctx, api, p->name, st->retired[st->nretired - 1].id, "decommission", err)) < 0)
			return r;
		(*revoked)++;
		st->nretired--;
	}
	if ((r = decommission_slot(ctx, api, p, &st->next, &st->has_next, revoked, err)) < 0 ||
	    (r = decommission_slot(ctx, api, p, &st->current, &st->has_current, revoked, err)) < 0)
		return r;
	return sweep_orphans(ctx, api, p, st, revoked, NULL, err);
}

int ith_revoke_profile(struct ith_ctx *ctx, const struct ith_profile *p, bool dry_run, struct ith_strbuf *plan,
	unsigned *revoked, struct ith_strbuf *err)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_api *api = NULL;
	struct ith_state st;
	int r;

	*revoked = 0;
	if ((r = hosts_refused(p, err)) < 0)
		return r;
	if (!dry_run && (r = ith_lock_acquire(ctx->cfg->state_dir, p->name, ctx->lock_timeout_ms, &lock, err)) < 0)
		return r;
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err)) < 0)
		goto out_unlock;
	if (dry_run) {
		r = revoke_plan(ctx, p, &st, plan, revoked, err);
		goto out_unlock;
	}
	if ((r = state_api(ctx, &st, &api, err)) < 0)
		goto out_unlock;
	/* Sinks first: a consumer should fail loudly, not keep a revoked token. */
	for (size_t i = 0; i < p->nsinks; i++)
		if ((r = sink_delete(ctx, p, &p->sinks[i], err)) < 0)
			goto out;
	if ((r = revoke_all(ctx, api, p, &st, revoked, err)) < 0)
		goto out;
	r = ith_state_remove(ctx->cfg->state_dir, p->name, err);
	if (r == 0 && ctx->cfg->status_dir)
		r = ith_state_unpublish(ctx->cfg->status_dir, p->name, err);
	goto out_unlock;
out:
	/* Keep what is left to revoke on record. */
	r = save_after_failure(ctx, p, &st, r, err);
out_unlock:
	ith_state_release(&st);
	ith_lock_release(&lock);
	return r;
}

/* ---- decommission of a profile no longer configured ---- */

struct idset {
	char (*v)[ITH_UUID_LEN + 1];
	size_t n;
};

static void idset_add(struct idset *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], id))
			return;
	s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	if (!s->v)
		abort();
	snprintf(s->v[s->n++], sizeof(s->v[0]), "%s", id);
}

/* The ids to revoke for name: its leftover state's, and this instance's live tokens with its marker. */
static int unconfigured_ids(struct ith_ctx *ctx, const char *name, const struct ith_state *st, struct idset *ids,
	bool *known, struct ith_strbuf *err)
{
	struct ith_token_list l = { NULL, 0 };
	struct ith_api *api;
	int r;

	if (st->has_current)
		idset_add(ids, st->current.id);
	if (st->has_next)
		idset_add(ids, st->next.id);
	for (size_t i = 0; i < st->nretired; i++)
		idset_add(ids, st->retired[i].id);
	if ((r = state_api(ctx, st, &api, err)) < 0 || (r = ith_list_ours(ctx, api, &l, NULL, err)) < 0)
		return r;
	for (size_t i = 0; i < l.n; i++) {
		if (!ith_token_owned(&l.v[i], ctx->instance, name))
			continue;
		*known = true;
		if (!l.v[i].revoked_at)
			idset_add(ids, l.v[i].id);
	}
	ith_token_list_release(&l);
	return 0;
}

/* Revoke ids (404 is done), then remove name's state; dry_run: say so in plan. */
static int unconfigured_act(struct ith_ctx *ctx, const char *name, bool has_state, const struct idset *ids,
	bool dry_run, struct ith_strbuf *plan, unsigned *revoked, struct ith_strbuf *err)
{
	struct ith_api *api;
	int r = 0;

	for (size_t i = 0; i < ids->n && r == 0; i++) {
		if (dry_run) {
			ith_strbuf_addf(plan, "%s: would revoke %s (profile not configured; this instance's token)\n", name,
				ids->v[i]);
		} else if ((r = ith_ctx_api(ctx, &api, err)) == 0 &&
			   (r = revoke_id(ctx, api, name, ids->v[i], "profile not configured", err)) == 0) {
			(*revoked)++;
		}
	}
	if (r < 0 || !has_state)
		return r;
	if (dry_run) {
		char *path = ith_layout_file(ctx->cfg->state_dir, name, ITH_LAYOUT_STATE);
		ith_strbuf_addf(plan, "%s: would remove the state %s\n", name, path);
		free(path);
		return 0;
	}
	r = ith_state_remove(ctx->cfg->state_dir, name, err);
	if (r == 0 && ctx->cfg->status_dir)
		r = ith_state_unpublish(ctx->cfg->status_dir, name, err);
	return r;
}

int ith_revoke_unconfigured(struct ith_ctx *ctx, const char *name, bool dry_run, struct ith_strbuf *plan,
	unsigned *revoked, bool *known, struct ith_strbuf *err)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct idset ids = { NULL, 0 };
	struct ith_state st;
	bool has_state;
	int r;

	*revoked = 0;
	*known = false;
	if (!ctx->instance[0])
		return 0;  /* a read-only run before any state: no token of this instance can exist */
	if (!dry_run && (r = ith_lock_acquire(ctx->cfg->state_dir, name, ctx->lock_timeout_ms, &lock, err)) < 0)
		return r;
	if ((r = ith_state_load(ctx->cfg->state_dir, name, ctx->instance, &st, err)) < 0)
		goto out;
	has_state = st.has_current || st.has_next || st.nretired || st.pending_since || st.rotations;
	*known = has_state;
	if ((r = unconfigured_ids(ctx, name, &st, &ids, known, err)) == 0)
		r = unconfigured_act(ctx, name, has_state, &ids, dry_run, plan, revoked, err);
	ith_state_release(&st);
out:
	free(ids.v);
	ith_lock_release(&lock);
	return r;
}

/* ---- list ---- */

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

int ith_list_owned(struct ith_ctx *ctx, struct ith_owned **out, size_t *n, struct ith_strbuf *err)
{
	struct ith_strbuf ignored = ITH_STRBUF_INIT;  /* a role that cannot be told stays unknown */
	struct ith_token_list l = { NULL, 0 };
	struct ith_owned *v;
	struct ith_api *api;
	size_t k = 0;
	int64_t now = ith_now();
	int r;

	if ((r = ith_ctx_api(ctx, &api, err)) < 0 || (r = ith_list_ours(ctx, api, &l, NULL, err)) < 0)
		return r;
	v = ith_xcalloc(l.n, sizeof(*v));
	for (size_t i = 0; i < l.n; i++) {
		char inst[ITH_UUID_LEN + 1], prof[ITH_PROFILE_MAX + 1];
		const struct ith_profile *p = NULL;
		struct ith_state st;

		if (!ith_marker_parse(l.v[i].description, inst, prof) || strcmp(inst, ctx->instance))
			continue;
		struct ith_owned *o = &v[k++];
		o->tok = l.v[i];
		memset(&l.v[i], 0, sizeof(l.v[i]));
		snprintf(o->profile, sizeof(o->profile), "%s", prof);
		o->revoked = o->tok.revoked_at != 0;
		o->expired = o->tok.expires_at && ith_expired(o->tok.expires_at, now);
		o->role = ITH_ROLE_UNKNOWN_PROFILE;
		if (ith_config_profile(ctx->cfg, prof, &p, &ignored) < 0)
			continue;
		o->role = o->revoked || o->expired ? ITH_ROLE_FORMER : ITH_ROLE_ORPHAN;
		if (ith_state_load(ctx->cfg->state_dir, prof, ctx->instance, &st, &ignored) < 0)
			continue;
		if (st.has_current && !strcmp(st.current.id, o->tok.id))
			o->role = ITH_ROLE_CURRENT;
		else if (st.has_next && !strcmp(st.next.id, o->tok.id))
			o->role = ITH_ROLE_NEXT;
		else if (known_id(&st, o->tok.id))
			o->role = ITH_ROLE_RETIRED;
		ith_state_release(&st);
	}
	ith_strbuf_release(&ignored);
	ith_token_list_release(&l);
	*out = v;
	*n = k;
	return 0;
}

/* ---- for long-running callers (watch, exec) ---- */

int64_t ith_profile_due(const struct ith_ctx *ctx, const struct ith_profile *p, int64_t now, int64_t last_run,
	const char **what)
{
	struct ith_strbuf err = ITH_STRBUF_INIT;  /* the rotation reports it */
	struct ith_state st;
	int64_t due;
	int r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, &err);

	ith_strbuf_release(&err);
	if (r < 0 || p->hosts_cause) {
		*what = p->hosts_cause ? "hosts_file check" : "state check";
		if (r == 0)
			ith_state_release(&st);
		return now;
	}
	if (p->host_removed) {  /* first sight: now (removed_at recorded); then its decommission */
		*what = "decommission of a removed host";
		due = st.removed_at ? ith_decommission_at(p, st.removed_at) : now;
		ith_state_release(&st);
		return due;
	}
	due = ith_next_due(&st, p, ctx->instance, ith_inflight_window(ctx->cfg), now, last_run, what);
	ith_state_release(&st);
	return due;
}

int ith_serving_token(const struct ith_ctx *ctx, const struct ith_profile *p, struct ith_state_token *out,
	struct ith_strbuf *err)
{
	struct ith_state st;
	struct ith_plan pl;
	int r;

	if ((r = hosts_refused(p, err)) < 0 || (r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err)) < 0)
		return r;
	get_plan(ctx, p, &st, ith_now(), -1, ITH_GET_SUPERVISED, &pl);
	if (pl.v[0].kind == ITH_STEP_SERVE)
		r = serve(pl.v[0].slot == ITH_SLOT_CURRENT ? &st.current : &st.next, out);
	else
		r = ith_err(err, ITH_ERR_NO_VALID_TOKEN, "%s: no valid token in the state", p->name);
	ith_state_release(&st);
	return r;
}

/* One remote sink, read-only: does it hold the current token? A sink that does not is said, with the repair. */
static int check_remote_sink(struct ith_ctx *ctx, const struct ith_profile *p, const struct ith_state *st,
	const struct ith_sink *s, bool *holds, struct ith_strbuf *err)
{
	struct ith_remote *rm;
	char label[512];
	int r;

	if ((r = ctx_remote(ctx, &rm, err)) < 0)
		return r;
	r = s->type == ITH_SINK_VAULT ? ith_vault_holds(rm, s, ctx->instance, p->name, &st->current, holds, err)
				      : ith_k8s_holds(rm, s, ctx->instance, p->name, &st->current, holds, err);
	if (r == 0 && !*holds)
		ith_log(ctx, ITH_LOG_WARN, "%s: %s does not hold the current token %s (deleted or changed there, or not "
			"published yet): `rotate --force %s` publishes a new one", p->name,
			ith_sink_label(s, label, sizeof(label)), st->current.id, p->name);
	return r;
}

int ith_check_remote_sinks(struct ith_ctx *ctx, const struct ith_profile *p, unsigned *checked, unsigned *stale,
	struct ith_strbuf *err)
{
	struct ith_state st;
	int r;

	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err)) < 0)
		return r;
	for (size_t i = 0; i < p->nsinks && r == 0 && st.has_current; i++) {
		bool holds = true;
		if (!ith_sink_is_remote(&p->sinks[i]))
			continue;
		if ((r = check_remote_sink(ctx, p, &st, &p->sinks[i], &holds, err)) == 0) {
			(*checked)++;
			*stale += !holds;
		}
	}
	ith_state_release(&st);
	return r;
}

int ith_publish_cached(struct ith_ctx *ctx, const struct ith_profile *p, struct ith_strbuf *err)
{
	struct ith_lock lock = ITH_LOCK_INIT;
	struct ith_state st;
	unsigned written = 0;
	int r;

	if ((r = ith_lock_acquire(ctx->cfg->state_dir, p->name, 0, &lock, err)) < 0)
		return r;
	if ((r = ith_state_load(ctx->cfg->state_dir, p->name, ctx->instance, &st, err)) == 0) {
		bool changed = false;
		if (st.has_current && !ith_expired(st.current.expires_at, ith_now()))
			r = sync_sinks(ctx, p, &st, 0, true, &written, &changed, err);
		if (changed)
			save_quietly(ctx, p, &st);
		ith_state_release(&st);
	}
	ith_lock_release(&lock);
	return r;
}
