#include "cli.h"
#include "text.h"
#include "time.h"
#include "commands.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char *liveness(const struct ith_owned *o)
{
	return o->revoked ? "revoked" : o->expired ? "expired" : "active";
}

static void list_json(const struct ith_owned *v, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char when[32];
		json_object_object_add(o, "id", json_object_new_string(v[i].tok.id));
		json_object_object_add(o, "profile", json_object_new_string(v[i].profile));
		json_object_object_add(o, "role", json_object_new_string(ith_role_name(v[i].role)));
		json_object_object_add(o, "state", json_object_new_string(liveness(&v[i])));
		if (v[i].tok.expires_at) {
			ith_format_rfc3339(v[i].tok.expires_at, when, sizeof(when));
			json_object_object_add(o, "expires_at", json_object_new_string(when));
		}
		char desc[400];
		json_object_object_add(o, "description",
			json_object_new_string(ith_safe_text(v[i].tok.description, desc, sizeof(desc))));
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ith_strbuf err = ITH_STRBUF_INIT;
	const char *fmt = "table";
	struct ith_owned *v = NULL;
	size_t n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'h': return cli_command_help("list");
		default: return cli_usage_error("list", "unknown option");
		}
	}
	if (strcmp(fmt, "table") && strcmp(fmt, "json"))
		return cli_usage_error("list", "unknown format '%s' (table, json)", fmt);
	if (optind < argc)
		return cli_usage_error("list", "no arguments expected");
	if ((r = cli_load(cli, CLI_STATE_READONLY)))
		return r;
	if ((r = ith_list_owned(&cli->ctx, &v, &n, &err)) < 0)
		return cli_fail(r, &err);
	ith_strbuf_release(&err);
	if (!strcmp(fmt, "json")) {
		list_json(v, n);
	} else {
		printf("%-36s  %-16s  %-15s  %-7s  %s\n", "ID", "PROFILE", "ROLE", "STATE", "EXPIRES");
		for (size_t i = 0; i < n; i++) {
			char when[32] = "-";
			if (v[i].tok.expires_at)
				ith_format_rfc3339(v[i].tok.expires_at, when, sizeof(when));
			printf("%-36s  %-16s  %-15s  %-7s  %s\n", v[i].tok.id, v[i].profile, ith_role_name(v[i].role),
				liveness(&v[i]), when);
		}
	}
	ith_owned_release(v, n);
	return 0;
}
