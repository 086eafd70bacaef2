/*
 * The planner's decision table, with no I/O: each row is a profile, a state,
 * what the server side is known to be, the flags and the stage of a get; the
 * expected plan is written as ith_plan_format prints it.
 *
 * ITH_PRINT_PLAN_TABLE=1 prints the table as markdown (one row per case:
 * inputs -> steps) on stdout.
 */
#include "suites.h"
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INST "0b7f8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
#define NOW INT64_C(1800000000)
#define H 3600
#define LIFE (24 * H)
#define RB (6 * H)
#define WINDOW 100   /* the in-flight window the caller computes */

/* The current token: none, renewal not due, renewal due (still valid), expired,
 * or made short by the server (2 h, not due for an hour). */
enum cur { C_NONE, C_FRESH, C_DUE, C_EXPIRED, C_SHORT };
/* The next token: none, pending since 10 s, pending since 2 h, pending since 20 h (past its own renewal
 * window: it would be due the moment it were promoted), expired 10 s ago. */
enum next { N_NONE, N_NEW, N_OLD, N_STALE, N_EXPIRED };
/* Retired tokens: none, one over its grace, one within it, one whose provisional grace is over but held until
 * its successor is published to every sink (after_publish), the same expired (no consumer can use it). */
enum ret { R_NONE, R_OVER, R_WITHIN, R_HELD, R_HELD_EXPIRED };
/* An open create intent: none, younger than the in-flight window, older. */
enum pend { P_NONE, P_YOUNG, P_OLD };
/* Permissions in the state that differ from the profile's. */
enum { D_CUR = 1, D_NEXT = 2 };
/* on_rotate: configured; owed for the current token. */
enum { K_HOOK = 1, K_OWED = 2 };
/* rotate (planner ith_plan_rotate) or get at a stage (GET_SUPERVISED: exec, whose scheduler renews). */
enum op { ROT, GET_CACHED, GET_LOCKED, GET_RENEWED, GET_FAILED, GET_SUPERVISED };

struct row {
	const char *name;
	enum op op;
	enum cur cur;
	enum next next;
	enum pend pend;
	enum ret ret;
	int diff, hook, flags;
	enum ith_activation act;
	enum ith_probe_known probe;
	int64_t grace, min_ttl;
	const char *expect;
};

