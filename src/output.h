/*
 * output.h - handing a token to its consumer: the `get` formats and the
 * sink files (docs/design.md "Telegraf integration").
 *
 *   raw              the token, no trailing newline
 *   json             {"name","id","token","expires_at"}
 *   env              NAME='token' and NAME_EXPIRES_AT='<RFC 3339>' lines (sh-quoted)
 *   exec-credential  client.authentication.k8s.io/v1 ExecCredential
 *
 * Sinks: `file` holds the raw token (what secretstores.docker reads), `env`
 * the env format (a systemd EnvironmentFile= or sh `.` file). Both are
 * replaced atomically with their mode and group; ith_sink_sync() rewrites a
 * sink only when its content differs (e.g. /run was emptied by a reboot).
 *
 * Error handling: 0 or a negative cause with the message in err (error.h);
 * ITH_ERR_UNSAFE for symlinked sink paths.
 */
#ifndef ITH_OUTPUT_H
#define ITH_OUTPUT_H

#include "config.h"
#include "state.h"

enum ith_format { ITH_FMT_RAW, ITH_FMT_JSON, ITH_FMT_ENV, ITH_FMT_EXEC_CREDENTIAL };

int ith_format_parse(const char *s, enum ith_format *out, struct ith_strbuf *err);
/* Render into out (a secret strbuf: the caller releases it). */
void ith_format_token(enum ith_format f, const struct ith_profile *p, const struct ith_state_token *t,
	struct ith_strbuf *out);

/* Write the sink if its content differs; *changed says whether it did. */
int ith_sink_sync(const struct ith_sink *s, const struct ith_profile *p, const struct ith_state_token *t,
	bool *changed, struct ith_strbuf *err);
/* Read-only: would ith_sink_sync write the sink, and why (*diff). Nothing is created, written or changed;
 * a missing sink directory is ITH_SINK_MISSING, an unsafe one an error (as the write would be). */
enum ith_sink_diff { ITH_SINK_SAME, ITH_SINK_MISSING, ITH_SINK_DIFFERS };
int ith_sink_check(const struct ith_sink *s, const struct ith_profile *p, const struct ith_state_token *t,
	enum ith_sink_diff *diff, struct ith_strbuf *err);
/* What ith_sink_remove would do, found read-only: *exists, or a negative cause when it would fail. */
int ith_sink_remove_check(const struct ith_sink *s, bool *exists, struct ith_strbuf *err);
int ith_sink_remove(const struct ith_sink *s, struct ith_strbuf *err);

/*
 * The publish record's view of a sink (state-model.h struct ith_published,
 * plan.h ith_plan_publish):
 *   a local sink (file, env, template) is compared by content on every run, so a sink emptied by a reboot
 *   comes back with no network; a remote one (config.h ith_sink_is_remote: vault, kubernetes) is published
 *   only when its record differs from the current token
 *   ith_sink_key       16 hex digits: FNV-1a 64 (id.h ith_hash64) of "TYPE:TARGET", TARGET being what the
 *                      sink writes to (a local sink: its path; vault: address, namespace, mount/path;
 *                      kubernetes: server, namespace/secret, key), not its place in the config nor its mode
 */
void ith_sink_key(const struct ith_sink *s, char out[ITH_SINK_KEY_LEN + 1]);

#endif
