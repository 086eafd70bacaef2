#include "cli.h"
#include "output.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Health in one word: missing, expired, renew-due, failing, activating, ok. */
static const char *health(const struct ith_state *st, const struct ith_profile *p, const char *inst, int64_t now)
{
	if (!st->has_current)
		return st->has_next ? "activating" : "missing";
	if (st->current.expires_at <= now)
		return "expired";
	if (st->last_error[0])
		return "failing";
	if (st->has_next)
		return "activating";
	if (ith_renewal_due(st, p, inst, now))
		return "renew-due";
	return "ok";
}

static json_object *profile_json(const struct ith_state *st, const struct ith_profile *p, const char *inst, int64_t now)
{
	json_object *o = json_object_new_object();
	char when[32];

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "state", json_object_new_string(health(st, p, inst, now)));
	if (st->has_current) {
		int64_t renew = ith_renew_at(st->current.expires_at, p->renew_before,
			ith_splay(inst, p->name, p->renew_before));
		json_object_object_add(o, "id", json_object_new_string(st->current.id));
		ith_format_rfc3339(st->current.expires_at, when, sizeof(when));
		json_object_object_add(o, "expires_at", json_object_new_string(when));
		json_object_object_add(o, "seconds_left", json_object_new_int64(st->current.expires_at - now));
		ith_format_rfc3339(renew, when, sizeof(when));
		json_object_object_add(o, "renew_at", json_object_new_string(when));
		json_object_object_add(o, "age_seconds", json_object_new_int64(now - st->current.created_at));
	}
	if (st->has_next)
		json_object_object_add(o, "next_id", json_object_new_string(st->next.id));
	json_object_object_add(o, "rotations", json_object_new_int64((int64_t)st->rotations));
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)st->failures));
	json_object_object_add(o, "retired", json_object_new_int64((int64_t)st->nretired));
	json_object_object_add(o, "last_error", json_object_new_string(st->last_error));
	return o;
}

static void profile_text(const struct ith_state *st, const struct ith_profile *p, const char *inst, int64_t now)
{
	char when[32], left[32];

	printf("%s: %s\n", p->name, health(st, p, inst, now));
	if (st->has_current) {
		int64_t renew = ith_renew_at(st->current.expires_at, p->renew_before,
			ith_splay(inst, p->name, p->renew_before));
		printf("  token:       %s\n", st->current.id);
		ith_format_rfc3339(st->current.expires_at, when, sizeof(when));
		ith_format_duration(st->current.expires_at - now, left, sizeof(left));
		printf("  expires:     %s (%s left)\n", when, left);
		ith_format_rfc3339(renew, when, sizeof(when));
		ith_format_duration(renew - now, left, sizeof(left));
		printf("  renewal:     %s (in %s)\n", when, left);
	}
	if (st->has_next)
		printf("  next:        %s (activating for %llds)\n", st->next.id, (long long)(now - st->next.started_at));
	printf("  rotations:   %llu, failures: %llu\n", (unsigned long long)st->rotations,
		(unsigned long long)st->failures);
	if (st->nretired)
		printf("  retired:     %zu awaiting revocation\n", st->nretired);
	for (size_t i = 0; i < p->nsinks; i++) {
		struct stat sb;
		printf("  sink:        %s (%s)\n", p->sinks[i].path, lstat(p->sinks[i].path, &sb) == 0 ? "present" : "missing");
	}
	if (st->last_error[0])
		printf("  last error:  %s\n", st->last_error);
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ith_profile **profiles = NULL;
	const char *fmt = "text";
	json_object *root = NULL, *arr = NULL;
	size_t n = 0;
	int64_t now = ith_now();
	int c, rc;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'h': return cli_command_help("status");
		default: return cli_usage_error("status", "unknown option");
		}
	}
	if (strcmp(fmt, "text") && strcmp(fmt, "json"))
		return cli_usage_error("status", "unknown format '%s' (text, json)", fmt);
	if ((rc = cli_load(cli, CLI_STATE_READONLY)) || (rc = cli_profiles(cli, argc - optind, argv + optind, &profiles, &n)))
		return rc;
	if (!strcmp(fmt, "json")) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "instance", json_object_new_string(cli->ctx.instance));
	}
	for (size_t i = 0; i < n; i++) {
		struct ith_state st;
		int r = ith_state_load(cli->cfg.state_dir, profiles[i]->name, cli->ctx.instance, &st);
		if (r < 0) {
			rc = cli_fail(r);
			break;
		}
		if (arr)
			json_object_array_add(arr, profile_json(&st, profiles[i], cli->ctx.instance, now));
		else
			profile_text(&st, profiles[i], cli->ctx.instance, now);
		ith_state_release(&st);
	}
	if (root) {
		json_object_object_add(root, "profiles", arr);
		if (!rc)
			printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else if (!rc) {
		printf("instance: %s\n", cli->ctx.instance[0] ? cli->ctx.instance : "(none yet)");
	}
	free(profiles);
	return rc;
}
