#!/usr/bin/env python3
"""conf/kubernetes/*.yaml, the central rotator's Kubernetes samples, parsed and checked together.

Every YAML document is parsed (python3-yaml) and:
- its apiVersion and kind are ones the samples may use (KNOWN), with a name, and a namespace where
  the kind is namespaced; every metadata key, and the Secret each host's token is published to
  (as the kubernetes sink writes it: type Opaque, data.<key>, labels, annotations), against the
  core v1 schemas that docs/spec/kubernetes-core-v1-secrets-openapi.json holds (the Secret and
  ObjectMeta). That extract covers Secrets only: the Deployment, CronJob, PersistentVolumeClaim,
  ConfigMap, ServiceAccount, RBAC and admission objects are checked against the key tables below
  (POD_KEYS and the others, written from the Kubernetes API reference), not a vendor schema.
- the helper's configuration (the ConfigMap's helper.conf, its hosts file telegraf.hosts) names the
  Secrets: kubernetes sink `secret` with {{host}} for each host; the Role grants get, update, patch
  and delete on exactly those names, create without names (RBAC cannot match a create by name), in
  the sink's namespace, and nothing else; the RoleBinding gives it to the service account the
  rotator's pods run as;
- the rotator: a Deployment with 1 replica, strategy Recreate, running `watch`; a CronJob running
  `rotate`, concurrencyPolicy Forbid; both as non-root with a read-only root file system (only the
  init container `prepare` runs as root, with CHOWN and FOWNER alone), state_dir on the
  PersistentVolumeClaim, the management token from a Secret volume, the configuration from the
  ConfigMap;
- Telegraf: a pod that mounts one of those Secrets as a whole volume (never subPath), whose
  telegraf.conf is plugin/telegraf/telegraf-kubernetes.conf (and passes tests/test_plugin.py's schema
  for its range), with [[secretstores.docker]] path = the mount and dynamic = true, reading
  @{store:<key>} with the sink's key;
- helper.conf passes `influx-token-helper check --offline` (while central rotation's settings are
  not merged, only where the binary knows them: test_plugin.CENTRAL_SINKS_MERGED).

Without python3-yaml it exits 77 (skipped) and says which package to install; under CI=true it
fails instead when apt offers python3-yaml (tests/skiprule.py). ITH_PRETEND_NO_YAML=1 pretends it
is missing.
"""
import base64
import glob
import json
import os
import re
import sys
import unittest

import skiprule
import test_plugin as tp

ROOT = tp.ROOT
K8S = os.path.join(ROOT, "conf", "kubernetes")
SPEC = os.path.join(ROOT, "docs", "spec", "kubernetes-core-v1-secrets-openapi.json")


def yaml_module():
    if os.environ.get("ITH_PRETEND_NO_YAML"):
        return None
    try:
        import yaml
        return yaml
    except ImportError:
        return None


YAML = yaml_module()

# (apiVersion, kind) -> namespaced. Core v1, apps/v1 (Kubernetes 1.9+), batch/v1 CronJob (1.21+),
# rbac.authorization.k8s.io/v1 (1.8+), admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (1.30+).
KNOWN = {
    ("v1", "Namespace"): False, ("v1", "ServiceAccount"): True, ("v1", "ConfigMap"): True,
    ("v1", "Secret"): True, ("v1", "PersistentVolumeClaim"): True,
    ("apps/v1", "Deployment"): True, ("batch/v1", "CronJob"): True,
    ("rbac.authorization.k8s.io/v1", "Role"): True, ("rbac.authorization.k8s.io/v1", "RoleBinding"): True,
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): False,
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): False,
}

# The keys the samples may use where no vendor schema is at hand (the Kubernetes API reference:
# PodSpec, Container, SecurityContext, VolumeMount, Volume). A misspelt key fails here instead of
# being dropped silently by the API server (or refused only by a strict `kubectl apply`).
POD_KEYS = {"serviceAccountName", "securityContext", "initContainers", "containers", "volumes", "restartPolicy",
            "automountServiceAccountToken", "nodeSelector", "tolerations", "affinity"}