/* The default run: rotate with wait (as `rotate` does), activation none, grace 1 h. */
/* A row's own fields override these defaults. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define R(name, ...) { name, ROT, .flags = ITH_PLAN_WAIT, .grace = H, .min_ttl = -1, __VA_ARGS__ }
#define G(name, op_, ...) { name, op_, .grace = H, .flags = ITH_PLAN_FROM_GET, __VA_ARGS__ }

static const struct row rows[] = {
	R("not due", .cur = C_FRESH, .expect = "sinks()"),
	R("due (phase reached)", .cur = C_DUE, .expect = "create(renewal due) -> activate(none, reached, wait) [if a "
		"next token exists] -> promote(retire current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("forced, not due", .cur = C_FRESH, .flags = ITH_PLAN_WAIT | ITH_PLAN_FORCE, .expect = "create(forced) -> "
		"activate(none, reached, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(none over grace now)"),
	R("no current token yet", .cur = C_NONE, .expect = "create(none yet) -> activate(none, reached, wait) [if a next "
		"token exists] -> promote(first token) [once active] -> sinks()"),
	R("open intent, younger than the in-flight window", .cur = C_FRESH, .pend = P_YOUNG,
		.expect = "sweep(intent stays open) -> sinks()"),
	R("open intent, older than the in-flight window", .cur = C_FRESH, .pend = P_OLD,
		.expect = "sweep(intent closes) -> sinks()"),
	R("open intent and due", .cur = C_DUE, .pend = P_OLD, .expect = "sweep(intent closes) -> create(renewal due) -> "
		"activate(none, reached, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(none over grace now)"),
	R("pending next, activation none", .cur = C_DUE, .next = N_NEW, .expect = "activate(none, reached, wait) -> "
		"promote(retire current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("pending next, delay not elapsed", .cur = C_DUE, .next = N_NEW, .act = ITH_ACT_DELAY, .expect = "activate(delay "
		"until now+51s, not yet, wait) -> promote(retire current) [once active] -> sinks() -> revoke(none over "
		"grace now)"),
	R("pending next, delay elapsed", .cur = C_DUE, .next = N_OLD, .act = ITH_ACT_DELAY, .expect = "activate(delay "
		"until now-7139s, reached, wait) -> promote(retire current) [once active] -> sinks() -> revoke(none over "
		"grace now)"),
	R("pending next, probe (result unknown)", .cur = C_DUE, .next = N_NEW, .act = ITH_ACT_PROBE,
		.expect = "activate(probe, to check, wait) -> promote(retire current) [once active] -> sinks() -> "
		"revoke(none over grace now)"),
	R("pending next, probe answered 2xx", .cur = C_DUE, .next = N_NEW, .act = ITH_ACT_PROBE, .probe = ITH_PROBE_ACTIVE,
		.expect = "activate(probe, reached, wait) -> promote(retire current) [once active] -> sinks() -> "
		"revoke(none over grace now)"),
	R("pending next, probe answered 403", .cur = C_DUE, .next = N_NEW, .act = ITH_ACT_PROBE,
		.probe = ITH_PROBE_NOT_YET, .expect = "activate(probe, not yet, wait) -> promote(retire current) [once "
		"active] -> sinks() -> revoke(none over grace now)"),
	R("pending next, first token (none current)", .cur = C_NONE, .next = N_NEW, .act = ITH_ACT_DELAY,
		.expect = "activate(delay until now+51s, not yet, wait) -> promote(first token) [once active] -> sinks()"),
	R("due, activation delay (no wait: watch)", .cur = C_DUE, .act = ITH_ACT_DELAY, .flags = 0,
		.expect = "create(renewal due) -> activate(delay, to check) [if a next token exists] -> promote(retire "
		"current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("due, activation probe", .cur = C_DUE, .act = ITH_ACT_PROBE, .expect = "create(renewal due) -> activate(probe, "
		"to check, wait) [if a next token exists] -> promote(retire current) [once active] -> sinks() -> "
		"revoke(none over grace now)"),
	R("scope change: patch current", .cur = C_FRESH, .diff = D_CUR, .expect = "patch(current) -> create(current "
		"gone) [if the patch finds it gone] -> activate(none, reached, wait) [if a next token exists] -> "
		"promote(retire current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("scope change: patch next; a next the server lost is replaced", .cur = C_DUE, .next = N_NEW, .diff = D_NEXT,
		.expect = "patch(next) -> create(renewal due) [if the patch finds next gone] -> activate(none, reached, "
		"wait) -> promote(retire current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("scope change: patch current and next", .cur = C_FRESH, .next = N_NEW, .diff = D_CUR | D_NEXT,
		.expect = "patch(current) -> patch(next) -> create(replaces next) [if the patch finds next gone] -> "
		"activate(none, reached, wait) -> promote(retire current) [once active] -> sinks() -> revoke(none over "
		"grace now)"),
	R("scope change while a create is due: no patch", .cur = C_DUE, .diff = D_CUR, .expect = "patch(current) [not "
		"done: replaced by the create] -> create(renewal due) -> activate(none, reached, wait) [if a next token "
		"exists] -> promote(retire current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("retired, grace over", .cur = C_FRESH, .ret = R_OVER, .expect = "sinks() -> revoke(ret-over)"),
	R("retired, grace not over", .cur = C_FRESH, .ret = R_WITHIN, .expect = "sinks() -> revoke(none over grace now)"),
	R("retired, grace held for the publish (its provisional end passed)", .cur = C_FRESH, .ret = R_HELD,
		.expect = "sinks() -> revoke(none over grace now)"),
	R("retired, grace held for the publish, but expired", .cur = C_FRESH, .ret = R_HELD_EXPIRED,
		.expect = "sinks() -> revoke(ret-held)"),
	R("retired, grace held for the publish, renewal due", .cur = C_DUE, .ret = R_HELD, .expect = "create(renewal "
		"due) -> activate(none, reached, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(none over grace now)"),
	R("grace 0 (was 1 h) and due", .cur = C_DUE, .ret = R_WITHIN, .grace = 0, .expect = "create(renewal due) -> "
		"activate(none, reached, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(none over grace now)"),
	R("grace 0 (was 1 h), not due", .cur = C_FRESH, .ret = R_WITHIN, .grace = 0,
		.expect = "sinks() -> revoke(none over grace now)"),
	R("hook owed for the current token", .cur = C_FRESH, .hook = K_HOOK | K_OWED, .expect = "sinks() -> hook()"),
	R("hook configured, due", .cur = C_DUE, .hook = K_HOOK, .expect = "create(renewal due) -> activate(none, reached, "
		"wait) [if a next token exists] -> promote(retire current) [once active] -> sinks() -> revoke(none over "
		"grace now) -> hook() [if owed by then]"),
	R("hook configured, not due", .cur = C_FRESH, .hook = K_HOOK, .expect = "sinks()"),
	R("rotate for get, probe, current valid", .cur = C_DUE, .act = ITH_ACT_PROBE, .flags = ITH_PLAN_FROM_GET,
		.expect = "create(renewal due) -> activate(probe, left to rotate) [if a next token exists] -> sinks()"),
	R("rotate for get, probe, current expired", .cur = C_EXPIRED, .next = N_NEW, .act = ITH_ACT_PROBE,
		.flags = ITH_PLAN_FROM_GET, .expect = "activate(probe, to check) -> promote(retire current) [once active] "
		"-> sinks() -> revoke(none over grace now)"),
	/* Issue 20: no state blocks a create for ever. */
	R("wedge: current and pending next expired", .cur = C_EXPIRED, .next = N_EXPIRED, .act = ITH_ACT_PROBE,
		.expect = "drop(next, expired, revoke now) -> create(renewal due) -> activate(probe, to check, wait) [if a "
		"next token exists] -> promote(retire current) [once active] -> sinks() -> revoke(next)"),
	R("wedge: pending next expired, current valid", .cur = C_FRESH, .next = N_EXPIRED, .act = ITH_ACT_PROBE,
		.expect = "drop(next, expired, revoke now) -> create(replaces next) -> activate(probe, to check, wait) [if "
		"a next token exists] -> promote(retire current) [once active] -> sinks() -> revoke(next)"),
	R("wedge: next not active by its own renewal, current expired", .cur = C_EXPIRED, .next = N_STALE,
		.act = ITH_ACT_PROBE, .probe = ITH_PROBE_NOT_YET, .expect = "drop(next, not active by its renewal, revoke "
		"after grace) -> create(renewal due) -> activate(probe, to check, wait) [if a next token exists] -> "
		"promote(retire current) [once active] -> sinks() -> revoke(none over grace now)"),
	R("wedge: next not active by its own renewal (probe fails), current due", .cur = C_DUE, .next = N_STALE,
		.act = ITH_ACT_PROBE, .probe = ITH_PROBE_FAILED, .expect = "drop(next, not active by its renewal, revoke "
		"now) -> create(renewal due) -> activate(probe, to check, wait) [if a next token exists] -> "
		"promote(retire current) [once active] -> sinks() -> revoke(next)"),
	R("wedge: --force with a pending next, current valid", .cur = C_DUE, .next = N_NEW, .act = ITH_ACT_PROBE,
		.flags = ITH_PLAN_WAIT | ITH_PLAN_FORCE, .expect = "drop(next, forced, revoke now) -> create(forced) -> "
		"activate(probe, to check, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(next)"),
	R("wedge: --force with a pending next, current expired", .cur = C_EXPIRED, .next = N_NEW, .act = ITH_ACT_DELAY,
		.flags = ITH_PLAN_WAIT | ITH_PLAN_FORCE, .expect = "drop(next, forced, revoke after grace) -> "
		"create(forced) -> activate(delay, to check, wait) [if a next token exists] -> promote(retire current) "
		"[once active] -> sinks() -> revoke(none over grace now)"),
	R("wedge: --force, first token pending", .cur = C_NONE, .next = N_NEW, .flags = ITH_PLAN_WAIT | ITH_PLAN_FORCE,
		.expect = "drop(next, forced, revoke after grace) -> create(none yet) -> activate(none, reached, wait) [if "
		"a next token exists] -> promote(first token) [once active] -> sinks()"),
	R("wedge: current expired, no next", .cur = C_EXPIRED, .act = ITH_ACT_PROBE, .expect = "create(renewal due) -> "
		"activate(probe, to check, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(none over grace now)"),
	R("wedge: open intent, current and next expired", .cur = C_EXPIRED, .next = N_EXPIRED, .pend = P_YOUNG,
		.expect = "sweep(intent stays open) -> drop(next, expired, revoke now) -> create(renewal due) -> "
		"activate(none, reached, wait) [if a next token exists] -> promote(retire current) [once active] -> "
		"sinks() -> revoke(next)"),
	R("wedge: expired next with a scope change: dropped, not patched", .cur = C_EXPIRED, .next = N_EXPIRED,
		.diff = D_NEXT, .expect = "drop(next, expired, revoke now) -> create(renewal due) -> activate(none, "
		"reached, wait) [if a next token exists] -> promote(retire current) [once active] -> sinks() -> "
		"revoke(next)"),
	R("wedge: rotate for get, current and next expired", .cur = C_EXPIRED, .next = N_EXPIRED, .act = ITH_ACT_PROBE,
		.flags = ITH_PLAN_FROM_GET, .expect = "drop(next, expired, revoke now) -> create(renewal due) -> "
		"activate(probe, to check) [if a next token exists] -> promote(retire current) [once active] -> sinks() "
		"-> revoke(next)"),
	R("wedge: pending next 2h old, probe 401, current due: kept", .cur = C_DUE, .next = N_OLD, .act = ITH_ACT_PROBE,
		.probe = ITH_PROBE_NOT_YET, .expect = "activate(probe, not yet, wait) -> promote(retire current) [once "
		"active] -> sinks() -> revoke(none over grace now)"),
	G("get: current and next expired", GET_CACHED, .cur = C_EXPIRED, .next = N_EXPIRED, .min_ttl = -1,
		.expect = "renew()"),
	G("get: cache valid", GET_CACHED, .cur = C_FRESH, .min_ttl = -1, .expect = "serve(current)"),
	G("get: renewal due, cache valid", GET_CACHED, .cur = C_DUE, .min_ttl = -1,
		.expect = "renew(busy: serve current)"),
	G("get: min-ttl 2h, 1h left", GET_CACHED, .cur = C_DUE, .min_ttl = 2 * H, .expect = "renew()"),
	G("get: current expired, next valid", GET_CACHED, .cur = C_EXPIRED, .next = N_NEW, .min_ttl = -1,
		.expect = "serve(next)"),
	G("get: no token at all", GET_CACHED, .cur = C_NONE, .min_ttl = -1, .expect = "renew()"),
	G("get locked: min-ttl 30m met though due", GET_LOCKED, .cur = C_DUE, .min_ttl = H / 2,
		.expect = "serve(current)"),
	G("get locked: min-ttl 3h, short token not due", GET_LOCKED, .cur = C_SHORT, .min_ttl = 3 * H,
		.expect = "renew(forced)"),
	G("get locked: min-ttl 3h, next pending", GET_LOCKED, .cur = C_SHORT, .next = N_NEW, .min_ttl = 3 * H,
		.expect = "renew()"),
	G("get renewed: current valid", GET_RENEWED, .cur = C_FRESH, .min_ttl = -1, .expect = "serve(current)"),
	G("get renewed: current short of min-ttl", GET_RENEWED, .cur = C_SHORT, .next = N_NEW, .min_ttl = 3 * H,
		.expect = "serve(current, short of min-ttl)"),
	G("get renewed: only the next valid", GET_RENEWED, .cur = C_EXPIRED, .next = N_NEW, .min_ttl = -1,
		.expect = "serve(next)"),
	G("get renewed: nothing valid", GET_RENEWED, .cur = C_EXPIRED, .min_ttl = -1, .expect = "fail(no valid token)"),
	G("get: API down, valid cache", GET_FAILED, .cur = C_DUE, .min_ttl = -1, .expect = "serve(current, stale)"),
	G("get: API down, cache below min-ttl", GET_FAILED, .cur = C_DUE, .min_ttl = 2 * H,
		.expect = "serve(current, stale, short of min-ttl)"),
	G("get: API down, cache expired", GET_FAILED, .cur = C_EXPIRED, .min_ttl = -1,
		.expect = "fail(the renewal's error)"),
	G("get: API down, cache expired, next valid", GET_FAILED, .cur = C_EXPIRED, .next = N_NEW, .min_ttl = -1,
		.expect = "fail(the renewal's error)"),
	G("exec: renewal due, current valid: served, never renewed", GET_SUPERVISED, .cur = C_DUE, .min_ttl = -1,
		.expect = "serve(current)"),
	G("exec: current valid, next pending", GET_SUPERVISED, .cur = C_FRESH, .next = N_NEW, .min_ttl = -1,
		.expect = "serve(current)"),
	G("exec: current expired, next valid", GET_SUPERVISED, .cur = C_EXPIRED, .next = N_NEW, .min_ttl = -1,
		.expect = "serve(next)"),
	G("exec: current and next expired", GET_SUPERVISED, .cur = C_EXPIRED, .next = N_EXPIRED, .min_ttl = -1,
		.expect = "fail(no valid token)"),
	G("exec: no token at all", GET_SUPERVISED, .cur = C_NONE, .min_ttl = -1, .expect = "fail(no valid token)"),
};

