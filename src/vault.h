/*
 * vault.h - the `vault` sink: a profile's current token published to
 * HashiCorp Vault's KV v2 (docs/spec/vault-openapi.json), and deleted on
 * revoke.
 *
 * Published: POST /v1/MOUNT/data/PATH {"options":{"cas":N},"data":{"token",
 * "token_id","expires_at"}} with N the version read just before (0: none);
 * the first publish then marks the secret ours in its custom_metadata
 * (managed-by = influx-token-helper, instance, profile; cas_required).
 *
 * Rules (docs: the design of issue 22):
 *   - ownership: a secret that exists without our marker of this instance is
 *     never written nor deleted (ITH_ERR_SINK_FOREIGN);
 *   - the same token there already: nothing written;
 *   - another rotator ahead (a token of ours there with a later expires_at,
 *     before the write or after a CAS conflict): ITH_ERR_SINK_CONFLICT,
 *     nothing written; an older one after a CAS conflict: the write is
 *     retried once with the new version, never more;
 *   - auth: approle logs in once per run (the client token kept in the
 *     remote handle's memory, wiped); token reads token_file on each call
 *     that needs it. A 401/403: logged in again (or the file read again)
 *     once, the call retried once, then ITH_ERR_SINK_DENIED naming address
 *     and path;
 *   - 429 ITH_ERR_RATE_LIMITED; 5xx, no answer: ITH_ERR_API_UNAVAILABLE;
 *     another 4xx ITH_ERR_API_REFUSED; an answer not as the spec says
 *     ITH_ERR_API_MALFORMED.
 *
 * Tier 4 (effects), over remote.h.
 *
 * Calling sequence:
 *     r = ith_vault_publish(rm, sink, instance, profile, &state->current, &changed, &err);
 *     r = ith_vault_remove(rm, sink, instance, profile, &removed, &err);
 */
#ifndef ITH_VAULT_H
#define ITH_VAULT_H

#include "config.h"
#include "remote.h"
#include "state-model.h"

#define ITH_MARKER_VALUE "influx-token-helper"

int ith_vault_publish(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *changed, struct ith_strbuf *err);
/* DELETE /v1/MOUNT/metadata/PATH (every version) when it is ours; a missing one is fine (*removed false). */
/* Read-only (check): does the secret hold token t, marked ours? */
int ith_vault_holds(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *holds, struct ith_strbuf *err);
int ith_vault_remove(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile, bool *removed,
	struct ith_strbuf *err);

/* ---- answer parsing (exposed for the unit suite) ---- */
struct ith_vault_meta {
	bool ours;              /* managed-by and instance as ours (the caller also compares the profile) */
	char profile[ITH_PROFILE_MAX + 1];  /* custom_metadata's profile ("" when none) */
	long long version;      /* current_version */
};
/* A metadata read's 200 answer. */
int ith_vault_parse_meta(const char *body, const char *instance, struct ith_vault_meta *m, struct ith_strbuf *err);
struct ith_vault_data {
	bool has;               /* a live version with our fields */
	char token_id[64];
	int64_t expires_at;     /* 0: none */
	bool same_token;        /* data.token equals want (compared in place, never copied) */
};
/* A data read's 200 answer; want: the token to compare with (may be NULL). */
int ith_vault_parse_data(const char *body, const struct ith_secret *want, struct ith_vault_data *d,
	struct ith_strbuf *err);
/* A login answer's auth.client_token into out. */
int ith_vault_parse_login(const char *body, struct ith_secret *out, struct ith_strbuf *err);
/* The first of an error answer's "errors" (or "") into out, as ith_remote_text shows it. */
const char *ith_vault_error_text(const struct ith_remote *rm, const char *body, char *out, size_t len);

#endif
