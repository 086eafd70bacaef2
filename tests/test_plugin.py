#!/usr/bin/env python3
"""The shipped integration files: parsed by real parsers, consistent with each other.

- plugin/telegraf/telegraf.conf parses as TOML (tomllib; on Python older than
  3.11 the python3-tomli or python3-toml package) and wires
  secretstores.docker (absolute path, no trailing slash, dynamic = true),
  outputs.influxdb_v2 for Cloud Dedicated and inputs.exec with data_format influx;
- the docker store's <path>/<key> is exactly the file sink of conf/helper-telegraf.conf;
- every conf/*.conf passes `influx-token-helper check --offline`;
- the systemd drop-ins parse as INI with the ordering they promise.

Without any TOML parser it exits 77 (skipped) and says which package to
install. ITH_PRETEND_NO_TOMLLIB=1 pretends tomllib is missing (the Python
older than 3.11 path); =all pretends every parser is missing.
"""
import configparser
import glob
import os
import re
import subprocess
import sys
import tempfile
import unittest


def toml_parser():
    """(name, load(path) -> dict): tomllib (Python 3.11+), else tomli (python3-tomli, the same API),
    else toml (python3-toml); (None, reason) when there is none."""
    pretend = os.environ.get("ITH_PRETEND_NO_TOMLLIB", "")
    if not pretend:
        try:
            import tomllib
            return "tomllib", lambda path: tomllib.load(open(path, "rb"))
        except ImportError:
            pass
    if pretend != "all":
        try:
            import tomli
            return "tomli", lambda path: tomli.load(open(path, "rb"))
        except ImportError:
            pass
        try:
            import toml
            return "toml", lambda path: toml.load(open(path))
        except ImportError:
            pass
    return None, ("Python %d.%d has no tomllib (3.11+) and neither python3-tomli nor python3-toml is installed%s"
                  % (sys.version_info[0], sys.version_info[1], " (ITH_PRETEND_NO_TOMLLIB=all)" if pretend else ""))


TOML_NAME, TOML_LOAD = toml_parser()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELPER = os.environ.get("ITH_HELPER", os.path.join(ROOT, "build", "influx-token-helper"))


class TelegrafFragment(unittest.TestCase):
    def setUp(self):
        self.t = TOML_LOAD(os.path.join(ROOT, "plugin", "telegraf", "telegraf.conf"))

    def test_secretstore(self):
        (store,) = self.t["secretstores"]["docker"]
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9_]+", store["id"]))
        self.assertTrue(store["path"].startswith("/") and not store["path"].endswith("/"))
        self.assertIs(store["dynamic"], True)

    def test_output(self):
        (out,) = self.t["outputs"]["influxdb_v2"]
        (store,) = self.t["secretstores"]["docker"]
        self.assertEqual(out["urls"], ["https://<cluster-id>.a.influxdb.io"])
        self.assertEqual(out["organization"], "")
        self.assertTrue(out["bucket"])
        self.assertTrue(re.fullmatch(r"@\{%s:[A-Za-z0-9_]+\}" % store["id"], out["token"]))

    def test_exec(self):
        (ex,) = self.t["inputs"]["exec"]
        self.assertEqual(ex["commands"], [["/usr/bin/influx-token-helper", "status", "--format", "influx",
                                           "--from", "/run/influx-token-helper/status"]])
        self.assertEqual(ex["data_format"], "influx")

    def test_store_reads_the_sink(self):
        (store,) = self.t["secretstores"]["docker"]
        (out,) = self.t["outputs"]["influxdb_v2"]
        key = out["token"][2:-1].split(":")[1]
        conf = open(os.path.join(ROOT, "conf", "helper-telegraf.conf")).read()
        self.assertIn('name = "%s";' % key, conf)
        # inputs.exec runs `status --from` as telegraf: the config must publish there
        (ex,) = self.t["inputs"]["exec"]
        self.assertRegex(conf, r'(?m)^status_dir = "%s";' % re.escape(ex["commands"][0][-1]))
        self.assertRegex(conf, r'\{ type = "file"; path = "%s/%s";' % (re.escape(store["path"]), key))


class SampleConfigs(unittest.TestCase):
    def test_all_validate(self):
        confs = sorted(glob.glob(os.path.join(ROOT, "conf", "*.conf")))
        self.assertGreaterEqual(len(confs), 3)
        for c in confs:
            with self.subTest(conf=os.path.basename(c)):
                text = open(c).read().replace('group = "telegraf"', 'group = "root"')  # no telegraf group here
                with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
                    f.write(text)
                    f.flush()
                    p = subprocess.run([HELPER, "-c", f.name, "check", "--offline"], capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("ok", p.stdout)


class DropIns(unittest.TestCase):
    def ini(self, name):
        c = configparser.ConfigParser(strict=True)
        c.read(os.path.join(ROOT, "plugin", "telegraf", "systemd", name))
        return c

    def test_order(self):
        self.assertEqual(self.ini("influx-token-helper-telegraf.conf")["Unit"]["Before"], "telegraf.service")
        t = self.ini("telegraf-influx-token-helper.conf")["Unit"]
        self.assertEqual(t["Wants"], "influx-token-helper.service")
        self.assertEqual(t["After"], "influx-token-helper.service")
        env = self.ini("telegraf-influxdb-v3-env.conf")["Service"]["EnvironmentFile"]
        self.assertTrue(env.startswith("/run/influx-token-helper/"))


if __name__ == "__main__":
    if TOML_NAME is None:
        print("SKIP: " + TOML_LOAD)
        sys.exit(77)
    print("TOML parser: %s%s" % (TOML_NAME, " (tomllib pretended missing)" if os.environ.get("ITH_PRETEND_NO_TOMLLIB")
                                 else ""), flush=True)
    unittest.main(verbosity=2)