static char *metrics[] = { "metrics" }, *sensors[] = { "sensors" }, *hook_argv[] = { "/bin/true" };

static void set_token(struct ith_state_token *t, const char *id, int64_t created, int64_t expires, bool diff)
{
	struct ith_perms other;

	snprintf(t->id, sizeof(t->id), "%s", id);
	t->created_at = t->started_at = created;
	t->expires_at = expires;
	if (diff) {
		ith_perms_from_lists(&other, sensors, 1, metrics, 1);
		ith_perms_copy(&t->perms, &other);
		ith_perms_release(&other);
	} else {
		ith_perms_from_lists(&t->perms, sensors, 1, NULL, 0);
	}
}

static void build_state(const struct row *w, struct ith_state *st)
{
	static const int64_t exp[] = { 0, NOW + LIFE, NOW + H, NOW - 10, NOW + 2 * H };

	ith_state_init(st, INST);
	if (w->cur != C_NONE) {
		st->has_current = true;
		set_token(&st->current, "cur", w->cur == C_SHORT ? NOW : exp[w->cur] - LIFE, exp[w->cur], w->diff & D_CUR);
	}
	if (w->next != N_NONE) {
		static const int64_t age[] = { 0, 10, 2 * H, 20 * H, LIFE + 10 };
		int64_t started = NOW - age[w->next];
		st->has_next = true;
		set_token(&st->next, "nxt", started, started + LIFE, w->diff & D_NEXT);
	}
	if (w->ret == R_OVER)
		ith_state_retire(st, "ret-over", NOW - 5, NOW + H);
	else if (w->ret == R_WITHIN)
		ith_state_retire(st, "ret-within", NOW + 1800, NOW + H);
	else if (w->ret == R_HELD || w->ret == R_HELD_EXPIRED) {
		ith_state_retire(st, "ret-held", NOW - 5, w->ret == R_HELD ? NOW + H : NOW);
		st->retired[0].after_publish = true;
	}
	if (w->pend != P_NONE)
		st->pending_since = w->pend == P_YOUNG ? NOW - 10 : NOW - WINDOW - 10;
	if (w->hook & K_OWED)
		snprintf(st->hook_pending, sizeof(st->hook_pending), "cur");
}

