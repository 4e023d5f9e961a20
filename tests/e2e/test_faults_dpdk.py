#!/usr/bin/python3
"""Fault tests of isogate-gw with the DPDK backend (issue 6), with real traffic.

Topology and gateway config of test_dpdk_backend.py (net_af_packet ports on the gateway
namespace's veths; the namespace's kernel neither forwards nor answers). Two cases:

kill9 (ctest e2e_faults_dpdk_kill9): while the extranet host sends allowed DNS datagrams
(extranet -> internet udp/53, IPv4 and IPv6) every 50 ms, each numbered by its source port,
and the denied sender of test_faults.py runs (extranet -> internet udp/9, extranet -> portal
tcp/443), the test:

  1. kills the gateway with SIGKILL: no datagram sent while it is dead reaches any host
     (the ports die with the process; the DPDK path fails closed);
  2. restarts it: it reports `policy-loaded` (the policy is installed before its workers
     poll), and the allowed datagrams flow again, with their replies;
  3. kills it again and restarts it while the policy file on disk is broken (an operator's
     edit half done at the crash): `policy-rejected`, and nothing at all is forwarded, not
     even the allowed class, from the kill until a SIGHUP brings the fixed policy, after
     which the allowed datagrams flow again;
  4. not one denied packet reached a host at any time; nothing was ever sent to the
     intranet host.

reload_loop (ctest e2e_faults_dpdk_reload_loop): the reload loop of test_faults.py against
the DPDK gateway. Two long-lived ssh-port TCP streams (IPv4, IPv6, tests/e2e/stream.py)
echo and the denied sender runs all along, while hundreds of SIGHUP reloads alternate two
good policies (every one builds new tables and rte_acl contexts) with three kinds of broken
one: bad YAML, a checker error, and a valid policy that does not fit the gateway config.
Both kinds that parse also carry a rule allowing the denied udp/9 class, so a broken policy
taking effect even in part would let the sender through. It asserts: every good policy is
loaded and every broken one rejected (with diagnostics, naming the running policy that
stays), as many policy events as reloads; the streams keep echoing between every two samples
and never stall, close or reset; not one denied packet on any host's wire while the gateway
kept judging them (violation events); the gateway's VmRSS after the loop is within a bound of
its value after the warm-up (the first 3/10 of the reloads; see RSS_GROWTH_BOUND_KIB).

Outcomes are read on the hosts' wires (harness.Hosts), never inferred from timing: the
test only waits to let traffic happen, and then checks which packets arrived.

Usage: test_faults_dpdk.py --gw PATH [kill9 | reload_loop] [--reloads N] [--workers N]
                           [--break-denied]
  --break-denied is the self-test: kill9 starts with an allow rule for the denied udp/9
  class, reload_loop puts one in its second good policy; the test must then fail.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from harness import PY, run_with_hosts, write_gateway_config  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from test_faults import (DeniedSender, StormGateway, Traffic, allow_denied_on_purpose, denied_arrivals,  # noqa: E402
                         reload_loop, rss_kib, streams_intact)

check = kb.check
SPORT_BASE = 20000  # allowed datagram n leaves from source port SPORT_BASE + n

# Sends one DNS-port datagram per family every 50 ms from source port SPORT_BASE + n and
# prints "sent n" after both went out and "reply FAM n" for every echo (hostagent's UDP echo).
PROBER = r"""
import select, socket, sys, time
base, dsts = int(sys.argv[1]), sys.argv[2:]
socks = []
print("ready", flush=True)
n = 0
while base + n < 65000:
    n += 1
    for dst in dsts:
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", base + n))
            s.sendto(b"%d" % n, (dst, 53))
            socks.append((s, "v6" if fam == socket.AF_INET6 else "v4", n))
        except OSError:  # the neighbour may be unresolved while the gateway is gone
            s.close()
    print(f"sent {n}", flush=True)
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        r, _, _ = select.select([s for s, _, _ in socks], [], [], max(0, deadline - time.monotonic()))
        for s in r:
            for entry in socks:
                if entry[0] is s:
                    try:
                        s.recv(100)
                        print(f"reply {entry[1]} {entry[2]}", flush=True)
                    except OSError:
                        pass
                    s.close()
                    socks.remove(entry)
                    break
    while len(socks) > 200:  # an unanswered datagram's socket is not kept forever
        socks.pop(0)[0].close()
