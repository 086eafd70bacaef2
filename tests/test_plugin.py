#!/usr/bin/env python3
"""The shipped integration files: parsed by real parsers, checked against Telegraf's own option schema.

- Every plugin/telegraf/*.conf fragment declares the Telegraf versions it is for
  (`# telegraf: >=1.34.1,<1.39.0`) and how a rotated token reaches Telegraf
  (`# rotation: live` or `# rotation: restart`). Each is parsed as TOML and
  checked, at every Telegraf release in its range where an option changed, against
  the options and types Telegraf accepts there (SCHEMA below, each fact with the
  Telegraf source file and version it came from): an unknown key, a wrong type or
  a deprecated form fails. `live` needs a store that re-reads the file and an
  output that asks for its secret on every write, in the whole range.
- Every TOML block in the READMEs' Telegraf sections passes the same check, and
  the README table lists each fragment with the range it declares.
- Each fragment's secret resolves to a sink of a conf/*.conf sample; every
  conf/*.conf passes `influx-token-helper check --offline`.
- The systemd drop-ins parse as INI, order Telegraf after the helper, never make
  an env file mandatory, and name a sink that a sample configures; the restart
  pair watches the sinks the drop-ins use. (`systemd-analyze verify` of all of
  them runs in tests/test_packages.sh.)

TOML is parsed with tomllib; on Python older than 3.11 with python3-tomli or
python3-toml. Without any TOML parser it exits 77 (skipped) and says which
package to install; under CI=true it fails instead when apt offers python3-tomli
(tests/skiprule.py). ITH_PRETEND_NO_TOMLLIB=1 pretends tomllib is missing;
=all pretends every parser is missing.
"""
import configparser
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

import skiprule

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.environ.get("ITH_HELPER", os.path.join(ROOT, "build", "influx-token-helper"))
PLUGIN = os.path.join(ROOT, "plugin", "telegraf")
SYSTEMD = os.path.join(ROOT, "packaging", "systemd")


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def toml_parser():
    """(name, loads(text) -> dict): tomllib (Python 3.11+), else tomli (python3-tomli, the same API),
    else toml (python3-toml); (None, reason) when there is none. ITH_PRETEND_NO_TOMLLIB=1 pretends
    tomllib is missing (the Python older than 3.11 path); =all pretends every parser is missing."""
    pretend = os.environ.get("ITH_PRETEND_NO_TOMLLIB", "")
    if not pretend:
        try:
            import tomllib
            return "tomllib", tomllib.loads
        except ImportError:
            pass
    if pretend != "all":
        try:
            import tomli
            return "tomli", tomli.loads
        except ImportError:
            pass
        try:
            import toml
            return "toml", toml.loads
        except ImportError:
            pass
    return None, ("Python %d.%d has no tomllib (3.11+) and neither python3-tomli nor python3-toml is installed%s"
                  % (sys.version_info[0], sys.version_info[1], " (ITH_PRETEND_NO_TOMLLIB=all)" if pretend else ""))


TOML_NAME, TOML_LOADS = toml_parser()


def toml_loads(text):
    """The one place TOML is parsed."""
    return TOML_LOADS(text)


# --- Telegraf versions -------------------------------------------------------

def ver(s):
    return tuple(int(x) for x in s.split("."))


def parse_range(spec):
    """'>=1.34.1,<1.39.0' -> (low, high or None). A lower bound is required."""
    low = high = None
    for part in spec.replace(" ", "").split(","):
        m = re.fullmatch(r"(>=|<)(\d+\.\d+\.\d+)", part)
        if not m:
            raise ValueError("bad version range part %r in %r" % (part, spec))
        if m.group(1) == ">=":
            low = ver(m.group(2))
        else:
            high = ver(m.group(2))
    if low is None or (high is not None and high <= low):
        raise ValueError("bad version range %r" % spec)
    return low, high


# In each Opt, `since` is the first Telegraf tag whose source holds the option
# (v1.27.0 where it was there from the start) and `until` the first without it.
# The schema below was read from influxdata/telegraf at every tag from v1.27.0
# (the first release with secret stores) through v1.39.3, the newest checked.
# A range without an upper bound is checked as if later releases kept v1.39's
# options, except where Telegraf announced a removal (encoded as `until`).
CHECKED_THROUGH = ver("1.39.3")
OLDEST = ver("1.27.0")


# --- value types, as Telegraf's TOML decoding accepts them -----------------------

GO_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+")


def t_str(v):
    return isinstance(v, str)


def t_bool(v):
    return isinstance(v, bool)


def t_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def t_duration(v):
    # config.Duration.UnmarshalText (config/types.go, v1.27.0..v1.39.3): integer or
    # float seconds, or a Go duration string ("5s", "1m30s"; "d" for days).
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or (
        isinstance(v, str) and (v == "" or GO_DURATION.fullmatch(v) is not None))


def t_size(v):
    # config.Size.UnmarshalText (config/types.go): an integer or "10MB"-style string
    return t_int(v) or (isinstance(v, str) and re.fullmatch(r"\d+(\.\d+)?\s*[KMGTP]?i?B", v) is not None)


def t_str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def t_argv_list(v):
    # v1.39.0 `Commands []interface{}`: each entry a non-empty array of strings
    return isinstance(v, list) and all(isinstance(x, list) and x and t_str_list(x) for x in v)


def t_str_map(v):
    return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())


def t_str_list_map(v):
    return isinstance(v, dict) and all(t_str_list(x) for x in v.values())


def t_vault_approle(v):
    # [secretstores.vault.approle] (plugins/secretstores/vault/vault.go@v1.37.0 l.23-38, unchanged through
    # @v1.39.3 l.23-39): role_id (string), secret (config.Secret: the SecretID), response_wrapped (bool);
    # approle.NewAppRoleAuth needs the role id and a secret id.
    kinds = {"role_id": t_str, "secret": t_str, "response_wrapped": t_bool}
    return (isinstance(v, dict) and set(v) <= set(kinds) and all(kinds[k](x) for k, x in v.items())
            and bool(v.get("role_id")) and bool(v.get("secret")))


TYPES = {"string": t_str, "bool": t_bool, "int": t_int, "duration": t_duration, "size": t_size,
         "secret": t_str, "[]string": t_str_list, "[][]string": t_argv_list,
         "map[string]string": t_str_map, "map[string][]string": t_str_list_map, "vault.approle": t_vault_approle}