static void run_row(const struct row *w, struct ith_strbuf *got)
{
	struct ith_profile p = { .name = "telegraf", .lifetime = LIFE, .renew_before = RB, .grace = w->grace,
		.activation = w->act, .activation_timeout = 60 };
	struct ith_perms want;
	struct ith_state st;
	struct ith_plan pl;

	p.write.v = sensors;
	p.write.n = 1;
	if (w->hook & K_HOOK) {
		p.on_rotate.v = hook_argv;
		p.on_rotate.n = 1;
	}
	build_state(w, &st);
	ith_perms_from_lists(&want, sensors, 1, NULL, 0);
	struct ith_plan_in in = { .p = &p, .st = &st, .instance = INST, .want = &want, .flags = w->flags, .now = NOW,
		.inflight_window = WINDOW, .probe = w->probe, .min_ttl = w->min_ttl,
		.stage = w->op == ROT ? ITH_GET_CACHED : (enum ith_get_stage)(w->op - GET_CACHED) };
	if (w->op == ROT)
		ith_plan_rotate(&in, &pl);
	else
		ith_plan_get(&in, &pl);
	ith_plan_format(&pl, &st, NOW, got);
	ith_perms_release(&want);
	ith_state_release(&st);
}

/* The inputs of a row, for the markdown table. */
static void describe(const struct row *w, struct ith_strbuf *sb)
{
	static const char *const op[] = { "rotate", "get (no lock)", "get (locked)", "get (renewed)",
		"get (renewal failed)", "exec (no renewal)" };
	static const char *const cur[] = { "none", "valid, not due", "valid 1h, due", "expired", "2h token, not due" };
	static const char *const next[] = { "", "; next 10s old", "; next 2h old", "; next 20h old (past its renewal)",
		"; next expired" };
	static const char *const pend[] = { "", "; intent 10s old", "; intent past window" };
	static const char *const ret[] = { "", "; retired over grace", "; retired within grace",
		"; retired over its provisional grace, held for the publish", "; retired, held for the publish, expired" };
	static const char *const act[] = { "none", "delay 60s", "probe" };
	static const char *const probe[] = { "", ", probe 2xx", ", probe 403", ", probe failed" };

	ith_strbuf_addf(sb, "%s; current %s%s%s%s", op[w->op], cur[w->cur], next[w->next], pend[w->pend], ret[w->ret]);
	if (w->diff)
		ith_strbuf_addf(sb, "; scope changed (%s%s)", w->diff & D_CUR ? "current" : "",
			w->diff == (D_CUR | D_NEXT) ? ", next" : w->diff & D_NEXT ? "next" : "");
	if (w->op == ROT)
		ith_strbuf_addf(sb, "; activation %s%s; grace %s", act[w->act], probe[w->probe], w->grace ? "1h" : "0");
	if (w->hook)
		ith_strbuf_addf(sb, "; on_rotate%s", w->hook & K_OWED ? ", owed" : "");
	if (w->flags & ITH_PLAN_FORCE)
		ith_strbuf_addstr(sb, "; --force");
	if (w->op == ROT && !(w->flags & ITH_PLAN_WAIT))
		ith_strbuf_addstr(sb, "; no wait");
	if (w->op == ROT && (w->flags & ITH_PLAN_FROM_GET))
		ith_strbuf_addstr(sb, "; from get");
	if (w->min_ttl >= 0)
		ith_strbuf_addf(sb, "; --min-ttl %llds", (long long)w->min_ttl);
}

