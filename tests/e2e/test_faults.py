#!/usr/bin/python3
"""Fault tests of isogate-gw with the nftables backend (issue 6), with real traffic.

Same topology and helpers as test_kernel_backend.py. While denied traffic is sent without
pause and two allowed long-running TCP flows echo (IPv4, IPv6):

  reload_loop  hundreds of SIGHUP reloads alternating two good policies and a broken one:
               every good one is loaded, every broken one rejected; no denied packet ever
               reaches a host; the established flows never stall nor break; the gateway's
               resident memory does not grow with the number of reloads.
  kill9        kill -9 of the gateway: the rules stay in the kernel and keep enforcing (denied
               traffic still blocked, the flows keep echoing); a restart loads the same ruleset.

Usage: test_faults.py --gw PATH CASE [--reloads N]
"""

import argparse
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import PY, Gateway, arrived, parse_event, run_with_hosts  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from test_kernel_backend import Stream, check, finish, load_policy, setup_workdir, stateless_ruleset, write_policy  # noqa: E402
from topology import Topology  # noqa: E402

# Denied classes: extranet -> internet UDP 9 (only DNS is allowed there) and extranet ->
# portal TCP 443 (only ssh and ping are), both families. Sent from the extranet host.
DENIED = [("internet", "udp", 9), ("portal", "tcp", 443)]

SENDER = r"""
import socket, sys, time
targets = [(a, p, k) for a, p, k in (t.split(",") for t in sys.argv[1:])]
socks = []
for addr, port, kind in targets:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    socks.append((addr, int(port), kind, fam))
sent = 0
print("sending", flush=True)
while True:
    for addr, port, kind, fam in socks:
        if kind == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.sendto(b"denied", (addr, port))
        else:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((addr, port))
            except BlockingIOError:
                pass
        s.close()
        sent += 1
    if sent % 200 == 0:
        print(f"sent {sent}", flush=True)
    time.sleep(0.05)
"""