class Opt:
    def __init__(self, key, typ, since="1.27.0", until=None, deprecated=False):
        assert typ in TYPES, typ
        self.key, self.typ, self.since = key, typ, ver(since)
        self.until = ver(until) if until else None
        self.deprecated = deprecated

    def active(self, v):
        return self.since <= v and (self.until is None or v < self.until)


def opts(typ, keys, **kw):
    return [Opt(k, typ, **kw) for k in keys.split()]


# Options every plugin table may carry: config/config.go, func missingTomlField
# (the general options it does not report as unused), with the types buildInput,
# buildOutput and buildFilter read them as (getFieldDuration, getFieldString, ...).
GENERAL = (
    # v1.27.0
    opts("duration", "interval collection_jitter collection_offset flush_interval flush_jitter delay grace period")
    + opts("string", "alias name_override name_prefix name_suffix metricpass data_format data_type "
                     "influx_parser_type id")
    + opts("[]string", "drop pass fielddrop fieldpass namedrop namepass tagexclude taginclude")
    + opts("map[string][]string", "tagdrop tagpass")
    + opts("map[string]string", "tags")
    + opts("bool", "always_include_local_tags drop_original")
    + opts("int", "metric_batch_size metric_buffer_limit order")
    # inputs read `precision` as a duration (buildInput); outputs.influxdb had its own string one
    + [Opt("precision", "duration")]
    # v1.29.0: fieldinclude/fieldexclude, name{pass,drop}_separator
    + opts("[]string", "fieldexclude fieldinclude", since="1.29.0")
    + opts("string", "namedrop_separator namepass_separator", since="1.29.0")
    # v1.31.0: startup_error_behavior; v1.32.0: log_level, buffer_*; v1.36.0: labels; v1.38.0: buffer_disk_sync
    + [Opt("startup_error_behavior", "string", since="1.31.0")]
    + opts("string", "log_level buffer_strategy buffer_directory", since="1.32.0")
    + [Opt("labels", "map[string]string", since="1.36.0"), Opt("buffer_disk_sync", "bool", since="1.38.0")]
)

# TLS client options embedded by both InfluxDB outputs: plugins/common/tls/config.go,
# type ClientConfig (v1.27.0; tls_cipher_suites from v1.31.0). ssl_ca/ssl_cert/ssl_key
# are deprecated since 1.7.0 (struct tag `deprecated:"1.7.0;..."`) and left out.
TLS_CLIENT = (opts("string", "tls_ca tls_cert tls_key tls_key_pwd tls_min_version tls_server_name "
                             "tls_renegotiation_method")
              + opts("bool", "insecure_skip_verify tls_enable")
              + [Opt("tls_cipher_suites", "[]string", since="1.31.0")])

SCHEMA = {
    # plugins/inputs/exec/exec.go, type Exec.
    "inputs.exec": [
        # v1.27.0..v1.38.x: `Commands []string`, each command one string split on spaces.
        Opt("commands", "[]string", until="1.39.0"),
        # v1.39.0: `Commands []interface{}`, argv arrays; the string form still loads but
        # Init prints a deprecation notice (Since 1.39.0, RemovalIn 1.45.0).
        Opt("commands", "[][]string", since="1.39.0"),
        Opt("commands", "[]string", since="1.39.0", until="1.45.0", deprecated=True),
        Opt("command", "string"),
        Opt("environment", "[]string"),
        Opt("timeout", "duration"),
        Opt("ignore_error", "bool", since="1.31.0"),  # added in v1.31.0
        Opt("log_stderr", "bool", since="1.38.1"),    # added in v1.38.1
    ],
    # plugins/secretstores/docker/docker.go, type Docker: id, path, dynamic, the same
    # from v1.27.0 (where the store appeared) through v1.39.3.
    "secretstores.docker": opts("string", "id path") + [Opt("dynamic", "bool")],
    # plugins/secretstores/vault/vault.go, type Vault (new in v1.37.0: vault.go@v1.37.0 l.23-38,
    # sample.conf@v1.37.0 l.1-37): id, address, mount_path, secret_path, engine ("kv-v1" | "kv-v2", empty
    # meaning kv-v2, l.45-51) and the [secretstores.vault.approle] table (mandatory there, l.53-55).
    # v1.39.0 added `token` (config.Secret; ff26d01a6e, #18786; vault.go@v1.39.3 l.29), with exactly one of
    # token / approle (l.54-61). No TLS option in any release (the CA comes from VAULT_CACERT in Telegraf's
    # environment). The resolver is dynamic in every release (GetResolver returns true: vault.go@v1.37.0
    # l.126-132, @v1.39.3 l.144-150): each Get reads Vault again.
    "secretstores.vault": (opts("string", "id address mount_path secret_path engine", since="1.37.0")
                           + [Opt("approle", "vault.approle", since="1.37.0"),
                              Opt("token", "secret", since="1.39.0")]),
    # plugins/secretstores/systemd/systemd.go, type Systemd (new in v1.29.0): path and
    # prefix (default "telegraf."); `id` is read by config.go addSecretStore.
    "secretstores.systemd": opts("string", "path prefix", since="1.29.0"),
    # plugins/outputs/influxdb/influxdb.go, type InfluxDB (v1 write API).
    "outputs.influxdb": (
        opts("string", "database database_tag retention_policy retention_policy_tag user_agent "
                       "write_consistency http_proxy content_encoding")
        + opts("bool", "exclude_database_tag exclude_retention_policy_tag skip_database_creation "
                       "influx_uint_support")
        + [Opt("urls", "[]string"), Opt("username", "secret"), Opt("password", "secret"),
           Opt("timeout", "duration"), Opt("udp_payload", "size"), Opt("http_headers", "map[string]string"),
           # `url` deprecated since 0.1.9, removed in v1.30.0; `precision` deprecated
           # ("option is ignored"), removed in v1.35.0: neither is encoded.
           Opt("local_address", "string", since="1.31.0"),
           Opt("influx_omit_timestamp", "bool", since="1.31.0")]
        + TLS_CLIENT),
    # plugins/outputs/influxdb_v2/influxdb_v2.go, type InfluxDB.
    "outputs.influxdb_v2": (
        opts("string", "organization bucket bucket_tag http_proxy user_agent content_encoding")
        + opts("bool", "exclude_bucket_tag influx_uint_support")
        + [Opt("urls", "[]string"), Opt("token", "secret"), Opt("timeout", "duration"),
           # map[string]string until v1.34.x, map[string]*config.Secret from v1.35.0
           Opt("http_headers", "map[string]string"),
           Opt("ping_timeout", "duration", since="1.27.2"),        # v1.27.2
           Opt("read_idle_timeout", "duration", since="1.27.2"),
           Opt("local_address", "string", since="1.31.0"),         # v1.31.0
           Opt("influx_omit_timestamp", "bool", since="1.31.0"),
           Opt("rate_limit", "size", since="1.33.0"),              # v1.33.0, common/ratelimiter
           Opt("rate_limit_period", "duration", since="1.33.0"),
           Opt("concurrent_writes", "int", since="1.35.0")]        # v1.35.0
        + TLS_CLIENT),
}