POD_SECURITY_KEYS = {"runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy",
                     "seccompProfile", "supplementalGroups"}
CONTAINER_KEYS = {"name", "image", "command", "args", "env", "securityContext", "resources", "volumeMounts"}
CONTAINER_SECURITY_KEYS = {"runAsNonRoot", "runAsUser", "runAsGroup", "allowPrivilegeEscalation",
                           "readOnlyRootFilesystem", "capabilities", "seccompProfile"}
MOUNT_KEYS = {"name", "mountPath", "subPath", "readOnly"}
VOLUME_SOURCES = {"persistentVolumeClaim": {"claimName", "readOnly"},
                  "secret": {"secretName", "defaultMode", "items", "optional"},
                  "configMap": {"name", "defaultMode", "items", "optional"},
                  "emptyDir": {"medium", "sizeLimit"}}


def load_all():
    """[(file, index, object)] of every YAML document in conf/kubernetes/*.yaml."""
    out = []
    for f in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        with open(f) as fh:
            for i, doc in enumerate(YAML.safe_load_all(fh)):
                if doc is not None:
                    out.append((os.path.basename(f), i, doc))
    return out


def objects(kind):
    return [o for _, _, o in load_all() if o.get("kind") == kind]


def pod_specs():
    """[(owner, pod spec)] for each Deployment and CronJob."""
    out = []
    for o in objects("Deployment"):
        out.append((o, o["spec"]["template"]["spec"]))
    for o in objects("CronJob"):
        out.append((o, o["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return out


def is_rotator(spec):
    return any(c["image"].split("/")[-1].startswith("influx-token-helper:") for c in spec["containers"])


def rotator_config():
    """The rotator's ConfigMap, and from its helper.conf: the kubernetes sinks, the hosts of its hosts_file
    (read from the ConfigMap key mounted there), state_dir and management.token_file."""
    (cm,) = [c for c in objects("ConfigMap") if "helper.conf" in c.get("data", {})]
    text = cm["data"]["helper.conf"]
    plain = re.sub(r"#[^\n]*", "", text)
    sinks = [dict(re.findall(r'(\w+) = "([^"]*)";', m.group(1)))
             for m in re.finditer(r'\{\s*type = "kubernetes";(.*?)(?<!\})\}(?!\})', plain, re.S)]
    hosts_file = re.search(r'hosts_file = "([^"]+)";', plain).group(1)
    state_dir = re.search(r'state_dir = "([^"]+)";', plain).group(1)
    token_file = re.search(r'token_file = "([^"]+)";', plain).group(1)
    return cm, text, sinks, hosts_file, state_dir, token_file


def mounted_key(spec, container, path):
    """The ConfigMap key mounted (by subPath) at path in the container, else None."""
    vols = {v["name"]: v for v in spec["volumes"]}
    for m in container.get("volumeMounts", []):
        if m["mountPath"] == path and "configMap" in vols[m["name"]] and m.get("subPath"):
            return vols[m["name"]]["configMap"]["name"], m["subPath"]
    return None


def hosts(text):
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def published_secrets():
    """{(namespace, name): key} of every Secret the rotator's configuration publishes to."""
    cm, _, sinks, hosts_file, _, _ = rotator_config()
    out = {}
    for spec_owner, spec in pod_specs():
        if not is_rotator(spec):
            continue
        main = spec["containers"][0]
        cmname, key = mounted_key(spec, main, hosts_file)
        assert cmname == cm["metadata"]["name"], (cmname, hosts_file)
        for s in sinks:
            for h in hosts(cm["data"][key]):
                out[(s["namespace"], s["secret"].replace("{{host}}", h))] = s.get("key", "token")
    return out


def secret_as_published(namespace, name, key):
    """The Secret the kubernetes sink writes (docs: design.md, "What is published")."""
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "influx-token-helper"},
                         "annotations": {"influx-token-helper/instance": "00000000-0000-4000-8000-000000000000",
                                         "influx-token-helper/profile": "telegraf@edge-a",
                                         "influx-token-helper/token-id": "11111111-2222-4333-8444-555555555555",
                                         "influx-token-helper/expires-at": "2026-12-02T00:00:00Z"}},
            "data": {key: base64.b64encode(os.urandom(24)).decode()}}


