/*
 * renewal_sim.c - how a fleet installed in the same minute spreads its
 * renewals over time, under the packaged timer.
 *
 * Drives the core's own renewal function (ith_token_renew_at, with the phase
 * from ith_phase) for N instance ids: each host makes its first token when it
 * is installed (all within one minute), then its timer fires every 5 minutes
 * on the wall-clock grid plus a fixed per-host delay in [0, 5 min)
 * (OnCalendar=*:0/5, RandomizedDelaySec=5min, FixedRandomDelay=true), and a
 * run creates a token when the current one is due. Creates are counted in
 * 10-minute buckets; per day it prints the busiest bucket over the mean one.
 * For comparison it runs the rule the helper had before (due at
 * expires_at - renew_before + a splay in [0, renew_before/10)) under the timer
 * it had then (RandomizedDelaySec=120, drawn anew on every run).
 *
 * With --hosts, the fleet is one central rotator's hosts_file instead: ONE
 * instance id, one timer (one fixed delay), and N profiles telegraf@HOST
 * whose tokens the first rollout makes within one minute; the phase hashes
 * the instance and the profile name, so they spread as separate hosts do.
 *
 * Prints numbers; not a pass/fail test. Usage:
 *     renewal-sim [--hosts] [HOSTS [DAYS [SEED]]]       (defaults 10000 8 1)
 */
#include "schedule.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMER_STEP 300        /* OnCalendar=*:0/5 */
#define BUCKET 600            /* 10 minutes */
#define T0 1767225600         /* 2026-01-01T00:00:00Z, a grid point */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64: repeatable runs for a given seed */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fake_uuid(char out[ITH_UUID_LEN + 1])
{
	uint64_t a = rnd(), b = rnd();

	snprintf(out, ITH_UUID_LEN + 1, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		(unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffull));
}

/* First timer firing at or after t for a host whose timer fires at grid + offset. */
static int64_t next_fire(int64_t t, int64_t offset)
{
	int64_t k = (t - offset + TIMER_STEP - 1 - T0) / TIMER_STEP;

	if (t - offset - T0 < 0)
		k = 0;
	return T0 + k * TIMER_STEP + offset;
}

struct tally {
	unsigned *buckets;
	size_t nbuckets;
	unsigned long creates;
};

static void count(struct tally *t, int64_t when)
{
	size_t b = (size_t)((when - T0) / BUCKET);

	if (b < t->nbuckets)
		t->buckets[b]++;
	t->creates++;
}

static void report(const char *rule, const struct tally *t, size_t hosts, int64_t period)
{
	size_t per_day = 86400 / BUCKET;
	double bound = 1.1 * (double)hosts * 86400.0 / (double)period;

	printf("\n%s\n", rule);
	printf("  bound on creates per day: 1.1 * N * 24h / P = %.0f\n", bound);
	printf("  day  creates  within bound  busiest 10 min  mean 10 min  busiest/mean\n");
	for (int d = 0; d < (int)(t->nbuckets / per_day); d++) {
		unsigned long sum = 0;
		unsigned max = 0;
		for (size_t i = (size_t)d * per_day; i < (size_t)(d + 1) * per_day; i++) {
			sum += t->buckets[i];
			if (t->buckets[i] > max)
				max = t->buckets[i];
		}
		double mean = (double)sum / (double)per_day;
		printf("  %3d  %7lu  %12s  %14u  %11.1f  %12.2f\n", d + 1, sum, sum <= bound ? "yes" : "NO",
			max, mean, mean > 0 ? max / mean : 0.0);
	}
}

int main(int argc, char **argv)
{
	bool central = argc > 1 && !strcmp(argv[1], "--hosts");   /* one rotator, NAME@HOST profiles */
	if (central) {
		argv++;
		argc--;
	}
	size_t hosts = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	int days = argc > 2 ? atoi(argv[2]) : 8;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	struct ith_profile p;
	struct tally now_rule = { NULL, 0, 0 }, old_rule = { NULL, 0, 0 };
	int64_t end, period;

	if (!hosts || days < 1 || days > 60) {
		fprintf(stderr, "usage: renewal-sim [--hosts] [HOSTS [DAYS [SEED]]]\n");
		return 64;
	}
	memset(&p, 0, sizeof(p));
	p.name = "telegraf";
	p.lifetime = 24 * 3600;       /* the sample config */
	p.renew_before = 6 * 3600;
	period = p.lifetime - p.renew_before;
	end = T0 + (int64_t)days * 86400;
	now_rule.nbuckets = old_rule.nbuckets = (size_t)days * 86400 / BUCKET;
	now_rule.buckets = calloc(now_rule.nbuckets, sizeof(unsigned));
	old_rule.buckets = calloc(old_rule.nbuckets, sizeof(unsigned));
	if (!now_rule.buckets || !old_rule.buckets)
		return 70;
	rng_state = seed;
	char rotator[ITH_UUID_LEN + 1], name[ITH_PROFILE_MAX + 1];
	int64_t rotator_offset = (int64_t)(rnd() % TIMER_STEP);
	fake_uuid(rotator);

	for (size_t h = 0; h < hosts; h++) {
		char inst[ITH_UUID_LEN + 1];
		struct ith_state_token tok;
		int64_t installed = T0 + (int64_t)(rnd() % 60), offset = (int64_t)(rnd() % TIMER_STEP), t;

		fake_uuid(inst);
		if (central) {  /* the same instance and timer for all; each host its own profile name */
			memcpy(inst, rotator, sizeof(inst));
			offset = rotator_offset;
			snprintf(name, sizeof(name), "telegraf@host-%05zu.example.com", h);
			p.name = name;
		}
		memset(&tok, 0, sizeof(tok));
		/* the rule of today, under today's timer */
		for (t = installed; t < end;) {
			count(&now_rule, t);
			tok.started_at = tok.created_at = t;
			tok.expires_at = t + p.lifetime;   /* the server confirms what was asked */
			int64_t due = ith_token_renew_at(&tok, &p, inst);
			if (due <= t)
				return fprintf(stderr, "renewal due at creation: a loop\n"), 70;
			t = next_fire(due, offset);
		}
		/* the rule before: splay of renew_before/10, RandomizedDelaySec=120 drawn on every run */
		int64_t splay = (int64_t)(ith_hash64(inst) % (uint64_t)(p.renew_before / 10));
		for (t = installed; t < end;) {
			count(&old_rule, t);
			int64_t due = t + p.lifetime - p.renew_before + splay;
			int64_t k = (due - T0 + TIMER_STEP - 1) / TIMER_STEP;
			t = T0 + k * TIMER_STEP + (int64_t)(rnd() % 120);
			if (t < due)
				t += TIMER_STEP;
		}
	}
	printf("renewal simulation: %zu %s within one minute, lifetime 24h, renew_before 6h "
		"(P = %llds), %d days, seed %llu\n", hosts, central ? "telegraf@HOST profiles of ONE rotator (one instance, "
		"one timer) created" : "hosts installed", (long long)period, days, (unsigned long long)seed);
	report("phase-locked renewal (today), timer every 5 min + fixed per-host delay in [0, 5 min):", &now_rule,
		hosts, period);
	report("for comparison, the earlier rule (splay of renew_before/10), timer every 5 min + random 0-120 s:",
		&old_rule, hosts, period);
	free(now_rule.buckets);
	free(old_rule.buckets);
	return 0;
}
