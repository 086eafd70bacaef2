/*
 * k8s.h - the `kubernetes` sink: a profile's current token published to one
 * key of a Kubernetes Secret (type Opaque) through the API server's core v1
 * endpoints (docs/spec/kubernetes-api-v1-openapi.json), and deleted on
 * revoke.
 *
 * Written with optimistic concurrency: GET, then PUT the object read with
 * its metadata.resourceVersion (POST to create it when absent). The Secret
 * carries the label app.kubernetes.io/managed-by: influx-token-helper and
 * the annotations influx-token-helper/instance, /profile, /token-id and
 * /expires-at; its other keys, labels and annotations are kept.
 *
 * Rules (as vault.h): a Secret without our label and instance annotation is
 * never written nor deleted (ITH_ERR_SINK_FOREIGN); the same token there:
 * nothing written; another rotator ahead (our marker, another token id, a
 * later expires-at): ITH_ERR_SINK_CONFLICT; a 409 on the write: read again
 * and decide again, once; a 401/403: the token file read again and one more
 * try, then ITH_ERR_SINK_DENIED (RBAC: get/update on the named Secret, and
 * create in its namespace for the first publish).
 *
 * Server, token and CA default to in-cluster: https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT, ITH_K8S_SA_DIR/token (read on every publish: it
 * rotates; kubelet's file, so not checked as private) and ITH_K8S_SA_DIR/ca.crt.
 * A configured token_file must be private (as management.token_file).
 *
 * Tier 4 (effects), over remote.h.
 */
#ifndef ITH_K8S_H
#define ITH_K8S_H

#include "config.h"
#include "remote.h"
#include "state-model.h"

#define ITH_K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define ITH_K8S_MANAGED_BY "app.kubernetes.io/managed-by"
#define ITH_K8S_ANN "influx-token-helper/"

int ith_k8s_publish(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *changed, struct ith_strbuf *err);
/* DELETE with preconditions.resourceVersion when it is ours; a missing one is fine (*removed false). */
/* Read-only (check): does the Secret hold token t under its key, marked ours? */
int ith_k8s_holds(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile,
	const struct ith_state_token *t, bool *holds, struct ith_strbuf *err);
int ith_k8s_remove(struct ith_remote *rm, const struct ith_sink *s, const char *instance, const char *profile, bool *removed,
	struct ith_strbuf *err);

/* ---- for the unit suite ---- */
struct ith_k8s_view {
	bool ours;              /* label and instance as ours (the caller also compares the profile) */
	char profile[ITH_PROFILE_MAX + 1];  /* the profile annotation ("" when none) */
	char rv[128];           /* metadata.resourceVersion */
	char token_id[64];      /* the token-id annotation */
	int64_t expires_at;     /* the expires-at annotation; 0: none */
	bool same_token;        /* data[key] is base64(want) */
};
/* A GET answer (a Secret); want may be NULL. */
int ith_k8s_parse_secret(const char *body, const char *instance, const char *key, const struct ith_secret *want,
	struct ith_k8s_view *v, struct ith_strbuf *err);
/* base64 (RFC 4648, padded) of s into out (a secret buffer). */
void ith_base64(const char *s, size_t len, struct ith_strbuf *out);

/* kubelet's service-account token at path (a link into "..data/", root's): the way checked as a trusted
 * path, the file read, not as a private file. For the in-cluster default; exposed for tests. */
int ith_k8s_read_sa_token(const char *path, const char *what, struct ith_secret *out, struct ith_strbuf *err);

#endif