"""


class AllowedProber:
    def __init__(self, topo):
        dsts = [HOSTS["internet"]["v4"], HOSTS["internet"]["v6"]]
        self.proc = subprocess.Popen(["ip", "netns", "exec", topo.ns("extranet"), PY, "-u", "-c", PROBER,
                                      str(SPORT_BASE)] + dsts, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("allowed prober did not start")
        self.sent, self.replies = 0, {"v4": set(), "v6": set()}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            w = line.split()
            if w[:1] == ["sent"]:
                self.sent = int(w[1])
            elif w[:1] == ["reply"]:
                self.replies[w[1]].add(int(w[2]))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def forwarded(hosts):
    """Numbers of the allowed datagrams that reached the internet host, per family."""
    out = {"v4": set(), "v6": set()}
    for rec in hosts.wire("internet"):
        if rec.get("proto") != "udp" or rec.get("dport") != 53:
            continue
        for fam in ("v4", "v6"):
            if rec.get("src") == HOSTS["extranet"][fam] and rec.get("dst") == HOSTS["internet"][fam]:
                out[fam].add(rec["sport"] - SPORT_BASE)
    return out


def any_forwarded_between(hosts, lo, hi):
    """Allowed datagrams numbered lo..hi (inclusive) that reached the internet host."""
    got = forwarded(hosts)
    return {fam: sorted(n for n in got[fam] if lo <= n <= hi) for fam in got}


def wait_resumed(hosts, prober, after, label, timeout=20.0):
    """Waits for datagrams numbered above `after` to be forwarded and answered in both families."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = forwarded(hosts)
        if all(any(n > after for n in got[f]) and any(n > after for n in prober.replies[f]) for f in got):
            break
        time.sleep(0.1)
    got = forwarded(hosts)
    for fam in ("v4", "v6"):
        fw = sorted(n for n in got[fam] if n > after)
        rp = sorted(n for n in prober.replies[fam] if n > after)
        check(fw and rp, f"[{fam}] {label}: allowed datagrams sent after #{after} are forwarded and answered"
                         f" (forwarded {len(fw)}, first {fw[:1]}; replies {len(rp)})")


def sent_after(prober, n, timeout=10.0):
    """Waits until the prober has sent datagram n; returns the number sent by then."""
    deadline = time.monotonic() + timeout
    while prober.sent < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return prober.sent


def kill9(gw, prober, label):
    """SIGKILL, reaped; returns the first datagram number certainly sent after the process died."""
    gw.stop(signal.SIGKILL)
    check(gw.proc.returncode == -signal.SIGKILL, f"{label}: gateway killed with SIGKILL")
    # The prober prints a number after sending it; the number after the next one printed was
    # sent after the kill returned.
    return sent_after(prober, prober.sent + 1) + 1