class DeniedSender:
    """Sends the DENIED classes from the extranet host (v4 and v6) until stopped."""

    def __init__(self, topo):
        targets = [f"{HOSTS[z][fam]},{port},{proto}" for z, proto, port in DENIED for fam in ("v4", "v6")]
        self.proc = subprocess.Popen(["ip", "netns", "exec", topo.ns("extranet"), PY, "-u", "-c", SENDER] + targets,
                                     stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "sending":
            raise RuntimeError("denied-traffic sender did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def allow_denied_on_purpose(work):
    """The --break-denied self-test: a first rule lets the denied sender's udp/9 class through,
    so a driver whose checks work must fail."""
    doc = load_policy(work)
    doc["rules"].insert(0, {"name": "broken-on-purpose", "from": "extranet", "to": "internet",
                            "services": [{"udp": [9]}], "action": "allow"})
    write_policy(work, doc)


def denied_arrivals(hosts, mark):
    """Denied packets seen on any host's wire since `mark`: the list of their classes."""
    seen = []
    for zone, proto, port in DENIED:
        for fam in ("v4", "v6"):
            if arrived(hosts, mark, HOSTS["extranet"][fam], HOSTS[zone][fam], proto, port):
                seen.append(f"extranet->{zone}/{fam}/{proto}-{port}")
    return seen


class StormGateway(Gateway):
    """Gateway whose events are read incrementally: the denied traffic makes the events file
    long, and the reload loop polls it hundreds of times."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parsed, self._offset = [], 0

    def events(self):
        if not os.path.exists(self.events_path):
            return []
        with open(self.events_path, "rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # whole lines only; the rest is read next time
        self._offset += end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            e = parse_event(line)
            if e:
                self._parsed.append(e)
        return list(self._parsed)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_streams(topo):
    s4 = Stream(topo, "extranet", HOSTS["portal"]["v4"], 22)
    s6 = Stream(topo, "extranet", HOSTS["portal"]["v6"], 22)
    for s, fam in ((s4, "v4"), (s6, "v6")):
        check(s.wait_oks(10), f"[{fam}] long-running ssh stream extranet->portal established ({s.trouble()})")
    return [(s4, "v4"), (s6, "v6")]


def streams_intact(streams, label):
    for s, fam in streams:
        n = s.oks()
        ok = s.wait_oks(n + 10) and not s.ended() and not any(x.startswith("timeout") for x in s.lines)
        check(ok, f"[{fam}] {label}: the established flow kept echoing, no stall, no reset ({s.oks()} echoes,"
                  f" {s.trouble()})")


class Traffic:
    """The allowed streams and the denied sender of a case, stopped on every exit path."""

    def __init__(self, topo, hosts):
        self.hosts = hosts
        self.streams = start_streams(topo)
        self.mark = hosts.mark()
        self.sender = DeniedSender(topo)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stop_sender()
        for s, _ in self.streams:
            s.stop()
        return False

    def _stop_sender(self):
        if self.sender:
            self.sender.stop()
            self.sender = None

    def check_no_denied_arrived(self, label):
        """Stops the sender, then: not one denied packet on any host's wire since the start."""
        self._stop_sender()
        seen = denied_arrivals(self.hosts, self.mark)
        check(not seen, f"no denied packet reached any host {label} (seen: {seen})")


def reload_loop(gw, work, reloads, cycle, at=(), on_reload=None):
    """`reloads` SIGHUP reloads of `gw`: reload i writes the policy of cycle[i % len(cycle)],
    a (kind, policy document or text, expected event type) triple, and waits for the event it
    produced. After reload n (1-based) in `at`, calls on_reload(n). Returns (loaded, rejected,
    wrong, events): reloads that got the expected policy-loaded / policy-rejected, the others
    as text, and every reload's event as (n, kind, event)."""
    loaded = rejected = 0
    wrong, events = [], []
    for i in range(reloads):
        kind, doc, want = cycle[i % len(cycle)]
        write_policy(work, doc)
        ev = gw.reload()
        events.append((i + 1, kind, ev))
        if ev.get("type") == want:
            loaded += want == "policy-loaded"
            rejected += want == "policy-rejected"
        else:
            wrong.append(f"reload {i} ({kind}): {ev.get('type')}")
        if on_reload and i + 1 in at:
            on_reload(i + 1)
    return loaded, rejected, wrong, events


def case_reload_loop(topo, hosts, work, gwbin, reloads):
    base = load_policy(work)
    good = [base, dict(base, rules=base["rules"] + [{"name": "extra-portal-web", "from": "internet", "to": "portal",
                                                     "services": [{"tcp": [8080]}], "action": "allow"}])]
    broken_text = open(os.path.join(work, "policy.yaml")).read().replace("action: allow", "action: alow", 1)
    cycle = [("good0", good[0], "policy-loaded"), ("broken", broken_text, "policy-rejected"),
             ("good1", good[1], "policy-loaded")]
    gw = StormGateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start()
    try:
        with Traffic(topo, hosts) as traffic:
            rss = {}
            loaded, rejected, wrong, _ = reload_loop(gw, work, reloads, cycle, at=(reloads // 4, reloads),
                                                     on_reload=lambda n: rss.__setitem__(n, rss_kib(gw.proc.pid)))
            check(not wrong, f"{reloads} reloads: {loaded} good ones loaded, {rejected} broken ones rejected"
                             f" (unexpected: {wrong[:3]})")
            streams_intact(traffic.streams, f"across {reloads} reloads")
            traffic.check_no_denied_arrived("during the reloads")
            first, last = rss[reloads // 4], rss[reloads]
            # A policy kept per reload would grow by tens of KiB each time; allocator noise does not.
            check(last - first <= 1024, f"gateway RSS flat across reloads: {first} KiB after {reloads // 4},"
                                        f" {last} KiB after {reloads}")
    finally:
        gw.stop()


def case_kill9(topo, hosts, work, gwbin, _reloads):
    gw = StormGateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start()
    try:
        with Traffic(topo, hosts) as traffic:
            before = stateless_ruleset(topo)
            gw.stop(signal.SIGKILL)
            check(stateless_ruleset(topo) == before, "kill -9 under traffic: the ruleset stays in the kernel unchanged")
            streams_intact(traffic.streams, "after kill -9 of the gateway")
            gw = StormGateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work)
            since = len(gw.events())
            gw.start()
            outcome = [e.get("type") for e in gw.events()[since:]
                       if e.get("type", "").startswith(("policy-", "fault"))]
            check(outcome[:1] == ["policy-loaded"], f"restart under traffic: policy-loaded ({outcome})")
            check(stateless_ruleset(topo) == before, "restart under traffic: the same ruleset")
            streams_intact(traffic.streams, "across the restart")
            traffic.check_no_denied_arrived("while the gateway was dead or restarting")
    finally:
        gw.stop()


CASES = {"reload_loop": case_reload_loop, "kill9": case_kill9}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gw", required=True)
    ap.add_argument("--reloads", type=int, default=200)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    work = setup_workdir()
    run_with_hosts(Topology("flt" + args.case[:2]), work,
                   lambda topo, hosts: CASES[args.case](topo, hosts, work, os.path.abspath(args.gw), args.reloads))
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