def spec_errors(obj, schema_name, schemas, where):
    """The keys and value types of obj that the spec's schema does not allow (its properties, their
    types and additionalProperties; $ref followed), plus the Secret data key pattern and DNS names."""
    errs = []
    schema = schemas[schema_name]
    if not isinstance(obj, dict):
        return ["%s: not an object" % where]
    for k, v in obj.items():
        prop = schema.get("properties", {}).get(k)
        if prop is None:
            errs.append("%s.%s: not in %s" % (where, k, schema_name))
            continue
        ref = prop.get("$ref") or (prop.get("allOf") or [{}])[0].get("$ref")
        if ref:
            errs.extend(spec_errors(v, ref.split("/")[-1], schemas, "%s.%s" % (where, k)))
            continue
        typ = prop.get("type")
        pytype = {"string": str, "boolean": bool, "integer": int, "object": dict, "array": list}.get(typ)
        if pytype and not isinstance(v, pytype):
            errs.append("%s.%s: %r is not %s" % (where, k, v, typ))
        extra = prop.get("additionalProperties")
        if isinstance(v, dict) and extra:
            for kk, vv in v.items():
                if not isinstance(vv, str):
                    errs.append("%s.%s.%s: not a string" % (where, k, kk))
                if extra.get("format") == "byte":
                    try:
                        base64.b64decode(vv, validate=True)
                    except ValueError:
                        errs.append("%s.%s.%s: not base64" % (where, k, kk))
    if schema_name.endswith("core.v1.Secret"):
        for k in (obj.get("data") or {}):
            if not re.fullmatch(r"[-._a-zA-Z0-9]+", k):  # the spec's data description
                errs.append("%s.data: key %r: alphanumeric characters, '-', '_' or '.' only" % (where, k))
    if schema_name.endswith("meta.v1.ObjectMeta"):
        for k in ("name", "namespace"):
            if k in obj and not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", obj[k]):
                errs.append("%s.%s: %r is not a DNS name" % (where, k, obj[k]))
    return errs


def run_as_root(spec, c):
    sc, psc = c.get("securityContext", {}), spec.get("securityContext", {})
    uid = sc.get("runAsUser", psc.get("runAsUser"))
    non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
    return uid is None or uid == 0 or non_root is not True


