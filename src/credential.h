/*
 * credential.h - the management token: the one secret the helper reads
 * rather than makes. From management.token_file (must be private to this
 * user), management.token_env, or systemd's credential
 * $CREDENTIALS_DIRECTORY/management-token (layout.h), in that order.
 * Trailing whitespace is stripped; anything else that is not the token
 * alone is refused. The token is never printed.
 *
 * Tier 4 (effects): it reads a secret from a file or the environment, so
 * it sits above config (whose settings name where) and below the engine
 * (which loads it when a command first needs the network).
 *
 * Calling sequence:
 *     struct ith_secret mgmt = ITH_SECRET_INIT;
 *     r = ith_mgmt_token_load(&cfg, &mgmt, &err);
 *     ... ith_secret_release(&mgmt);      // wipes it
 *
 * Error handling: ITH_ERR_UNSAFE for unsafe files, ITH_ERR_FILE_NOT_FOUND
 * for a missing one, ITH_ERR_CONFIG when none is available or the token is
 * malformed; the message names the source, never the token.
 */
#ifndef ITH_CREDENTIAL_H
#define ITH_CREDENTIAL_H

#include "config.h"
#include "mem.h"
#include "strbuf.h"

int ith_mgmt_token_load(const struct ith_config *cfg, struct ith_secret *out, struct ith_strbuf *err);
/*
 * Any other secret read from a file the same way (a remote sink's Vault
 * token, AppRole secret_id, service-account token): capped, trailing
 * whitespace stripped, the secret alone. private: refused unless this user
 * owns it and no one else may read it (as management.token_file). what
 * names it in messages ("vault secret_id_file '/etc/...'").
 */
int ith_secret_file_load(const char *path, bool private, const char *what, struct ith_secret *out,
	struct ith_strbuf *err);

#endif
