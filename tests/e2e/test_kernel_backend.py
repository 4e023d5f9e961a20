#!/usr/bin/python3
"""End-to-end tests of isogate-gw with the nftables backend, with real traffic.

Each case builds its own namespaces (unique names), runs the gateway inside the gateway
namespace and always removes everything, also on failure.

Usage: test_kernel_backend.py --gw PATH CASE      CASE: matrix | lifecycle | reload | schedule
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import (FAILURES, PY, Gateway, MgmtStub, arrived, check, finish,  # noqa: E402,F401 (re-exported)
                     make_workdir, run_scenarios, run_with_hosts)
from scenarios import HOSTS, SPOOFS, PROBES, Scenario, all_scenarios  # noqa: E402
from topology import Topology  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
# --- helpers ------------------------------------------------------------------------------

def setup_workdir():
    work = make_workdir()
    for f in ("policy.yaml", "gateway.yaml"):
        shutil.copy(os.path.join(FIXTURES, f), os.path.join(work, f))
    return work


def load_policy(work):
    with open(os.path.join(work, "policy.yaml")) as f:
        return yaml.safe_load(f)


def write_policy(work, doc, name="policy.yaml"):
    path = os.path.join(work, name)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        if isinstance(doc, str):
            f.write(doc)
        else:
            yaml.safe_dump(doc, f, sort_keys=False)
    os.rename(tmp, path)


def event_matches(e, s):
    want = {"type": s.event_type, "from_zone": s.src_zone, "to_zone": s.dst_zone, "src": s.src, "dst": s.dst,
            "proto": s.wire_proto, "rule": s.rule}
    if s.proto in ("tcp", "udp"):
        want["dport"] = str(s.port)
    else:
        want["icmp_type"] = "8" if s.family == "v4" else "128"
    return all(e.get(k) == v for k, v in want.items())


def check_scenarios(topo, hosts, gw, scenarios, events=True, label=""):
    """Runs the scenarios and asserts outcome, the wire, and (optionally) the events."""
    mark = hosts.mark()
    since = len(gw.events()) if gw else 0
    results = run_scenarios(topo, scenarios)
    for s in scenarios:
        r = results[s.name]
        got = arrived(hosts, mark, s.src, s.dst, s.proto, s.port)
        if s.expect_pass:
            ok = r["reply"] and got
            check(ok, f"{label}{s.name}: passes with a reply ({r['detail']}, reached the host={got})")
            if not ok:
                dump_neighbours(topo, s)
        else:
            check(not r["reply"] and not got,
                  f"{label}{s.name}: blocked (reply={r['reply']}, reached a host={got})")
    if not events:
        return
    wanted = [s for s in scenarios if not s.expect_pass and s.event_type]
    deadline = time.monotonic() + 5
    missing = wanted
    while missing and time.monotonic() < deadline:
        evs = gw.events()[since:]
        missing = [s for s in wanted if not any(event_matches(e, s) for e in evs)]
        if missing:
            time.sleep(0.1)
    evs = gw.events()[since:]
    for s in wanted:
        check(s not in missing, f"{label}{s.name}: event {s.event_type} {s.src_zone}->{s.dst_zone}"
              f" src={s.src} dst={s.dst} rule='{s.rule}'")
    for s in scenarios:
        if s.expect_pass:
            bad = [e for e in evs if e.get("msgid") == "VIOLATION" and e.get("src") == s.src and e.get("dst") == s.dst
                   and e.get("dport") == (str(s.port) if s.port else None)]
            check(not bad, f"{label}{s.name}: no violation event for an allowed probe")


def dump_neighbours(topo, s):
    """What a failed allowed probe leaves to look at: the neighbour tables on its path."""
    for where in ("gw", s.src_zone, s.dst_zone):
        out = topo.sh(where, "ip", "-6" if ":" in s.dst else "-4", "neigh", "show", capture=True, check=False)
        print(f"  neighbours in {where}: {(out or '').strip()!r}", flush=True)


def nothing_reached_intranet(hosts, label=""):
    wire = hosts.wire("intranet")
    check(not wire, f"{label}nothing was ever sent to the intranet host ({len(wire)} frames: {wire[:3]})")


def sample(scenarios, names):
    return [s for s in scenarios if s.name in names]


SAMPLE = [  # a cross-section for the lifecycle checks: allowed, logical deny, physical
    "internet->portal/v4/tcp-443", "internet->portal/v6/tcp-443", "extranet->portal/v4/tcp-22",
    "extranet->internet/v6/udp-53", "portal->internet/v4/echo", "internet->extranet/v4/tcp-22",
    "portal->extranet/v6/tcp-22", "extranet->intranet/v4/tcp-443", "intranet->extranet/v6/echo",
    "internet->portal/v4/tcp-22",
]


def stateless_ruleset(topo):
    return topo.sh("gw", "nft", "-s", "list", "ruleset", capture=True)


# --- cases --------------------------------------------------------------------------------

def case_matrix(topo, hosts, work, gwbin):
    mgmt = MgmtStub(os.path.join(work, "events.sock"))
    gw = Gateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work, mgmt_socket=mgmt.path).start()
    try:
        loaded = gw.events()[-1]
        check(loaded.get("type") == "policy-loaded" and loaded.get("policy", "").startswith("sha256:")
              and loaded.get("policy_name") == "e2e-boundary" and loaded.get("host") == "gw-e2e",
              f"gateway reports policy-loaded with digest and name ({loaded})")
        scenarios = all_scenarios()
        check_scenarios(topo, hosts, gw, scenarios)
        # A log: true rule reports each new flow it allows.
        check(any(e.get("type") == "flow-allowed" and e.get("rule") == "publish-content" and e.get("src") == HOSTS["extranet"]["v4"]
                  and e.get("ref") == "EX-2026-017" for e in gw.events()),
              "publish-content (log: true) reports flow-allowed with its ref")
        # Forged sources from the extranet host.
        mark = hosts.mark()
        since = len(gw.events())
        probes = [{"id": sp.name, "src": sp.src, "dst": sp.dst, "proto": PROBES[sp.probe]["proto"],
                   "port": PROBES[sp.probe]["port"], "timeout": 1} for sp in SPOOFS]
        subprocess.run(["ip", "netns", "exec", topo.ns("extranet"), PY, os.path.join(HERE, "probe.py")],
                       input=json.dumps(probes), text=True, capture_output=True, timeout=60, check=True)
        time.sleep(0.5)
        for sp in SPOOFS:
            proto = PROBES[sp.probe]["proto"]
            check(not arrived(hosts, mark, sp.src, sp.dst, proto, PROBES[sp.probe]["port"]),
                  f"spoof {sp.name}: forged packet from the extranet host dropped")
            deadline = time.monotonic() + 5
            found = None
            while not found and time.monotonic() < deadline:
                found = next((e for e in gw.events()[since:] if e.get("type") == sp.event_type and e.get("src") == sp.src
                              and e.get("dst") == sp.dst and e.get("in_interface") == "ext0"), None)
                if not found:
                    time.sleep(0.1)
            check(found is not None and found.get("from_zone") == sp.claimed_zone and found.get("to_zone") == sp.dst_zone,
                  f"spoof {sp.name}: event {sp.event_type} (claimed zone {sp.claimed_zone}, in ext0): {found}")
        # The intranet host knocks on the gateway itself through the monitor port: ARP for and
        # pings/connects to the gateway's own addresses. Nothing may answer.
        own = [("arp", "10.20.0.1", None), ("arp", "203.0.113.1", None), ("icmp", "10.20.0.1", None),
               ("icmp", "fd20::1", None), ("tcp", "10.20.0.1", 22), ("udp", "fd30::1", 53)]
        probes = [{"id": f"gw-{proto}-{dst}", "proto": proto, "dst": dst, "port": port, "timeout": 1,
                   "from": HOSTS["intranet"]["v4"]} for proto, dst, port in own]
        res = subprocess.run(["ip", "netns", "exec", topo.ns("intranet"), PY, os.path.join(HERE, "probe.py")],
                             input=json.dumps(probes), text=True, capture_output=True, timeout=60,
                             check=True)
        results = json.loads(res.stdout)
        check(not any(r["reply"] for r in results.values()), f"intranet host gets no answer from the gateway ({results})")
        time.sleep(0.5)
        nothing_reached_intranet(hosts)
        # The same events also went to the management daemon's socket, as datagrams. The
        # sender never waits: what the socket could not take is counted and reported.
        lines = [e for e in gw.events() if e.get("msgid") == "VIOLATION"]
        sent = mgmt.events()
        key = ("type", "src", "dst", "dport", "rule")
        sent_keys = {tuple(e.get(k) for k in key) for e in sent}
        lost = sum(int(e.get("lost", 0)) for e in sent if e["type"] == "fault")
        unsent = [e for e in lines if tuple(e.get(k) for k in key) not in sent_keys]
        check(len(lines) > 0 and len(unsent) <= lost,
              f"every violation line was also sent to the mgmtd socket or counted as lost ({len(lines)} lines,"
              f" {len(sent)} datagrams, {lost} reported lost)")
        nodigest = [e for e in sent if not e.get("policy", "").startswith("sha256:") and e.get("component") != "event-sender"]
        check(not nodigest, f"the gateway's datagrams carry the policy digest ({nodigest[:2]})")
    finally:
        gw.stop()
        mgmt.close()


def case_lifecycle(topo, hosts, work, gwbin):
    scen = sample(all_scenarios(), SAMPLE)
    # 1. Fail closed at start: a broken policy installs nothing permissive.
    good = open(os.path.join(work, "policy.yaml")).read()
    write_policy(work, good.replace("action: allow", "action: alow", 1))
    gw = Gateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start(wait_event="policy-rejected")
    try:
        ev = gw.events()[-1]
        check(ev.get("type") == "policy-rejected" and "policy.yaml:" in ev.get("diagnostics", "")
              and "error" in ev.get("diagnostics", ""), f"broken policy at start: policy-rejected with diagnostics ({ev})")
        closed = [Scenario(**{**s.__dict__, "expect_pass": False}) for s in scen]
        check_scenarios(topo, hosts, None, closed, events=False, label="[no policy yet] ")
        # 2. The fixed policy on SIGHUP.
        write_policy(work, good)
        ev = gw.reload()
        check(ev.get("type") == "policy-loaded", f"fixed policy loads on SIGHUP ({ev})")
        check_scenarios(topo, hosts, gw, scen, label="[loaded] ")
        before = stateless_ruleset(topo)
        # 3. SIGTERM: the daemon goes, the rules stay.
        rc = gw.stop(signal.SIGTERM)
        check(rc == 0, f"SIGTERM: gateway exits 0 (got {rc})")
        check(stateless_ruleset(topo) == before, "SIGTERM: ruleset left in the kernel unchanged")
        check_scenarios(topo, hosts, None, scen, events=False, label="[after SIGTERM] ")
        # 4. Restart over the rules left behind, then kill -9.
        gw = Gateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start()
        check(gw.events()[-1].get("type") == "policy-loaded", "restart over existing rules: policy-loaded")
        check(stateless_ruleset(topo) == before, "restart with the same policy: same ruleset")
        gw.stop(signal.SIGKILL)
        check(stateless_ruleset(topo) == before, "kill -9: ruleset stays in the kernel")
        check_scenarios(topo, hosts, None, scen, events=False, label="[after kill -9] ")
        nothing_reached_intranet(hosts)
    finally:
        gw.stop()


class Stream:
    def __init__(self, topo, zone, dst, port):
        self.lines = []
        self.times = []  # when each line came, seconds since the stream started
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(["ip", "netns", "exec", topo.ns(zone), PY, "-u", os.path.join(HERE, "stream.py"),
                                      dst, str(port)], stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.times.append(round(time.monotonic() - self.t0, 2))
            self.lines.append(line.strip())

    def oks(self):
        return sum(1 for line in self.lines if line.startswith("ok"))

    def trouble(self):
        """What a failure message needs: the lines that are not echoes, with their times,
        and the last three lines."""
        odd = [(t, x) for t, x in zip(self.times, self.lines) if not x.startswith(("ok ", "connected"))]
        return f"{odd[:6]} last {list(zip(self.times, self.lines))[-3:]}"

    def ended(self):
        return any(line.startswith(("closed", "error")) for line in self.lines)

    def wait_oks(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while self.oks() < n and time.monotonic() < deadline and not self.ended():
            time.sleep(0.05)
        return self.oks() >= n

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def case_reload(topo, hosts, work, gwbin):
    base = load_policy(work)
    gw = Gateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start()
    streams = []
    try:
        s4 = Stream(topo, "extranet", HOSTS["portal"]["v4"], 22)
        s6 = Stream(topo, "extranet", HOSTS["portal"]["v6"], 22)
        streams = [s4, s6]
        for s, fam in ((s4, "v4"), (s6, "v6")):
            check(s.wait_oks(10), f"[{fam}] long-running ssh stream extranet->portal established ({s.trouble()})")
        # A reload that keeps the flow allowed (adds a rule): the same connection keeps going.
        v2 = dict(base)
        v2["rules"] = base["rules"] + [{"name": "extra-portal-web", "from": "internet", "to": "portal",
                                        "services": [{"tcp": [8080]}], "action": "allow"}]
        write_policy(work, v2)
        ev = gw.reload()
        check(ev.get("type") == "policy-loaded", f"reload keeping the flow: policy-loaded ({ev.get('type')})")
        for s, fam in ((s4, "v4"), (s6, "v6")):
            n = s.oks()
            check(s.wait_oks(n + 10) and not s.ended() and not any(x.startswith("timeout") for x in s.lines),
                  f"[{fam}] stream keeps running across a reload that still allows it ({s.trouble()})")
        check_scenarios(topo, hosts, gw, sample(all_scenarios(), ["internet->portal/v4/tcp-443"]), label="[v2] ")
        # A broken policy: rejected with its diagnostics, nothing changes.
        before = stateless_ruleset(topo)
        write_policy(work, open(os.path.join(work, "policy.yaml")).read().replace("zones:", "zones: [", 1))
        ev = gw.reload()
        check(ev.get("type") == "policy-rejected" and "policy.yaml:" in ev.get("diagnostics", ""),
              f"broken reload: policy-rejected with diagnostics ({ev})")
        check(stateless_ruleset(topo) == before, "broken reload: running ruleset identical")
        for s, fam in ((s4, "v4"), (s6, "v6")):
            n = s.oks()
            check(s.wait_oks(n + 10) and not s.ended(), f"[{fam}] stream unaffected by the rejected reload")
        # A reload that revokes the flow (publish-content gone): the same connection stops.
        v3 = dict(base)
        v3["rules"] = [r for r in base["rules"] if r["name"] != "publish-content"]
        write_policy(work, v3)
        ev = gw.reload()
        check(ev.get("type") == "policy-loaded", "reload revoking the flow: policy-loaded")
        for s in streams:
            n = s.oks()
            s.wait_oks(n + 2, timeout=0.3)  # at most an echo already on its way
        counts = [s.oks() for s in streams]
        time.sleep(2.0)
        for s, fam, n in ((s4, "v4", counts[0]), (s6, "v6", counts[1])):
            check(s.oks() == n, f"[{fam}] stream stops across a reload that revokes it ({n} -> {s.oks()} echoes)")
        revoked = [sc for sc in all_scenarios() if sc.name in ("extranet->portal/v4/tcp-22", "extranet->portal/v6/tcp-22")]
        revoked = [Scenario(**{**sc.__dict__, "expect_pass": False, "rule": "", "event_type": "logical-isolation"})
                   for sc in revoked]
        check_scenarios(topo, hosts, gw, revoked, label="[v3] ")
    finally:
        for s in streams:
            s.stop()
        gw.stop()


def case_schedule(topo, hosts, work, gwbin):
    doc = load_policy(work)
    now = time.localtime()
    minute = now.tm_hour * 60 + now.tm_min

    def hhmm(m):
        m %= 1440
        return f"{m // 60:02d}:{m % 60:02d}"
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    other_day = days[(now.tm_wday + 3) % 7]
    # Never within 90 minutes of a window edge, so the test does not depend on when it runs.
    doc["rules"] += [
        {"name": "sched-now", "from": "extranet", "to": "portal", "services": [{"tcp": [8080]}], "action": "allow",
         "schedule": {"days": list(days), "hours": f"{hhmm(minute - 90)}-{hhmm(minute + 90)}"}},
        {"name": "sched-later", "from": "extranet", "to": "portal", "services": [{"tcp": [8081]}], "action": "allow",
         "schedule": {"days": list(days), "hours": f"{hhmm(minute + 180)}-{hhmm(minute + 300)}"}},
        {"name": "sched-other-day", "from": "extranet", "to": "portal", "services": [{"tcp": [8082]}],
         "action": "allow", "schedule": {"days": [other_day], "hours": "00:00-24:00"}},
    ]
    write_policy(work, doc)
    gw = Gateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start()
    try:
        check(gw.events()[-1].get("type") == "policy-loaded", "scheduled policy loads")
        scen = []
        for fam in ("v4", "v6"):
            for port, ok, rule in ((8080, True, "sched-now"), (8081, False, ""), (8082, False, "")):
                scen.append(Scenario("extranet", "portal", fam, f"tcp-{port}", "tcp", port, HOSTS["extranet"][fam],
                                     HOSTS["portal"][fam], ok, rule if ok else "", None if ok else "logical-isolation"))
        check_scenarios(topo, hosts, gw, scen, label="[schedule] ")
    finally:
        gw.stop()


CASES = {"matrix": case_matrix, "lifecycle": case_lifecycle, "reload": case_reload, "schedule": case_schedule}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gw", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    work = setup_workdir()
    run_with_hosts(Topology(args.case[:5]), work,
                   lambda topo, hosts: CASES[args.case](topo, hosts, work, os.path.abspath(args.gw)))
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