# Where each plugin exists at all (its directory in the tree at that tag).
PLUGIN_SINCE = {"inputs.exec": "1.27.0", "secretstores.docker": "1.27.0", "secretstores.systemd": "1.29.0",
                "secretstores.vault": "1.37.0",
                "outputs.influxdb": "1.27.0", "outputs.influxdb_v2": "1.27.0"}

# How each piece hands out a rotated token (the `rotation: live` check):
# - secretstores.docker GetResolver returns (value, d.Dynamic): with dynamic = true the
#   file is read again on every Get (docker.go, v1.27.0..v1.39.3).
# - secretstores.systemd GetResolver returns (value, false): read once (systemd.go).
# - secretstores.vault GetResolver returns (value, true): Vault is read again on every Get
#   (vault.go@v1.37.0 l.126-132 .. @v1.39.3 l.144-150), from its first release v1.37.0.
# - outputs.influxdb calls Password.Get() in addHeaders for every request
#   (plugins/outputs/influxdb/http.go, v1.27.0).
# - outputs.influxdb_v2 called token.Get() once in httpClient.Init up to v1.34.0, and in
#   writeBatch for every write from v1.34.1 (plugins/outputs/influxdb_v2/http.go).
SECRET_PER_WRITE = {"outputs.influxdb": ("password", "1.27.0"), "outputs.influxdb_v2": ("token", "1.34.1")}

# Store ids and secret keys: `\w+` (config.go secretStorePattern, secret.go secretPattern).
SECRET_REF = re.compile(r"@\{(\w+):(\w+)\}")


def check_points(low, high):
    """Every version in [low, high) where some fact changes, plus low: the schema is
    constant between them, so checking these checks the whole range."""
    marks = {low}
    for table in list(SCHEMA.values()) + [GENERAL]:
        for o in table:
            marks.update(x for x in (o.since, o.until) if x)
    marks.update(ver(v) for v in PLUGIN_SINCE.values())
    marks.update(ver(v) for _, v in SECRET_PER_WRITE.values())
    return sorted(v for v in marks if v >= low and (high is None or v < high))


def plugin_tables(doc):
    """Yield ('inputs.exec', index, table) for every [[kind.name]] in a parsed fragment."""
    for kind, plugins in doc.items():
        if not isinstance(plugins, dict):
            yield (kind, 0, plugins)
            continue
        for name, tables in plugins.items():
            for i, t in enumerate(tables if isinstance(tables, list) else [tables]):
                yield ("%s.%s" % (kind, name), i, t)


def vs(v):
    return ".".join(map(str, v))


def schema_errors(doc, spec, rotation):
    """All the reasons the parsed fragment would not load (or not rotate as said) on
    some Telegraf release in spec."""
    errs = []
    low, high = parse_range(spec)
    if low < OLDEST:
        errs.append("range %s starts before %s, the oldest release checked" % (spec, vs(OLDEST)))
    if rotation not in ("live", "restart"):
        errs.append("rotation must be 'live' or 'restart', not %r" % rotation)
    stores = {}
    for name, i, t in plugin_tables(doc):
        if name.startswith("secretstores.") and isinstance(t, dict):
            stores[t.get("id")] = (name, t)
    for v in check_points(low, high):
        for name, i, t in plugin_tables(doc):
            where = "Telegraf %s, [[%s]] #%d" % (vs(v), name, i + 1)
            if name not in SCHEMA:
                errs.append("%s: plugin not in the schema" % where)
                continue
            if v < ver(PLUGIN_SINCE[name]):
                errs.append("%s: the plugin does not exist before %s" % (where, PLUGIN_SINCE[name]))
                continue
            if not isinstance(t, dict):
                errs.append("%s: not a table" % where)
                continue
            for key, val in t.items():
                cands = [o for o in SCHEMA[name] + GENERAL if o.key == key and o.active(v)]
                if not cands:
                    errs.append("%s: unknown option %r" % (where, key))
                elif not any(TYPES[o.typ](val) for o in cands):
                    errs.append("%s: %s = %r is not %s" % (where, key, val, " or ".join(o.typ for o in cands)))
                elif all(o.deprecated for o in cands if TYPES[o.typ](val)):
                    errs.append("%s: %s = %r is a deprecated form there" % (where, key, val))
            # what the stores need to start (Init) and to be found
            if name.startswith("secretstores."):
                if not re.fullmatch(r"\w+", str(t.get("id", ""))):
                    errs.append("%s: id must match \\w+" % where)
            if name == "secretstores.docker":
                p = t.get("path", "")
                if not (p.startswith("/") and (p == "/" or not p.endswith("/"))):
                    errs.append("%s: path must be absolute without a trailing slash" % where)
            if name == "secretstores.vault":
                errs.extend("%s: %s" % (where, e) for e in vault_init_errors(t, v))
            # every secret names a store of this fragment
            for key, val in t.items():
                for sid, _ in SECRET_REF.findall(val) if isinstance(val, str) else []:
                    if sid not in stores:
                        errs.append("%s: %s uses store %r, not defined here" % (where, key, sid))
            # live rotation: the output asks per write, the store re-reads
            if rotation == "live" and name in SECRET_PER_WRITE:
                key, since = SECRET_PER_WRITE[name]
                refs = SECRET_REF.findall(t.get(key, "")) if isinstance(t.get(key), str) else []
                if not refs:
                    errs.append("%s: %s is not a secret reference" % (where, key))
                if v < ver(since):
                    errs.append("%s: reads %s once before %s: not live" % (where, key, since))
                for sid, _ in refs:
                    sname, st = stores.get(sid, (None, {}))
                    if sname == "secretstores.vault":
                        continue  # always dynamic (SECRET_PER_WRITE's notes)
                    if sname != "secretstores.docker" or st.get("dynamic") is not True:
                        errs.append("%s: store %r does not re-read (needs secretstores.docker, dynamic = true, "
                                    "or secretstores.vault)" % (where, sid))
    return errs