static void test_decision_table(void)
{
	const char *env = getenv("ITH_PRINT_PLAN_TABLE");
	bool print = env && !strcmp(env, "1");

	if (print)
		printf("\n| # | case | inputs | steps |\n|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ith_strbuf got = ITH_STRBUF_INIT, in = ITH_STRBUF_INIT;
		run_row(&rows[i], &got);
		if (strcmp(got.buf, rows[i].expect))
			fprintf(stderr, "\nrow %zu (%s):\n  want %s\n  got  %s\n", i + 1, rows[i].name, rows[i].expect, got.buf);
		CU_ASSERT_STRING_EQUAL(got.buf, rows[i].expect);
		if (print) {
			describe(&rows[i], &in);
			printf("| %zu | %s | %s | %s |\n", i + 1, rows[i].name, in.buf, got.buf);
		}
		ith_strbuf_release(&got);
		ith_strbuf_release(&in);
	}
}

/* Derived facts of a plan: the API is needed before the activation only when a step there needs it. */
static void test_needs_api(void)
{
	static const struct row quiet = R("", .cur = C_FRESH, .ret = R_OVER);
	static const struct row sweep = R("", .cur = C_FRESH, .pend = P_YOUNG);
	static const struct row pending = R("", .cur = C_FRESH, .next = N_NEW);
	const struct row *v[] = { &quiet, &sweep, &pending };
	bool want[] = { false, true, true };

	for (size_t i = 0; i < 3; i++) {
		struct ith_profile p = { .name = "telegraf", .lifetime = LIFE, .renew_before = RB, .grace = H };
		struct ith_perms w;
		struct ith_state st;
		struct ith_plan pl;
		p.write.v = sensors;
		p.write.n = 1;
		build_state(v[i], &st);
		ith_perms_from_lists(&w, sensors, 1, NULL, 0);
		struct ith_plan_in in = { .p = &p, .st = &st, .instance = INST, .want = &w, .flags = ITH_PLAN_WAIT,
			.now = NOW, .inflight_window = WINDOW };
		ith_plan_rotate(&in, &pl);
		CU_ASSERT_EQUAL(pl.needs_api, want[i]);
		CU_ASSERT_FALSE(pl.due);
		CU_ASSERT_TRUE(pl.renew_at > NOW);
		ith_perms_release(&w);
		ith_state_release(&st);
	}
}