def case_kill9(topo, hosts, work, gwbin):
    config = os.path.join(work, "gateway.yaml")
    good = open(os.path.join(work, "policy.yaml")).read()
    gw = StormGateway(topo, gwbin, config, work).start()
    prober = sender = None
    try:
        check(gw.events()[-1].get("type") == "policy-loaded", "gateway up: policy-loaded")
        mark = hosts.mark()
        prober = AllowedProber(topo)
        sender = DeniedSender(topo)
        wait_resumed(hosts, prober, 0, "before the fault")

        # 1. kill -9: nothing forwarded while the process is gone.
        first_dead = kill9(gw, prober, "[kill 1]")
        last_dead = sent_after(prober, first_dead + 30)  # 1.5 s of traffic to a dead gateway
        leak = any_forwarded_between(hosts, first_dead, last_dead)
        check(not leak["v4"] and not leak["v6"],
              f"[kill 1] gateway dead: none of datagrams #{first_dead}..#{last_dead} forwarded ({leak})")

        # 2. Restart: the policy goes in before the workers poll; traffic resumes.
        gw = StormGateway(topo, gwbin, config, work)
        since = len(gw.events())
        gw.start()
        outcome = [e.get("type") for e in gw.events()[since:] if e.get("type", "").startswith(("policy-", "fault"))]
        check(outcome[:1] == ["policy-loaded"], f"[restart 1] policy-loaded ({outcome})")
        leak = any_forwarded_between(hosts, first_dead, last_dead)
        check(not leak["v4"] and not leak["v6"],
              f"[restart 1] the datagrams sent while it was dead were not forwarded later either ({leak})")
        wait_resumed(hosts, prober, last_dead, "[restart 1]")

        # 3. kill -9 again; restart over a broken policy file: fails closed until SIGHUP.
        first_dead = kill9(gw, prober, "[kill 2]")
        kb.write_policy(work, good.replace("action: allow", "action: alow", 1))
        gw = StormGateway(topo, gwbin, config, work)
        since = len(gw.events())
        gw.start(wait_event="policy-rejected")
        ev = [e for e in gw.events()[since:] if e.get("type", "").startswith(("policy-", "fault"))]
        check(ev[:1] and ev[0].get("type") == "policy-rejected" and "policy.yaml:" in ev[0].get("diagnostics", ""),
              f"[restart 2] broken policy on disk: policy-rejected with diagnostics ({ev[:1]})")
        rejected_at = prober.sent
        last_closed = sent_after(prober, rejected_at + 30)  # 1.5 s of traffic with no policy
        leak = any_forwarded_between(hosts, first_dead, last_closed)
        check(not leak["v4"] and not leak["v6"],
              f"[restart 2] dead, then running with no verified policy: none of datagrams #{first_dead}.."
              f"#{last_closed} forwarded ({leak})")
        check(gw.proc.poll() is None, "[restart 2] the gateway keeps running without a policy")
        kb.write_policy(work, good)
        ev = gw.reload()
        check(ev.get("type") == "policy-loaded", f"[restart 2] fixed policy on SIGHUP: policy-loaded ({ev.get('type')})")
        wait_resumed(hosts, prober, prober.sent, "[restart 2, policy loaded]")

        sender.stop()
        sender = None
        seen = denied_arrivals(hosts, mark)
        check(not seen, f"no denied packet reached any host, before, during or after the kills ({seen})")
        kb.nothing_reached_intranet(hosts)
        check(kb.stateless_ruleset(topo).strip() == "", "the DPDK backend left the kernel ruleset empty")
    finally:
        for p in (sender, prober):
            if p:
                p.stop()
        gw.stop()


# --- reload_loop -------------------------------------------------------------------------

# Bound on the growth of isogate-gw's VmRSS from the end of the warm-up (3/10 of the reloads) to
# the end of the loop. Every good reload builds a new PolicyTables (zone table, counters, about
# ten rte_acl contexts from DPDK's heap) and frees the previous one once the workers passed a
# quiescent state. Measured on a correct gateway (300 reloads, one worker): +80..+108 KiB over
# that window, all of it the first touch of the workers' violation-record rings (8192 slots of
# 64 bytes each, 512 KiB per worker, filled by the denied sender at ~75 records/s: the same
# growth without any reload, none without the denied traffic, flat once the ring wrapped after
# ~110 s). A build that leaked the old PolicyTables (Dataplane::publish releasing instead of
# freeing it) grew by ~109 KiB per good reload: +11 400 KiB over the window. 2 MiB holds the
# ring's whole 512 KiB (two workers: 1 MiB) with room, and fails a leak of more than ~15 KiB
# per good reload (105 of them in the window).
RSS_GROWTH_BOUND_KIB = 2048
OPEN_RULE = {"name": "would-open-udp9", "from": "extranet", "to": "internet", "services": [{"udp": [9]}],
             "action": "allow"}


