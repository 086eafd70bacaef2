/*
 * config.h - the helper's configuration (libconfig syntax, see
 * conf/helper.conf and docs/design.md "Configuration").
 *
 * The loader owns validation: after ith_config_load() returns 0 every value
 * is in range and every constraint holds (lifetime > renew_before > grace
 * >= 0, absolute paths, UUIDs, unique profile names, http:// only to
 * loopback), so no later module re-checks the config. Unknown settings are
 * errors: a typo must not silently become a default.
 *
 * Calling sequence:
 *     struct ith_config cfg = ITH_CONFIG_INIT;
 *     r = ith_config_load(&cfg, path, &err);   // ITH_ERR_CONFIG: "FILE:LINE: SETTING: what"
 *     r = ith_config_profile(&cfg, name, &p, &err);
 *     ith_config_release(&cfg);
 *
 * The management token is not part of the config: see ith_mgmt_token_load()
 * (credential.h). URLs are parsed by url.h, names checked by names.h, the
 * files the collision check keeps sinks off are named by layout.h, and a
 * template sink's file is read and checked by template-parse.h.
 *
 * Tier 3 (model): includes tier 0-2 headers and the tier-3 url, names,
 * layout and template-parse; never state, template or credential.
 */
#ifndef ITH_CONFIG_H
#define ITH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "names.h"
#include "id.h"
#include "strbuf.h"

#define ITH_DEFAULT_CONFIG "/etc/influx-token-helper/helper.conf"
#define ITH_DEFAULT_URL "https://console.influxdata.com/api/v0"
#define ITH_CONFIG_MAX_BYTES (1024 * 1024)

enum ith_activation { ITH_ACT_NONE, ITH_ACT_DELAY, ITH_ACT_PROBE };
enum ith_sink_type { ITH_SINK_FILE, ITH_SINK_ENV, ITH_SINK_TEMPLATE, ITH_SINK_VAULT, ITH_SINK_KUBERNETES };
enum ith_sink_auth { ITH_AUTH_NONE, ITH_AUTH_APPROLE, ITH_AUTH_TOKEN };

struct ith_template;

/*
 * A sink. file, env, template: path is the local file (absolute). vault: path
 * is the secret's path under mount, a plain string (the hosts expansion
 * substitutes {{host}} in it); kubernetes: secret is the Secret's name (the
 * same), path is NULL. The remote settings are NULL for local sinks.
 */
struct ith_sink {
	enum ith_sink_type type;
	char *path;
	char *address;          /* vault: the server's URL, no trailing slash */
	char *mount;            /* vault: the KV v2 mount (default "secret") */
	enum ith_sink_auth auth;        /* vault */
	char *role_id;          /* vault, approle: not a secret */
	char *secret_id_file;   /* vault, approle: a private file */
	char *token_file;       /* vault, token: a private file; kubernetes: NULL is in-cluster */
	char *ca_file;          /* vault, kubernetes: NULL is the system's (kubernetes in-cluster: its ca.crt) */
	char *namespace;        /* vault: X-Vault-Namespace (optional); kubernetes: the Secret's (required) */
	char *secret;           /* kubernetes: the Secret's name */
	char *key;              /* kubernetes: the data key (default "token") */
	char *server;           /* kubernetes: the API server's URL; NULL: in-cluster */
	mode_t mode;
	gid_t gid;          /* (gid_t)-1: leave the group alone */
	char *group;        /* as configured, for messages */
	char *template_path;           /* type template: the template file */
	struct ith_template *tmpl;     /* ... read and checked at load (template-parse.h) */
};

/* vault and kubernetes: published over the network (remote.h), not a local file. */
static inline bool ith_sink_is_remote(const struct ith_sink *s)
{
	return s->type == ITH_SINK_VAULT || s->type == ITH_SINK_KUBERNETES;
}
/* The sink as messages name it: its path, "vault ADDRESS MOUNT/PATH" or "kubernetes secret NS/NAME". */
const char *ith_sink_label(const struct ith_sink *s, char *buf, size_t len);

struct ith_strlist {
	char **v;
	size_t n;
};