def vault_init_errors(t, v):
    """What secretstores.vault's Init refuses at Telegraf v (vault.go@v1.37.0 l.53-65, @v1.39.3 l.54-70):
    id, address, mount_path and secret_path required; engine "", "kv-v1" or "kv-v2"; before 1.39.0 the
    approle table is mandatory ("approle configuration missing"), from 1.39.0 exactly one of token and approle.
    And what this project asks on top: a full https:// URL (the sample's "localhost:8200" has no scheme)."""
    errs = ["%s is required" % k for k in ("id", "address", "mount_path", "secret_path") if not t.get(k)]
    if t.get("engine", "") not in ("", "kv-v1", "kv-v2"):
        errs.append("engine %r: unsupported engine" % t.get("engine"))
    auths = [k for k in ("token", "approle") if k in t]
    if v < ver("1.39.0") and "approle" not in t:
        errs.append("approle configuration missing (token auth only from 1.39.0)")
    elif v >= ver("1.39.0") and len(auths) != 1:
        errs.append("set exactly one of token and approle, not %s" % (auths or "neither"))
    if not str(t.get("address", "")).startswith("https://"):
        errs.append("address must be a full https:// URL")
    return errs


def header(text, field):
    m = re.search(r"(?m)^# %s: (.+)$" % field, text)
    return m.group(1).strip() if m else None


def fragments():
    return sorted(glob.glob(os.path.join(PLUGIN, "*.conf")))


def sample_sinks():
    """{path: (type, mode)} for every sink of the conf/*.conf samples."""
    sinks = {}
    for c in glob.glob(os.path.join(ROOT, "conf", "*.conf")):
        for m in re.finditer(r'^\s*\{ type = "(file|env)"; *path = "([^"]+)";(?: mode = "(\d+)";)?', read(c),
                             re.M):
            sinks[m.group(2)] = (m.group(1), m.group(3))
    return sinks


def remote_sinks(kind):
    """[(conf file, {setting: value})] for every `type = KIND` sink of the conf/*.conf samples (vault)."""
    out = []
    for c in sorted(glob.glob(os.path.join(ROOT, "conf", "*.conf"))):
        text = re.sub(r"#[^\n]*", "", read(c))
        for m in re.finditer(r'\{\s*type = "%s";(.*?)(?<!\})\}(?!\})' % kind, text, re.S):  # not {{host}}'s
            out.append((c, dict(re.findall(r'(\w+) = "([^"]*)";', m.group(1)))))
    return out


# Central rotation's settings (hosts_file, the vault and kubernetes sinks) come from other branches of
# issue 22. Until they are merged, a sample using them is checked by `check --offline` only where the
# binary knows them; the lead sets this to True at the merge, and from then on they are always checked.
CENTRAL_SINKS_MERGED = True