class Documents(unittest.TestCase):
    def test_every_document_is_a_known_kind(self):
        docs = load_all()
        self.assertGreaterEqual(len(docs), 8)
        for f, i, o in docs:
            with self.subTest(file=f, doc=i):
                key = (o.get("apiVersion"), o.get("kind"))
                self.assertIn(key, KNOWN, "an apiVersion/kind the samples do not know")
                self.assertTrue(o["metadata"].get("name"))
                self.assertEqual("namespace" in o["metadata"], KNOWN[key], "namespace set iff namespaced")

    def test_metadata_and_published_secrets_match_the_core_v1_spec(self):
        with open(SPEC) as fh:
            schemas = json.load(fh)["components"]["schemas"]
        meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        for f, i, o in load_all():
            with self.subTest(file=f, doc=i):
                self.assertEqual(spec_errors(o["metadata"], meta, schemas, "metadata"), [])
                if o["kind"] == "Secret":
                    self.assertEqual(spec_errors(o, "io.k8s.api.core.v1.Secret", schemas, "Secret"), [])
        pub = published_secrets()
        self.assertTrue(pub)
        for (ns, name), key in pub.items():
            with self.subTest(secret=name):
                self.assertEqual(spec_errors(secret_as_published(ns, name, key), "io.k8s.api.core.v1.Secret",
                                             schemas, name), [])
                # and what secretstores.docker can name: @{store:key} takes \w+ keys only
                self.assertRegex(key, r"^\w+$")

    def test_spec_check_fails_on_what_the_spec_refuses(self):
        with open(SPEC) as fh:
            schemas = json.load(fh)["components"]["schemas"]
        bad = secret_as_published("telegraf", "influxdb-token-x", "to ken")
        self.assertTrue(spec_errors(bad, "io.k8s.api.core.v1.Secret", schemas, "s"))
        bad = secret_as_published("telegraf", "Influxdb_Token", "token")
        self.assertTrue(spec_errors(bad, "io.k8s.api.core.v1.Secret", schemas, "s"))
        bad = secret_as_published("telegraf", "x", "token")
        bad["metadata"]["label"] = {}
        self.assertTrue(spec_errors(bad, "io.k8s.api.core.v1.Secret", schemas, "s"))

    def test_pod_keys_known(self):
        for owner, spec in pod_specs():
            with self.subTest(owner=owner["metadata"]["name"], kind=owner["kind"]):
                self.assertLessEqual(set(spec), POD_KEYS)
                self.assertLessEqual(set(spec.get("securityContext", {})), POD_SECURITY_KEYS)
                for c in spec.get("initContainers", []) + spec["containers"]:
                    self.assertLessEqual(set(c), CONTAINER_KEYS, c["name"])
                    self.assertLessEqual(set(c.get("securityContext", {})), CONTAINER_SECURITY_KEYS, c["name"])
                    for m in c.get("volumeMounts", []):
                        self.assertLessEqual(set(m), MOUNT_KEYS, c["name"])
                        self.assertIn(m["name"], {v["name"] for v in spec["volumes"]}, c["name"])
                for v in spec["volumes"]:
                    (src,) = set(v) - {"name"}
                    self.assertIn(src, VOLUME_SOURCES)
                    self.assertLessEqual(set(v[src]), VOLUME_SOURCES[src], v["name"])