struct ith_profile {
	char *name;
	char *description;
	struct ith_strlist write, read;
	int64_t lifetime, renew_before, grace, activation_timeout, hook_timeout;
	enum ith_activation activation;
	char *probe_database;
	char *env_variable;
	struct ith_sink *sinks;
	size_t nsinks;
	struct ith_strlist on_rotate;
	int line;           /* where the profile starts, for messages */
	char *hosts_file;   /* tokens[].hosts_file: expanded over its hosts on every run (hosts.h) */
	/* Set by hosts.h's expansion only, never by the loader: */
	const char *host;   /* a NAME@HOST profile: HOST (points into name); NULL otherwise */
	bool host_removed;  /* NAME@HOST whose host left hosts_file: decommissioned after its grace */
	bool hosts_copy;    /* made by the expansion: owns name, description, hosts_error, sinks[] and their paths */
	int hosts_cause;    /* < 0: hosts_file could not be used; the profile stands for its hosts and fails */
	bool hosts_unknown; /* NAME@HOST known from its state while hosts_file cannot be used: kept as it is
			       (rotated when due, shown by status), never recorded as removed nor as listed again */
	char *hosts_error;  /* ... with this message (file:line) */
};

struct ith_config {
	char *path;
	char account_id[ITH_UUID_LEN + 1];
	char cluster_id[ITH_UUID_LEN + 1];
	char *token_file;
	char *token_env;
	char *url;          /* management API base, no trailing slash */
	int64_t timeout;            /* one request */
	int64_t connect_timeout;
	int64_t deadline;           /* all requests of one command, retries included */
	char *ca_file;
	char *cluster_url;  /* data plane base */
	char *state_dir;    /* default: layout.h's (ITH_DEFAULT_STATE_DIR for root, else the user's XDG state directory) */
	bool state_dir_is_default;
	char *status_dir;   /* optional: public, secret-free copies of the state for `status` */
	char *prometheus_textfile;  /* optional: `status --format prometheus` written here after each rotate */
	struct ith_profile *profiles;
	size_t nprofiles;
	struct ith_profile *bases;  /* profiles with hosts_file, once expanded into profiles (hosts.h) */
	size_t nbases;
};
#define ITH_CONFIG_INIT { 0 }

int ith_config_load(struct ith_config *cfg, const char *path, struct ith_strbuf *err);
/* Parse from memory; `path` is only used in messages. */
int ith_config_load_string(struct ith_config *cfg, const char *path, const char *text, struct ith_strbuf *err);
void ith_config_release(struct ith_config *cfg);
/* NULL name: the only profile, if there is exactly one. Errors are ITH_ERR_USAGE. */
int ith_config_profile(const struct ith_config *cfg, const char *name, const struct ith_profile **out,
	struct ith_strbuf *err);
/* The sink's path holds ITH_HOST_PLACEHOLDER (names.h). */
bool ith_sink_uses_host(const struct ith_sink *s);
/*
 * The settings a block accepts, as config.c's table reads them: block ""
 * (the top level), "management", "tokens" (one profile) or "sinks" (one
 * sink). Row i, or NULL past the end. For tests and documentation.
 */
struct ith_config_key {
	const char *key;
	bool required;
	const char *def;    /* the default as written in the file; NULL: none, or computed from other settings */
};
const struct ith_config_key *ith_config_key_at(const char *block, size_t i);
/* Which path to load: -c, then $INFLUX_TOKEN_HELPER_CONFIG, then the default. */
const char *ith_config_default_path(const char *opt);
/*
 * The instance name a templated unit passes (INFLUX_TOKEN_HELPER_INSTANCE=%i
 * in influx-token-helper@.service; NULL: not run by one). It becomes part of
 * paths (/etc/influx-token-helper/NAME.conf, the state and runtime
 * directories), so an empty name, '.', '..' and any '/' or control
 * character are refused (ITH_ERR_CONFIG).
 */
int ith_instance_name_check(const char *name, struct ith_strbuf *err);

/*
 * Where an activation probe goes: probe_database when set, else the first
 * write database, else the first read database ("*" is no database). *write
 * says whether the token may write there (probe by write, else by query).
 * false when there is none (the loader refuses activation = "probe" then).
 */
bool ith_probe_target(const struct ith_profile *p, const char **db, bool *write);

#endif
