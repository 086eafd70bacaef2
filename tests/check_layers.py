#!/usr/bin/env python3
"""The layering, checked by #include: every file in src/ and helper/ has a tier, and includes run only down.

The one source of truth is the fenced ```tiers block in ARCHITECTURE.md:

    tier 0: mem strbuf text
    tier 1: error
    ...
    helper: cli main cmd_* sched exitcodes

A module is a file stem: src/config.c and src/config.h are module `config` (a generated header's template,
src/version.h.in, is module `version`); a name may end in `*` (cmd_* in helper/). `helper` is the tier above
the highest numbered one. Text after `#` on a line is a comment.

Rules (each offence one line on stdout, exit 1):
- every src/*.c|*.h|*.h.in and helper/*.c|*.h belongs to a module of the table
  ("src/foo.c: not in ARCHITECTURE.md's tier table");
- every module of the table exists ("tier table: module foo (tier 2) has no file in src/ or helper/");
  --missing=warn (or ITH_LAYERS_MISSING=warn) prints it as a warning and does not fail, for a table that
  names the target while the tree is on its way there;
- a quoted include ("x.h") of a header in a higher tier fails, naming file, line and both tiers; a file in
  src/ including a header of helper/ always fails (src/ must never include helper/);
- no include cycle among modules (quoted includes, .c->.h and .h->.h, modules merged by stem), also not
  within one tier; each cycle is named with the include that makes each step.
Quoted includes that name no file of src/ or helper/ (curl's headers) are outside the check.

Usage: tests/check_layers.py [--root DIR] [--missing=fail|warn]. Ends with "layers: ok (...)" or
"layers: N offences".
"""
import argparse
import fnmatch
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def parse_table(arch_path):
    """[(tier number, tier label, [module patterns])] from the ```tiers block of ARCHITECTURE.md."""
    text = open(arch_path, encoding="utf-8").read()
    m = re.search(r"^```tiers[ \t]*\n(.*?)^```", text, re.M | re.S)
    if not m:
        raise SystemExit("%s: no ```tiers block (the tier table)" % arch_path)
    tiers, helper = [], None
    for n, line in enumerate(m.group(1).split("\n"), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        t = re.match(r"^tier\s+(\d+)\s*:\s*(.*)$", line)
        h = re.match(r"^helper\s*:\s*(.*)$", line)
        if t:
            tiers.append((int(t.group(1)), "tier " + t.group(1), t.group(2).split()))
        elif h:
            helper = h.group(1).split()
        else:
            raise SystemExit("%s: tier table line %d: %r is neither `tier N: ...` nor `helper: ...`"
                             % (arch_path, n, line))
    top = max([t[0] for t in tiers] + [0]) + 1
    if helper is not None:
        tiers.append((top, "helper", helper))
    return tiers


def module_of(path):
    base = os.path.basename(path)
    for ext in (".h.in", ".c", ".h"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return None


def source_files(root):
    out = []
    for d in ("src", "helper"):
        for pat in ("*.c", "*.h", "*.h.in"):
            out += glob.glob(os.path.join(root, d, pat))
    return sorted(set(out))


class Layers:
    def __init__(self, root, tiers):
        self.root = root
        self.tiers = tiers
        self.errors, self.warnings = [], []
        self.files = source_files(root)
        self.rel = {f: os.path.relpath(f, root) for f in self.files}

    def tier_of(self, rel):
        """(tier number, label) of a file (relative path), or None when the table does not list it."""
        mod = module_of(rel)
        in_helper = rel.startswith("helper" + os.sep)
        for num, label, pats in self.tiers:
            if (label == "helper") != in_helper:
                continue
            if any(fnmatch.fnmatchcase(mod, p) for p in pats):
                return num, label
        return None

    def check_listed(self, missing):
        for f in self.files:
            if self.tier_of(self.rel[f]) is None:
                self.errors.append("%s: not in ARCHITECTURE.md's tier table" % self.rel[f])
        for num, label, pats in self.tiers:
            d = "helper" if label == "helper" else "src"
            mods = {module_of(self.rel[f]) for f in self.files if self.rel[f].startswith(d + os.sep)}
            for p in pats:
                if not any(fnmatch.fnmatchcase(m, p) for m in mods):
                    msg = "tier table: module %s (%s) has no file in %s/" % (p, label, d)
                    (self.warnings if missing == "warn" else self.errors).append(msg)

    def resolve(self, f, name):
        """The file of src/ or helper/ a quoted include names (the includer's directory first), or None."""
        for d in (os.path.dirname(f), os.path.join(self.root, "src"), os.path.join(self.root, "helper")):
            for cand in (os.path.join(d, name), os.path.join(d, name + ".in")):
                if cand in self.rel:
                    return cand
        return None

    def includes(self):
        """(file, line number, included file) for every quoted include between files of src/ and helper/."""
        out = []
        for f in self.files:
            for n, line in enumerate(open(f, encoding="utf-8", errors="replace"), 1):
                m = INCLUDE.match(line)
                if m:
                    target = self.resolve(f, m.group(1))
                    if target is not None:
                        out.append((f, n, target, m.group(1)))
        return out

    def check_tiers(self, edges):
        for f, n, target, name in edges:
            a, b = self.tier_of(self.rel[f]), self.tier_of(self.rel[target])
            src_to_helper = self.rel[f].startswith("src" + os.sep) and self.rel[target].startswith("helper" + os.sep)
            if src_to_helper:
                self.errors.append('%s:%d: includes "%s", a header of helper/ (src/ must never include helper/)'
                                   % (self.rel[f], n, name))
            elif a and b and b[0] > a[0]:
                self.errors.append('%s:%d: includes "%s" (%s) from %s: includes must not point up a tier'
                                   % (self.rel[f], n, name, b[1], a[1]))

    def check_cycles(self, edges):
        """Module graph (stems merged); every strongly connected component with more than one module is a
        cycle, reported as one concrete loop through it."""
        graph, why = {}, {}
        for f, n, target, name in edges:
            a, b = self.key(f), self.key(target)
            if a == b:
                continue
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set())
            why.setdefault((a, b), "%s:%d" % (self.rel[f], n))
        for comp in strongly_connected(graph):
            if len(comp) < 2:
                continue
            loop = one_loop(graph, comp)
            steps = ", ".join("%s -> %s (%s)" % (loop[i][1], loop[i + 1][1], why[(loop[i], loop[i + 1])])
                              for i in range(len(loop) - 1))
            self.errors.append("include cycle among %s: %s; %s" % (
                ", ".join(m for _, m in comp), " -> ".join(m for _, m in loop), steps))

    def key(self, f):
        """A module's node: its directory and stem (src/ and helper/ are separate namespaces)."""
        return (os.path.dirname(self.rel[f]), module_of(self.rel[f]))


def strongly_connected(graph):
    """Tarjan's algorithm, iterative; components in a stable order."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comps.append(sorted(comp))
    return comps


def one_loop(graph, comp):
    """A shortest loop from the component's first module back to itself, inside the component."""
    members, start = set(comp), comp[0]
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return [start]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(HERE), help="the checkout (default: this one)")
    ap.add_argument("--missing", choices=("fail", "warn"), default=os.environ.get("ITH_LAYERS_MISSING", "fail"),
                    help="a module the table lists that has no file: fail (default) or warn")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    layers = Layers(root, parse_table(os.path.join(root, "ARCHITECTURE.md")))
    layers.check_listed(a.missing)
    edges = layers.includes()
    layers.check_tiers(edges)
    layers.check_cycles(edges)
    for w in layers.warnings:
        print("warning: " + w)
    for e in layers.errors:
        print(e)
    if layers.errors:
        print("layers: %d offences" % len(layers.errors))
        return 1
    print("layers: ok (%d files, %d includes, %d tiers, no include up a tier, no cycle)"
          % (len(layers.files), len(edges), len(layers.tiers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
