#!/usr/bin/python3
"""Checks that the administrators' pictures and dashboards still match the code.

  dashboard  every isogate_* metric the Grafana dashboard queries is one isogate-mgmtd
             renders (mgmt/metrics_text.cc), and the file is valid dashboard JSON
  graph      docs/images/tianjin-egov-boundary.svg is what `isogate-policy graph --svg`
             draws for configs/tianjin-egov-boundary.yaml today (regenerate it with the
             command printed on failure)
  links      every relative link in docs/*.md and README.md points at an existing file
"""

import json
import os
import re
import subprocess
import sys

SRC = sys.argv[2] if len(sys.argv) > 2 else "."


def dashboard():
    dash = json.load(open(os.path.join(SRC, "docs/grafana/isogate-dashboard.json")))
    rendered = set(re.findall(r'"(isogate_[a-z_]+)"', open(os.path.join(SRC, "mgmt/metrics_text.cc")).read()))
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [a["expr"] for a in dash["annotations"]["list"]]
    exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
    used = {m for e in exprs for m in re.findall(r"\bisogate_[a-z_]+", e)}
    missing = sorted(used - rendered)
    if missing or not used:
        return [f"dashboard queries metrics isogate-mgmtd does not export: {missing}"]
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        return ["dashboard panel ids are not unique"]
    return []


def graph(policy_bin):
    svg = os.path.join(SRC, "docs/images/tianjin-egov-boundary.svg")
    cmd = [policy_bin, "graph", os.path.join(SRC, "configs/tianjin-egov-boundary.yaml"), "--svg"]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    now = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if now.returncode != 0:
        return [f"{' '.join(cmd)} failed: {now.stderr}"]
    if now.stdout != open(svg).read():
        return [f"{svg} is out of date: isogate-policy graph configs/tianjin-egov-boundary.yaml --svg -o docs/images/tianjin-egov-boundary.svg"]
    return []


def links():
    errors = []
    files = [os.path.join(SRC, "README.md")] + [os.path.join(SRC, "docs", f) for f in sorted(os.listdir(os.path.join(SRC, "docs"))) if f.endswith(".md")]
    for path in files:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", open(path).read()):
            if re.match(r"[a-z]+:", target):
                continue
            if not os.path.exists(os.path.join(os.path.dirname(path), target)):
                errors.append(f"{os.path.relpath(path, SRC)}: link to missing {target}")
    return errors


def main():
    what, extra = sys.argv[1], sys.argv[3:]
    errors = {"dashboard": dashboard, "links": links}.get(what, lambda: graph(extra[0]))()
    for e in errors:
        print("FAIL", e)
    print("ok" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