class TimedGateway(StormGateway):
    """Keeps how long each reload took, from SIGHUP to its event (for the report)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reload_seconds = []

    def reload(self):
        t = time.monotonic()
        ev = super().reload()
        self.reload_seconds.append(time.monotonic() - t)
        return ev


def reload_cycle(work, break_denied):
    """The policies the loop alternates: (kind, document or text, expected event type)."""
    text = open(os.path.join(work, "policy.yaml")).read()
    base = kb.load_policy(work)
    good1 = dict(base, rules=base["rules"] + [{"name": "extra-portal-web", "from": "internet", "to": "portal",
                                               "services": [{"tcp": [8080]}], "action": "allow"}])
    if break_denied:  # the self-test: the second good policy lets the denied udp/9 class through
        good1["rules"] = [OPEN_RULE] + good1["rules"]
    # A checker error (an unknown action) in one rule, and a rule that would open udp/9.
    checker = dict(base, rules=[OPEN_RULE] + [dict(r, action="alow") if r["name"] == "citizens-browse-portal" else r
                                              for r in base["rules"]])
    # A valid policy whose zones do not fit the gateway config (no zone `internet` for inet0),
    # also with the open rule: compiles, and is rejected by the gateway's config check.
    misfit = yaml.safe_load(yaml.safe_dump(dict(base, rules=[OPEN_RULE] + base["rules"]), sort_keys=False)
                            .replace("internet", "outside"))
    return [("good0", base, "policy-loaded"), ("broken-yaml", text.replace("zones:", "zones: [", 1), "policy-rejected"),
            ("good1", good1, "policy-loaded"), ("broken-checker", checker, "policy-rejected"),
            ("good0", base, "policy-loaded"), ("broken-misfit", misfit, "policy-rejected")]


def case_reload_loop(topo, hosts, work, gwbin, reloads, break_denied):
    cycle = reload_cycle(work, break_denied)
    gw = TimedGateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start()
    try:
        first = gw.events()[-1]
        check(first.get("type") == "policy-loaded" and first.get("backend") == "dpdk",
              f"gateway up on the DPDK backend: policy-loaded ({first.get('type')}, {first.get('backend')})")
        since = len(gw.events())
        with Traffic(topo, hosts) as traffic:
            # Samples every tenth of the loop; the third one ends the warm-up (the policy
            # history of 16 generations, the aggregator's keys and the allocators settle).
            step = max(1, reloads // 10)
            grid = list(range(step, reloads + 1, step))
            warm_at = grid[min(2, len(grid) - 1)]
            at = sorted(set(grid) | {reloads})
            rss, echoes = {}, {}

            started = time.monotonic()
            when = {}

            def sample(n):
                rss[n] = rss_kib(gw.proc.pid)
                echoes[n] = [s.oks() for s, _ in traffic.streams]
                when[n] = time.monotonic() - started

            sample(0)
            loaded, rejected, wrong, results = reload_loop(gw, work, reloads, cycle, at=at, on_reload=sample)
            goods = sum(1 for i in range(reloads) if cycle[i % len(cycle)][2] == "policy-loaded")
            check(not wrong and loaded == goods and rejected == reloads - goods,
                  f"{reloads} reloads: {loaded} of {goods} good ones loaded, {rejected} of {reloads - goods}"
                  f" broken ones rejected (unexpected: {wrong[:3]})")
            evs = gw.events()[since:]
            n_loaded = sum(1 for e in evs if e.get("type") == "policy-loaded")
            n_rejected = sum(1 for e in evs if e.get("type") == "policy-rejected")
            faults = [e.get("msg") for e in evs if e.get("type") == "fault"]
            check(n_loaded == loaded and n_rejected == rejected and not faults,
                  f"one policy event per reload: {n_loaded} policy-loaded, {n_rejected} policy-rejected, no fault"
                  f" ({faults[:3]})")
            # Every rejection names what is wrong and says the running (last loaded) policy stays.
            bad_rejections, running = [], None
            for n, kind, ev in results:
                if ev.get("type") == "policy-loaded":
                    running = ev.get("policy")
                elif ev.get("type") == "policy-rejected":
                    diag = ev.get("diagnostics", "")
                    where = "policy.yaml:" in diag if kind != "broken-misfit" else "internet" in diag
                    if not where or not running or f"running policy {running} stays" not in ev.get("msg", ""):
                        bad_rejections.append(f"#{n} {kind}: {ev.get('msg')} / {diag[:200]}")
            check(not bad_rejections, f"every rejection has its diagnostics and keeps the running policy"
                                      f" ({len(bad_rejections)} not: {bad_rejections[:2]})")
            check(gw.proc.poll() is None, "the gateway is still running after the loop")

            # The streams: echoing all along (more echoes at every sample), never stalled or broken.
            for k, (s, fam) in enumerate(traffic.streams):
                series = [echoes[n][k] for n in [0] + grid]  # samples `step` reloads apart
                check(all(b > a for a, b in zip(series, series[1:])),
                      f"[{fam}] the stream's echoes grew every {step} reloads ({series})")
            streams_intact(traffic.streams, f"across {reloads} reloads")
            for s, fam in traffic.streams:
                late = [(k, line) for k, line in enumerate(s.lines) if not line.startswith(("ok ", "connected"))]
                if late:
                    print(f"[{fam}] stream lines other than echoes (line index, text): {late[:10]}", flush=True)
            print("samples (reloads done: seconds, echoes v4/v6): " +
                  ", ".join(f"{n}: {when[n]:.1f} s {echoes[n]}" for n in sorted(when)), flush=True)
            secs = sorted(gw.reload_seconds)
            print(f"reload SIGHUP -> event: median {secs[len(secs) // 2] * 1000:.0f} ms, max {secs[-1] * 1000:.0f} ms",
                  flush=True)
            for s, fam in traffic.streams:
                got = sum(len(line) - 2 for line in s.lines if line.startswith("ok "))  # "ok N" echoed "N\n"
                print(f"[{fam}] stream: {s.oks()} echoes, {got} bytes received back", flush=True)

            # Denied: not one on any wire, while the gateway did judge them (violation events).
            judged = [e for e in gw.events()[since:] if e.get("type") == "logical-isolation"
                      and e.get("from_zone") == "extranet" and e.get("dport") in ("9", "443")]
            traffic.check_no_denied_arrived(f"during {reloads} reloads")
            check(judged, f"the denied packets reached the gateway and were judged ({len(judged)} violation events)")
            kb.nothing_reached_intranet(hosts)

            warm, last = rss[warm_at], rss[reloads]
            print("RSS KiB by reloads done: " + ", ".join(f"{n}: {rss[n]}" for n in sorted(rss)), flush=True)
            check(last - warm <= RSS_GROWTH_BOUND_KIB,
                  f"gateway RSS flat across reloads: {warm} KiB after {warm_at} (warm-up), {last} KiB after"
                  f" {reloads} ({last - warm:+d} KiB, bound {RSS_GROWTH_BOUND_KIB})")
        rc = gw.stop()
        check(rc == 0, f"SIGTERM after the loop: exit 0 (got {rc})")
        summary = [line for line in gw.stderr().splitlines() if "stopping on signal" in line]
        print(summary[-1] if summary else "no summary line", flush=True)
    finally:
        gw.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gw", required=True)
    ap.add_argument("--break-denied", action="store_true")
    ap.add_argument("--reloads", type=int, default=300)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("case", nargs="?", default="kill9", choices=["kill9", "reload_loop"])
    args = ap.parse_args()
    work = kb.setup_workdir()
    if args.break_denied and args.case == "kill9":
        allow_denied_on_purpose(work)

    def case(topo, hosts):
        if args.case == "kill9":
            case_kill9(topo, hosts, work, os.path.abspath(args.gw))
        else:
            case_reload_loop(topo, hosts, work, os.path.abspath(args.gw), args.reloads, args.break_denied)
    run_with_hosts(DpdkTopology("fdk9" if args.case == "kill9" else "fdrl"), work, case,
                   prepare=lambda topo: write_gateway_config(topo, work, args.workers))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