def check_offline(text, files=None):
    """`check --offline` of config text, with every /etc/influx-token-helper/X it names that is in files
    ({X: content}) made in a private temporary directory instead. Returns the CompletedProcess."""
    with tempfile.TemporaryDirectory() as d:
        for name, content in (files or {}).items():
            path = os.path.join(d, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(content)
            text = text.replace('"/etc/influx-token-helper/%s"' % name, '"%s"' % path)
        conf = os.path.join(d, "helper.conf")
        with open(os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(text)
        return subprocess.run([HELPER, "-c", conf, "check", "--offline"], capture_output=True, text=True)


def central_unknown(p):
    """The binary refused a central-rotation setting as unknown (a branch without it)."""
    return (not CENTRAL_SINKS_MERGED and p.returncode == 78
            and re.search(r"(hosts_file|address|secret|namespace|\.type): unknown|unknown setting", p.stderr))


class Schema(unittest.TestCase):
    """The checker itself fails on what Telegraf refuses (each case a real difference)."""

    def errs(self, text, spec, rotation="live"):
        return schema_errors(toml_loads(text), spec, rotation)

    STORE = '[[secretstores.docker]]\nid = "ith"\npath = "/run/x"\ndynamic = true\n'

    def test_argv_commands_only_from_1_39(self):
        frag = '[[inputs.exec]]\ncommands = [["/bin/x", "a b"]]\ndata_format = "influx"\n'
        self.assertEqual(self.errs(frag, ">=1.39.0"), [])
        self.assertTrue(self.errs(frag, ">=1.34.1,<1.39.0"))

    def test_string_commands_deprecated_from_1_39(self):
        frag = '[[inputs.exec]]\ncommands = ["/bin/x a"]\n'
        self.assertEqual(self.errs(frag, ">=1.27.0,<1.39.0"), [])
        self.assertTrue(any("deprecated" in e for e in self.errs(frag, ">=1.38.0")))

    def test_unknown_key_and_wrong_type(self):
        self.assertTrue(any("unknown option 'log_stderr'" in e
                            for e in self.errs('[[inputs.exec]]\ncommands = ["x"]\nlog_stderr = true\n',
                                               ">=1.38.0,<1.39.0")))
        self.assertTrue(any("is not bool" in e for e in self.errs(self.STORE.replace("true", '"true"'), ">=1.27.0")))
        self.assertTrue(any("is not duration" in e
                            for e in self.errs('[[inputs.exec]]\ncommands = ["x"]\ntimeout = "5 s"\n', ">=1.27.0,<1.39.0")))

    def test_v2_token_live_only_from_1_34_1(self):
        out = self.STORE + '[[outputs.influxdb_v2]]\nurls = ["https://x"]\ntoken = "@{ith:k}"\nbucket = "b"\n'
        self.assertEqual(self.errs(out, ">=1.34.1"), [])
        self.assertTrue(any("not live" in e for e in self.errs(out, ">=1.34.0")))
        self.assertEqual(self.errs(out, ">=1.27.0", "restart"), [])

    def test_systemd_store_not_live_and_only_from_1_29(self):
        out = ('[[secretstores.systemd]]\nid = "c"\n'
               '[[outputs.influxdb]]\nurls = ["https://x"]\npassword = "@{c:k}"\nskip_database_creation = true\n')
        self.assertTrue(any("does not re-read" in e for e in self.errs(out, ">=1.29.0")))
        self.assertEqual(self.errs(out, ">=1.29.0", "restart"), [])
        self.assertTrue(any("does not exist before" in e for e in self.errs(out, ">=1.28.0", "restart")))

    VAULT = ('[[secretstores.vault]]\nid = "v"\naddress = "https://vault:8200"\nmount_path = "secret"\n'
             'secret_path = "influxdb/h"\n')
    APPROLE = '[secretstores.vault.approle]\nrole_id = "r"\nsecret = "s"\n'
    V2 = '[[outputs.influxdb_v2]]\nurls = ["https://x"]\ntoken = "@{v:token}"\nbucket = "b"\n'

    def test_vault_store_from_1_37_approle_only_before_1_39(self):
        """secretstores.vault appeared in 1.37.0 with AppRole only; `token` from 1.39.0, exactly one of them."""
        approle = self.V2 + self.VAULT + self.APPROLE
        self.assertEqual(self.errs(approle, ">=1.37.0"), [])
        self.assertTrue(any("does not exist before 1.37.0" in e for e in self.errs(approle, ">=1.36.0")))
        token = self.V2 + self.VAULT + 'token = "t"\n'
        self.assertEqual(self.errs(token, ">=1.39.0"), [])
        errs = self.errs(token, ">=1.37.0")
        self.assertTrue(any("unknown option 'token'" in e for e in errs), errs)
        self.assertTrue(any("approle configuration missing" in e for e in errs), errs)
        both = self.V2 + self.VAULT + 'token = "t"\n' + self.APPROLE
        self.assertTrue(any("exactly one of token and approle" in e for e in self.errs(both, ">=1.39.0")))

    def test_vault_store_options(self):
        """No TLS option in any release; engine kv-v1/kv-v2; approle's own keys; a full https URL."""
        frag = self.V2 + self.VAULT + self.APPROLE
        self.assertTrue(any("unknown option 'tls_ca'" in e
                            for e in self.errs(frag.replace("[secretstores.vault.approle]",
                                                            'tls_ca = "/ca.pem"\n[secretstores.vault.approle]'),
                                               ">=1.37.0")))
        self.assertTrue(any("unsupported engine" in e
                            for e in self.errs(frag.replace('id = "v"', 'id = "v"\nengine = "kv2"'), ">=1.37.0")))
        self.assertTrue(any("is not vault.approle" in e
                            for e in self.errs(frag.replace('secret = "s"', 'secret_id = "s"'), ">=1.37.0")))
        self.assertTrue(any("https://" in e for e in self.errs(frag.replace("https://vault", "vault"), ">=1.37.0")))
        self.assertTrue(any("mount_path is required" in e
                            for e in self.errs(frag.replace('mount_path = "secret"\n', ""), ">=1.37.0")))

    def test_vault_store_is_live(self):
        """Its resolver is dynamic: live, given an output that asks on every write."""
        self.assertEqual(self.errs(self.V2 + self.VAULT + self.APPROLE, ">=1.37.0", "live"), [])
        out = self.V2.replace("influxdb_v2", "influxdb").replace("token =", "password =").replace('bucket = "b"\n', "")
        self.assertEqual(self.errs(out + self.VAULT + self.APPROLE, ">=1.37.0", "live"), [])

    def test_undefined_store_and_bad_range(self):
        self.assertTrue(self.errs('[[outputs.influxdb]]\npassword = "@{nope:k}"\n', ">=1.27.0", "restart"))
        self.assertTrue(self.errs(self.STORE, ">=1.26.0"))
        self.assertRaises(ValueError, parse_range, "<1.39.0")


class Fragments(unittest.TestCase):
    def test_each_fragment_loads_on_every_release_it_claims(self):
        frags = fragments()
        self.assertGreaterEqual(len(frags), 4)
        for f in frags:
            with self.subTest(fragment=os.path.basename(f)):
                text = read(f)
                spec, rotation = header(text, "telegraf"), header(text, "rotation")
                self.assertTrue(spec, "no '# telegraf: >=X.Y.Z[,<X.Y.Z]' header")
                self.assertEqual(schema_errors(toml_loads(text), spec, rotation), [])

    def test_ranges_cover_every_release_from_the_oldest(self):
        """Together, the live fragments cover every release from 1.27.0 on, with no gap."""
        covered = []
        for f in fragments():
            text = read(f)
            if header(text, "rotation") == "live":
                covered.append(parse_range(header(text, "telegraf")))
        for v in check_points(OLDEST, None) + [CHECKED_THROUGH]:
            self.assertTrue(any(lo <= v and (hi is None or v < hi) for lo, hi in covered), vs(v))

    def test_secret_is_a_configured_sink(self):
        """@{id:key} resolves to a path that a conf/*.conf sample writes (docker: <path>/<key>;
        systemd: the file the drop-in hands over as <prefix><key>)."""
        sinks = sample_sinks()
        creds = {}
        for d in glob.glob(os.path.join(PLUGIN, "systemd", "*.conf")):
            for m in re.finditer(r"(?m)^LoadCredential=([^:\s]+):(\S+)$", read(d)):
                creds[m.group(1)] = m.group(2)
        for f in fragments():
            with self.subTest(fragment=os.path.basename(f)):
                doc = toml_loads(read(f))
                stores = {t["id"]: (n, t) for n, _, t in plugin_tables(doc) if n.startswith("secretstores.")}
                refs = [r for n, _, t in plugin_tables(doc) if n.startswith("outputs.")
                        for v in t.values() if isinstance(v, str) for r in SECRET_REF.findall(v)]
                self.assertTrue(refs)
                source = header(read(f), "token from")
                vault = [(c, v) for c, v in remote_sinks("vault")]
                for sid, key in refs:
                    name, st = stores[sid]
                    if source == "vault":
                        # the store reads the secret a sample's vault sink writes: its mount and path, with
                        # {{host}} as the fragment's <host>; the key is a field the sink writes
                        self.assertEqual(name, "secretstores.vault")
                        self.assertEqual(key, "token")
                        self.assertIn((st["mount_path"], st["secret_path"]),
                                      [(v.get("mount", "secret"), v["path"].replace("{{host}}", "<host>"))
                                       for _, v in vault], "no conf/*.conf vault sink writes it")
                    elif source == "kubernetes":
                        # the Secret volume, its mount and key: tests/test_k8s_samples.py checks them
                        # against conf/kubernetes/ (helper config, Role, Telegraf pod)
                        self.assertEqual(name, "secretstores.docker")
                        self.assertTrue(os.path.exists(os.path.join(ROOT, "conf", "kubernetes", "telegraf.yaml")))
                    elif name == "secretstores.docker":
                        self.assertEqual(sinks.get(st["path"] + "/" + key, (None,))[0], "file", key)
                    else:
                        cred = st.get("prefix", "telegraf.") + key
                        self.assertIn(cred, creds, "no drop-in has LoadCredential=%s:..." % cred)
                        self.assertEqual(sinks.get(creds[cred]), ("file", "0600"), creds[cred])

    def test_exec_reads_the_published_status(self):
        conf = read(os.path.join(ROOT, "conf", "helper-telegraf.conf"))
        status_dir = re.search(r'(?m)^status_dir = "([^"]+)";', conf).group(1)
        want = ["/usr/bin/influx-token-helper", "status", "--format", "influx", "--from", status_dir]
        n = 0
        for f in fragments():
            for name, _, t in plugin_tables(toml_loads(read(f))):
                if name == "inputs.exec":
                    n += 1
                    (cmd,) = t["commands"]
                    self.assertEqual(cmd if isinstance(cmd, list) else cmd.split(" "), want, f)
                    self.assertEqual(t["data_format"], "influx", f)
        self.assertGreaterEqual(n, 3)

    def test_no_influxdb_v3(self):
        """outputs.influxdb_v3 targets InfluxDB 3 Core/Enterprise, not Cloud Dedicated: named only to say so."""
        paths = (glob.glob(os.path.join(ROOT, "plugin", "**", "*"), recursive=True)
                 + glob.glob(os.path.join(ROOT, "conf", "*")) + glob.glob(os.path.join(ROOT, "packaging", "**", "*"),
                                                                          recursive=True)
                 + [os.path.join(ROOT, "README.md")])
        for p in paths:
            if os.path.isfile(p):
                for para in re.split(r"\n\s*\n", read(p)):
                    if "influxdb_v3" in para:
                        self.assertIn("do not use it", para, p)


class Readme(unittest.TestCase):
    """What the READMEs tell a user to put in Telegraf's config is what the schema accepts."""
    DOCS = [os.path.join(ROOT, "README.md"), os.path.join(PLUGIN, "README.md"), os.path.join(ROOT, "plugin",
                                                                                           "README.md")]

    def test_toml_blocks_pass_the_schema(self):
        for d in self.DOCS:
            for block in re.findall(r"```toml\n(.*?)```", read(d), re.S):
                with self.subTest(doc=os.path.relpath(d, ROOT), block=block[:60]):
                    spec = header(block, "telegraf")
                    self.assertTrue(spec, "a toml block without a '# telegraf: RANGE' line")
                    self.assertEqual(schema_errors(toml_loads(block), spec, header(block, "rotation") or "live"), [])

    def test_table_lists_each_fragment_with_its_range(self):
        text = read(os.path.join(PLUGIN, "README.md"))
        rows = {m.group(2): (m.group(1), m.group(3)) for m in
                re.finditer(r"(?m)^\| `([^`]+)` \| `([\w.-]+\.conf)` \|[^|]*\| ([^|]+) \|", text)}
        for f in fragments():
            name = os.path.basename(f)
            with self.subTest(fragment=name):
                self.assertIn(name, rows, "plugin/telegraf/README.md's table does not list it")
                ftext = read(f)
                self.assertEqual(rows[name][0], header(ftext, "telegraf"))
                live = header(ftext, "rotation") == "live"
                self.assertEqual(rows[name][1].strip().startswith("yes"), live, rows[name][1])

    def test_every_drop_in_is_listed(self):
        """The drop-in table of plugin/telegraf/README.md lists each shipped drop-in once."""
        text = read(os.path.join(PLUGIN, "README.md"))
        rows = re.findall(r"(?m)^\| `(systemd/[\w.-]+\.conf)` \|", text)
        shipped = sorted("systemd/" + os.path.basename(d) for d in glob.glob(os.path.join(PLUGIN, "systemd", "*.conf")))
        self.assertEqual(sorted(set(rows)), shipped)

    def test_named_files_exist(self):
        """Every plugin/telegraf file or packaged unit the READMEs name is shipped."""
        for d in self.DOCS:
            text = read(d)
            for m in re.findall(r"(?<=plugin/|helper/)telegraf/(?:systemd/)?[\w.@-]+\.conf", text):
                self.assertTrue(os.path.exists(os.path.join(ROOT, "plugin", m)), "%s names %s" % (d, m))
            for m in re.findall(r"`(systemd/[\w.-]+\.conf)`", text):
                self.assertTrue(os.path.exists(os.path.join(PLUGIN, m)), "%s names %s" % (d, m))
            for m in re.findall(r"influx-token-helper-restart(?:-env|-cred)?@\.(?:path|service)", text):
                self.assertTrue(os.path.exists(os.path.join(SYSTEMD, m)), "%s names %s" % (d, m))
            # the two-file restart unit of earlier packages is gone: named only where the upgrade is explained
            for m in re.finditer(r"influx-token-helper-restart@[\w<>]+\.path", text):
                self.assertIn("earlier packages", text[max(0, m.start() - 300):m.end() + 300],
                              "%s names %s, which is gone: -env@ or -cred@" % (d, m.group(0)))


# --- HCL, the subset Vault's policies and Vault Agent's configuration use ---------------------------

HCL_TOKEN = re.compile(r'''
    (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][\w-]*)
  | (?P<punct>[={}\[\],])
''', re.X | re.S)


def hcl_parse(text):
    """A file of HCL attributes (name = "string" | number | true/false | [ values ]) and blocks
    (name "label"... { ... }), as Vault policies and Vault Agent configurations are written:
    [("attr", name, value) | ("block", name, [labels], body)]. Anything else raises ValueError
    naming the line (heredocs and expressions are not in the subset: the samples do not use them)."""
    toks, pos = [], 0
    while pos < len(text):
        m = HCL_TOKEN.match(text, pos)
        if not m:
            raise ValueError("line %d: cannot read %r" % (text.count("\n", 0, pos) + 1, text[pos:pos + 20]))
        if m.lastgroup != "ws":
            toks.append((m.lastgroup, m.group(), text.count("\n", 0, pos) + 1))
        pos = m.end()
    toks.append(("eof", "", text.count("\n") + 1))
    i = [0]

    def take(kind=None, val=None):
        k, v, line = toks[i[0]]
        if (kind and k != kind) or (val and v != val):
            raise ValueError("line %d: expected %s, found %r" % (line, val or kind, v))
        i[0] += 1
        return v

    def string(v):
        return json.loads(v)  # an HCL quoted string's escapes are JSON's for what the samples use

    def value():
        k, v, line = toks[i[0]]
        if k == "str":
            take()
            return string(v)
        if k == "num":
            take()
            return float(v) if "." in v else int(v)
        if k == "ident" and v in ("true", "false"):
            take()
            return v == "true"
        if v == "[":
            take()
            out = []
            while toks[i[0]][1] != "]":
                out.append(value())
                if toks[i[0]][1] != "]":
                    take("punct", ",")
            take("punct", "]")
            return out
        raise ValueError("line %d: expected a value, found %r" % (line, v))

    def body(end):
        out = []
        while toks[i[0]][0] != end and toks[i[0]][1] != end:
            name = take("ident")
            if toks[i[0]][1] == "=":
                take()
                out.append(("attr", name, value()))
                continue
            labels = []
            while toks[i[0]][0] == "str":
                labels.append(string(take()))
            take("punct", "{")
            out.append(("block", name, labels, body("}")))
            take("punct", "}")
        return out

    return body("eof")


def hcl_attrs(body):
    """{name: value} of a body's attributes; a repeated one is an error."""
    out = {}
    for item in body:
        if item[0] == "attr":
            if item[1] in out:
                raise ValueError("attribute %r set twice" % item[1])
            out[item[1]] = item[2]
    return out


# Vault's policy capabilities (website/content/docs/concepts/policies.mdx: create, read, update, patch,
# delete, list, sudo, deny, subscribe).
VAULT_CAPS = {"create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe"}


def central_vault_sink():
    """conf/helper-central.conf's vault sink: (mount, path with {{host}})."""
    sinks = [v for c, v in remote_sinks("vault") if os.path.basename(c) == "helper-central.conf"]
    assert len(sinks) == 1, sinks
    return sinks[0].get("mount", "secret"), sinks[0]["path"]


def policy_paths(path):
    """{path: set(capabilities)} of a Vault policy file; each path once, known capabilities only."""
    out = {}
    for item in hcl_parse(read(path)):
        assert item[0] == "block" and item[1] == "path" and len(item[2]) == 1, item
        caps = hcl_attrs(item[3]).get("capabilities")
        assert isinstance(caps, list) and set(caps) <= VAULT_CAPS, caps
        assert item[2][0] not in out, item[2][0]
        out[item[2][0]] = set(caps)
    return out


class VaultSide(unittest.TestCase):
    """conf/vault/*.hcl and plugin/telegraf/vault-agent-template.hcl: parsed, and their paths the vault
    sink's of conf/helper-central.conf (KV v2: <mount>/data/<path> and <mount>/metadata/<path>)."""

    def test_hcl_subset_parser_refuses_what_it_should(self):
        self.assertEqual(hcl_parse('path "a" { capabilities = ["read"] }'),
                         [("block", "path", ["a"], [("attr", "capabilities", ["read"])])])
        for bad in ('path "a" { capabilities = ["read" }', 'path "a" { capabilities = ["read"]',
                    'path "a { capabilities = ["read"] }', 'path "a" { capabilities ["read"] }'):
            self.assertRaises(ValueError, hcl_parse, bad)

    def test_rotator_policy_covers_the_published_paths_only(self):
        mount, path = central_vault_sink()
        one = path.replace("{{host}}", "+")  # "+": one path segment, one host
        got = policy_paths(os.path.join(ROOT, "conf", "vault", "rotator.hcl"))
        self.assertEqual(set(got), {"%s/data/%s" % (mount, one), "%s/metadata/%s" % (mount, one)})
        self.assertEqual(got["%s/data/%s" % (mount, one)], {"create", "update", "read"})
        self.assertEqual(got["%s/metadata/%s" % (mount, one)], {"create", "update", "read", "delete"})

    def test_host_policy_reads_its_own_path_only(self):
        mount, path = central_vault_sink()
        got = policy_paths(os.path.join(ROOT, "conf", "vault", "host.hcl"))
        self.assertEqual(got, {"%s/data/%s" % (mount, path.replace("{{host}}", "<host>")): {"read"}})

    def test_agent_template_renders_what_the_file_fragments_read(self):
        """For Telegraf before 1.37.0: the Agent writes the token alone into <path>/<key> of the
        docker-store fragments, from the sink's secret (KV v2: /data/ in the path, .Data.data.token)."""
        (item,) = hcl_parse(read(os.path.join(PLUGIN, "vault-agent-template.hcl")))
        self.assertEqual(item[:3], ("block", "template", []))
        a = hcl_attrs(item[3])
        self.assertLessEqual(set(a), {"contents", "destination", "perms", "error_on_missing_key",
                                      "create_dest_dirs", "source", "backup", "wait", "exec"})
        docker = set()
        for f in fragments():
            doc = toml_loads(read(f))
            stores = {t["id"]: t for n, _, t in plugin_tables(doc) if n == "secretstores.docker"}
            for n, _, t in plugin_tables(doc):
                for v in t.values() if n.startswith("outputs.") and not header(read(f), "token from") else ():
                    for sid, key in SECRET_REF.findall(v) if isinstance(v, str) else ():
                        if sid in stores:
                            docker.add(stores[sid]["path"] + "/" + key)
        self.assertTrue(docker)
        self.assertIn(a["destination"], docker)
        self.assertEqual(a["perms"], "0640")
        self.assertIs(a["error_on_missing_key"], True)
        mount, path = central_vault_sink()
        m = re.fullmatch(r'\{\{ with secret "([^"]+)" \}\}\{\{ \.Data\.data\.token \}\}\{\{ end \}\}',
                         a["contents"])
        self.assertTrue(m, "contents must be the token alone, with no newline: %r" % a["contents"])
        self.assertRegex(m.group(1), "^%s$" % re.escape("%s/data/%s" % (mount, path)).replace(
            re.escape("{{host}}"), r"[A-Za-z0-9][A-Za-z0-9.-]*"))


class SampleConfigs(unittest.TestCase):
    def test_all_validate(self):
        confs = sorted(glob.glob(os.path.join(ROOT, "conf", "*.conf")))
        self.assertGreaterEqual(len(confs), 3)
        for c in confs:
            with self.subTest(conf=os.path.basename(c)):
                text = read(c).replace('group = "telegraf"', 'group = "root"')  # no telegraf group here
                p = check_offline(text, {"telegraf.hosts": "# the fleet\nedge-a\nedge-b.example.com\n",
                                         "vault-secret-id": "s-%s\n" % os.urandom(8).hex()})
                if central_unknown(p):
                    self.skipTest("LEAD: this binary does not know central rotation's settings yet (%s); set "
                                  "CENTRAL_SINKS_MERGED = True at the merge" % p.stderr.strip()[:160])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("ok", p.stdout)


class DropIns(unittest.TestCase):
    def ini(self, path, strict=True):
        c = configparser.ConfigParser(strict=strict, interpolation=None)
        c.optionxform = str
        with open(path) as f:
            c.read_file(f)
        return c

    def dropins(self):
        return sorted(glob.glob(os.path.join(PLUGIN, "systemd", "*.conf")))

    def test_each_orders_telegraf_after_the_helper(self):
        self.assertGreaterEqual(len(self.dropins()), 3)
        for d in self.dropins():
            with self.subTest(dropin=os.path.basename(d)):
                u = self.ini(d)["Unit"]
                self.assertEqual(u["Wants"], "influx-token-helper.service")
                self.assertEqual(u["After"], "influx-token-helper.service")

    def test_each_says_which_sink_it_needs_and_a_sample_has_it(self):
        sinks = sample_sinks()
        for d in self.dropins():
            with self.subTest(dropin=os.path.basename(d)):
                text = read(d)
                m = re.search(r"Needs the profile's `(file|env)` sink (\S+)", text)
                self.assertTrue(m, "the header must say: Needs the profile's `file|env` sink PATH")
                self.assertEqual(sinks.get(m.group(2), (None,))[0], m.group(1))
                self.assertIn(m.group(2), text.split("[Unit]", 1)[1], "the sink named is the one used")

    def test_no_mandatory_env_file(self):
        """A required EnvironmentFile= that is missing stops the service: only '-' ones."""
        for d in self.dropins():
            for line in read(d).splitlines():
                if line.startswith("EnvironmentFile="):
                    self.assertTrue(line.startswith("EnvironmentFile=-"), d)

    def test_token_file_checked_before_start(self):
        """ExecStartPre= (split as systemd does for this quoting) fails, saying what to do, while
        the token file is missing or empty, and passes once it holds a token."""
        s = self.ini(os.path.join(PLUGIN, "systemd", "telegraf-influx-token-helper.conf"))["Service"]
        with tempfile.TemporaryDirectory() as d:
            tok = os.path.join(d, "telegraf")
            self.assertIn("/run/influx-token-helper/telegraf ", s["ExecStartPre"])
            argv = shlex.split(s["ExecStartPre"].replace("/run/influx-token-helper/telegraf ", tok + " "))
            self.assertEqual(argv[0], "/bin/sh")
            for content in (None, ""):
                if content is not None:
                    open(tok, "w").close()
                p = subprocess.run(argv, capture_output=True, text=True)
                self.assertEqual(p.returncode, 1)
                self.assertIn("no token file", p.stderr)
                self.assertIn("journalctl -u influx-token-helper.service", p.stderr)
            with open(tok, "w") as f:
                f.write("tok")
            p = subprocess.run(argv, capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_timer_delay_said_as_the_timer_says(self):
        """The READMEs give the packaged timer's random delay as the unit sets it, in one way."""
        timer = self.ini(os.path.join(SYSTEMD, "influx-token-helper.timer"))["Timer"]
        delay = timer["RandomizedDelaySec"]
        self.assertEqual(delay, "5min")
        for doc in (os.path.join(ROOT, "README.md"), os.path.join(ROOT, "packaging", "README.md")):
            text = read(doc)
            said = re.findall(r"RandomizedDelaySec=(\w+)", text)
            self.assertTrue(said, doc)
            self.assertEqual(set(said), {delay}, doc)
            self.assertNotRegex(text, r"randomi[sz]ed over \d+ minutes", doc)

    def test_restart_units_watch_the_sinks_drop_ins_use(self):
        """Each restart unit watches exactly one file (systemd re-arms every watch of a unit on any event, and
        can lose a rename of another watched file), and each drop-in that names one reads that very file."""
        svc = self.ini(os.path.join(SYSTEMD, "influx-token-helper-restart@.service"))
        self.assertEqual(svc["Service"]["ExecStart"], "systemctl try-restart %i.service")
        self.assertEqual(svc["Unit"]["After"], "influx-token-helper.service")
        watched = {}
        for kind in ("env", "cred"):
            name = "influx-token-helper-restart-%s@.path" % kind
            lines = [line.split("=", 1)[1].strip() for line in read(os.path.join(SYSTEMD, name)).splitlines()
                     if line.startswith("PathChanged=") or line.startswith("PathModified=")]
            self.assertEqual(lines, ["/run/influx-token-helper/%%i.%s" % kind], name)
            self.assertEqual(self.ini(os.path.join(SYSTEMD, name))["Path"]["Unit"], "influx-token-helper-restart@%i.service")
            watched[name.replace("@.", "@telegraf.")] = lines[0]
        named = 0
        for d in self.dropins():
            text = read(d)
            for unit, path in watched.items():
                if unit in text:
                    named += 1
                    used = re.search(r"(?m)^(?:EnvironmentFile=-|LoadCredential=[^:]+:)(\S+)$", text).group(1)
                    self.assertEqual(used.replace("/telegraf.", "/%i."), path, d)
        self.assertEqual(named, 2)

if __name__ == "__main__":
    if TOML_NAME is None:
        sys.exit(skiprule.skip_exit_code("tomli", TOML_LOADS))
    print("TOML parser: %s%s" % (TOML_NAME, " (tomllib pretended missing)" if os.environ.get("ITH_PRETEND_NO_TOMLLIB")
                                 else ""), flush=True)
    unittest.main(verbosity=2)