/*
 * The SINKS step per sink (ith_plan_publish): a local sink is always compared by content (a reboot empties /run);
 * a remote one is published only when its record differs from the current token, or on --force.
 */
static void test_publish_decision(void)
{
	static const struct {
		bool current, local;
		const char *record;   /* NULL: no record for the sink */
		int flags;
		enum ith_publish_action want;
	} t[] = {
		{ true, true, NULL, 0, ITH_PUBLISH_COMPARE },            /* an older state: local sinks by content */
		{ true, true, "cur", 0, ITH_PUBLISH_COMPARE },           /* published, yet /run may have been emptied */
		{ true, true, "old", 0, ITH_PUBLISH_COMPARE },
		{ true, true, "cur", ITH_PLAN_FORCE, ITH_PUBLISH_COMPARE },
		{ true, false, "cur", 0, ITH_PUBLISH_SKIP },             /* published there: no call at all */
		{ true, false, "cur", ITH_PLAN_WAIT, ITH_PUBLISH_SKIP },
		{ true, false, "cur", ITH_PLAN_FORCE, ITH_PUBLISH_WRITE }, /* rotate --force: everything again */
		{ true, false, "old", 0, ITH_PUBLISH_WRITE },            /* a new token, or an earlier failure: the retry */
		{ true, false, NULL, 0, ITH_PUBLISH_WRITE },             /* never published (an older state) */
		{ false, false, NULL, ITH_PLAN_FORCE, ITH_PUBLISH_SKIP }, /* no current token: nothing to publish */
		{ false, true, NULL, 0, ITH_PUBLISH_SKIP },
	};
	static const char *const key = "0123456789abcdef", *other = "fedcba9876543210";

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ith_state st;
		ith_state_init(&st, INST);
		if (t[i].current) {
			st.has_current = true;
			snprintf(st.current.id, sizeof(st.current.id), "cur");
		}
		ith_state_set_published(&st, other, "cur");  /* another sink's record changes nothing */
		if (t[i].record)
			ith_state_set_published(&st, key, t[i].record);
		enum ith_publish_action got = ith_plan_publish(&st, key, t[i].local, t[i].flags);
		if (got != t[i].want)
			fprintf(stderr, "\npublish row %zu: want %d got %d\n", i + 1, (int)t[i].want, (int)got);
		CU_ASSERT_EQUAL(got, t[i].want);
		ith_state_release(&st);
	}
}