class Rbac(unittest.TestCase):
    def test_role_names_exactly_the_published_secrets(self):
        pub = published_secrets()
        namespaces = {ns for ns, _ in pub}
        (role,) = objects("Role")
        self.assertEqual({role["metadata"]["namespace"]}, namespaces)
        named, creates = [], []
        for r in role["rules"]:
            self.assertEqual((r["apiGroups"], r["resources"]), ([""], ["secrets"]), "Secrets only")
            (named if r.get("resourceNames") else creates).append(r)
        self.assertEqual(len(named), 1)
        self.assertEqual(set(named[0]["resourceNames"]), {n for _, n in pub})
        self.assertEqual(sorted(named[0]["verbs"]), ["delete", "get", "patch", "update"])
        # create cannot be limited by name: granted alone, and nothing else without names
        self.assertEqual([c["verbs"] for c in creates], [["create"]])

    def test_binding_gives_the_role_to_the_rotators_account(self):
        (role,) = objects("Role")
        (rb,) = objects("RoleBinding")
        self.assertEqual(rb["metadata"]["namespace"], role["metadata"]["namespace"])
        self.assertEqual(rb["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                         "name": role["metadata"]["name"]})
        accounts = {(s["namespace"], s["name"]) for s in rb["subjects"] if s["kind"] == "ServiceAccount"}
        sas = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects("ServiceAccount")}
        rotators = [(o, s) for o, s in pod_specs() if is_rotator(s)]
        self.assertEqual(len(rotators), 2)
        for o, s in rotators:
            self.assertIn((o["metadata"]["namespace"], s["serviceAccountName"]), accounts & sas)

    def test_create_policy_matches_the_names_and_account(self):
        """The optional admission policy lets the rotator's account create only the Secrets it publishes."""
        (pol,) = objects("ValidatingAdmissionPolicy")
        (rb,) = objects("RoleBinding")
        sa = rb["subjects"][0]
        self.assertIn("system:serviceaccount:%s:%s" % (sa["namespace"], sa["name"]),
                      pol["spec"]["matchConditions"][0]["expression"])
        m = re.search(r"startsWith\('([^']+)'\)", pol["spec"]["validations"][0]["expression"])
        for _, name in published_secrets():
            self.assertTrue(name.startswith(m.group(1)), name)
        (b,) = objects("ValidatingAdmissionPolicyBinding")
        self.assertEqual(b["spec"]["policyName"], pol["metadata"]["name"])
        (role,) = objects("Role")
        self.assertEqual(b["spec"]["matchResources"]["namespaceSelector"]["matchLabels"],
                         {"kubernetes.io/metadata.name": role["metadata"]["namespace"]})


class Rotator(unittest.TestCase):
    def rotators(self):
        return {o["kind"]: (o, s) for o, s in pod_specs() if is_rotator(s)}

    def test_deployment_one_replica_recreate_watch(self):
        o, s = self.rotators()["Deployment"]
        self.assertEqual(o["spec"]["replicas"], 1)
        self.assertEqual(o["spec"]["strategy"], {"type": "Recreate"})
        self.assertEqual(s["containers"][0]["args"][-1], "watch")

    def test_cronjob_rotate_forbid(self):
        o, s = self.rotators()["CronJob"]
        self.assertEqual(o["spec"]["concurrencyPolicy"], "Forbid")
        self.assertEqual(s["containers"][0]["args"][-1], "rotate")

    def test_non_root_read_only(self):
        """Every container runs as non-root with a read-only root file system and no privilege escalation;
        the one exception, init container `prepare`, runs as root with CHOWN and FOWNER alone."""
        for o, s in pod_specs():
            for c in s.get("initContainers", []) + s["containers"]:
                with self.subTest(owner=o["metadata"]["name"], container=c["name"]):
                    sc = c["securityContext"]
                    self.assertIs(sc["readOnlyRootFilesystem"], True)
                    self.assertIs(sc["allowPrivilegeEscalation"], False)
                    self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                    if c in s["containers"] or c["name"] != "prepare":
                        self.assertFalse(run_as_root(s, c), "runs as root")
                        self.assertNotIn("add", sc["capabilities"])
                    else:
                        self.assertLessEqual(set(sc["capabilities"].get("add", [])), {"CHOWN", "FOWNER"})
            self.assertIs(s["securityContext"]["runAsNonRoot"], True)

    def test_state_config_and_management_token(self):
        cm, _, _, hosts_file, state_dir, token_file = rotator_config()
        pvcs = {p["metadata"]["name"] for p in objects("PersistentVolumeClaim")}
        for kind, (o, s) in self.rotators().items():
            with self.subTest(kind=kind):
                vols = {v["name"]: v for v in s["volumes"]}
                main = s["containers"][0]
                mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
                args = main["args"]
                conf = args[args.index("-c") + 1]
                self.assertEqual(mounted_key(s, main, conf), (cm["metadata"]["name"], "helper.conf"))
                self.assertEqual(mounted_key(s, main, hosts_file)[0], cm["metadata"]["name"])
                # state_dir below a mount of the claim
                (state,) = [m for p, m in mounts.items() if state_dir.startswith(p.rstrip("/") + "/")]
                self.assertIn(vols[state["name"]]["persistentVolumeClaim"]["claimName"], pvcs)
                # the management token: a Secret volume, copied by `prepare` to token_file's directory
                (prep,) = s["initContainers"]
                secret_vols = [m for m in prep["volumeMounts"] if "secret" in vols[m["name"]]]
                self.assertEqual(len(secret_vols), 1)
                self.assertIn(os.path.dirname(token_file), mounts)
                script = prep["command"][-1]
                self.assertIn("> %s" % token_file, script)
                self.assertIn("chmod 0400 %s" % token_file, script)
                self.assertNotIn("management-token", json.dumps(main.get("env", [])))


class Telegraf(unittest.TestCase):
    def telegraf_pods(self):
        return [(o, s) for o, s in pod_specs() if not is_rotator(s)]

    def test_mounts_a_published_secret_whole_and_reads_its_key(self):
        pub = published_secrets()
        fragment = tp.toml_loads(tp.read(os.path.join(tp.PLUGIN, "telegraf-kubernetes.conf")))
        pods = self.telegraf_pods()
        self.assertTrue(pods)
        for o, s in pods:
            with self.subTest(pod=o["metadata"]["name"]):
                vols = {v["name"]: v for v in s["volumes"]}
                (c,) = s["containers"]
                secrets = [m for m in c["volumeMounts"] if "secret" in vols[m["name"]]]
                (m,) = secrets
                self.assertNotIn("subPath", m, "a subPath mount never sees a rotation")
                self.assertNotIn("items", vols[m["name"]]["secret"], "the key keeps its name")
                name = vols[m["name"]]["secret"]["secretName"]
                key = pub.get((o["metadata"]["namespace"], name))
                self.assertIsNotNone(key, "%s is not a Secret the rotator publishes" % name)
                # telegraf.conf: the ConfigMap mounted at --config's directory, the fragment itself
                args = c["args"]
                conf = args[args.index("--config") + 1]
                (cm_mount,) = [x for x in c["volumeMounts"] if x["mountPath"] == os.path.dirname(conf)]
                cm_name = vols[cm_mount["name"]]["configMap"]["name"]
                (cm,) = [x for x in objects("ConfigMap") if x["metadata"]["name"] == cm_name]
                text = cm["data"][os.path.basename(conf)]
                doc = tp.toml_loads(text)
                self.assertEqual(doc, fragment, "telegraf.conf is not plugin/telegraf/telegraf-kubernetes.conf")
                self.assertEqual(tp.schema_errors(doc, tp.header(text, "telegraf"), tp.header(text, "rotation")), [])
                stores = {t["id"]: t for n, _, t in tp.plugin_tables(doc) if n == "secretstores.docker"}
                refs = [r for n, _, t in tp.plugin_tables(doc) if n.startswith("outputs.")
                        for v in t.values() if isinstance(v, str) for r in tp.SECRET_REF.findall(v)]
                self.assertTrue(refs)
                for sid, rkey in refs:
                    self.assertEqual(stores[sid]["path"], m["mountPath"])
                    self.assertIs(stores[sid]["dynamic"], True)
                    self.assertEqual(rkey, key)


class Config(unittest.TestCase):
    def test_helper_conf_passes_check_offline(self):
        cm, text, _, _, _, _ = rotator_config()
        p = tp.check_offline(text, {"telegraf.hosts": cm["data"]["telegraf.hosts"]})
        if tp.central_unknown(p):
            self.skipTest("LEAD: this binary does not know central rotation's settings yet (%s); set "
                          "test_plugin.CENTRAL_SINKS_MERGED = True at the merge" % p.stderr.strip()[:160])
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    if YAML is None:
        reason = "python3-yaml is not installed (apt-get install python3-yaml; ./scripts/test installs it)%s" % (
            " (ITH_PRETEND_NO_YAML=1)" if os.environ.get("ITH_PRETEND_NO_YAML") else "")
        sys.exit(skiprule.skip_exit_code("yaml", reason))
    if tp.TOML_NAME is None:
        sys.exit(skiprule.skip_exit_code("tomli", tp.TOML_LOADS))
    unittest.main(verbosity=2)