/*
 * A remote sink's conflict rule (ith_plan_remote_verdict), one row per outcome: what vault.c and k8s.c see at
 * the place against our current token "cur" (expires at 2000).
 */
static void test_remote_verdict(void)
{
	static const struct {
		bool exists, ours;
		const char *id;
		bool same;
		int64_t expires;
		enum ith_remote_verdict want;
	} t[] = {
		{ false, false, NULL, false, 0, ITH_REMOTE_WRITE },       /* nothing there: create it */
		{ true, false, NULL, false, 0, ITH_REMOTE_FOREIGN },      /* not ours: never written over */
		{ true, false, "cur", true, 2000, ITH_REMOTE_FOREIGN },   /* our token, but no marker of this instance */
		{ true, true, "cur", true, 2000, ITH_REMOTE_DONE },       /* our current token there: done */
		{ true, true, "cur", false, 2000, ITH_REMOTE_WRITE },     /* our id, another token: write it again */
		{ true, true, "new", false, 3000, ITH_REMOTE_CONFLICT },  /* a newer token of ours: another rotator ahead */
		{ true, true, "new", false, 0, ITH_REMOTE_CONFLICT },     /* one that never expires is newer */
		{ true, true, "old", false, 1000, ITH_REMOTE_WRITE },     /* an older token of ours: replaced */
		{ true, true, "old", false, 2000, ITH_REMOTE_WRITE },     /* as old as ours: replaced */
		{ true, true, "", false, 0, ITH_REMOTE_WRITE },           /* ours, no token yet */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ith_state_token cur;
		memset(&cur, 0, sizeof(cur));
		snprintf(cur.id, sizeof(cur.id), "cur");
		cur.expires_at = 2000;
		struct ith_remote_seen seen = { t[i].exists, t[i].ours, t[i].id, t[i].same, t[i].expires };
		enum ith_remote_verdict got = ith_plan_remote_verdict(&seen, &cur);
		if (got != t[i].want)
			fprintf(stderr, "\nremote verdict row %zu: want %d got %d\n", i + 1, (int)t[i].want, (int)got);
		CU_ASSERT_EQUAL(got, t[i].want);
	}
	struct ith_state_token never;  /* ours never expires: nothing is newer */
	memset(&never, 0, sizeof(never));
	snprintf(never.id, sizeof(never.id), "cur");
	struct ith_remote_seen other = { true, true, "new", false, 0 };
	CU_ASSERT_EQUAL(ith_plan_remote_verdict(&other, &never), ITH_REMOTE_WRITE);
}

int register_plan_tests(void)
{
	CU_pSuite s = CU_add_suite("plan: the decision table of rotate and get (no I/O)", NULL, NULL);
	if (!s)
		return -1;
	ADD(s, test_decision_table);
	ADD(s, test_needs_api);
	ADD(s, test_publish_decision);
	ADD(s, test_remote_verdict);
	return 0;
}
