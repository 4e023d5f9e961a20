#!/usr/bin/python3
"""Fault test of isogate-gw with the DPDK backend (issue 6): kill -9 under traffic.

Topology and gateway config of test_dpdk_backend.py (net_af_packet ports on the gateway
namespace's veths; the namespace's kernel neither forwards nor answers). While the
extranet host sends allowed DNS datagrams (extranet -> internet udp/53, IPv4 and IPv6) every
50 ms, each numbered by its source port, and the denied sender of test_faults.py runs
(extranet -> internet udp/9, extranet -> portal tcp/443), the test:

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

Outcomes are read on the hosts' wires (harness.Hosts), never inferred from timing: the
test only waits to let traffic happen, and then checks which numbered datagrams arrived.

Usage: test_faults_dpdk.py --gw PATH [--break-denied]
  --break-denied adds an allow rule for the denied udp/9 class: the test must then fail.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from harness import PY, Hosts  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from test_faults import DeniedSender, StormGateway, denied_arrivals  # noqa: E402

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gw", required=True)
    ap.add_argument("--break-denied", action="store_true")
    args = ap.parse_args()
    work = kb.setup_workdir()
    if args.break_denied:  # the self-test: let the sender's udp/9 class through
        doc = kb.load_policy(work)
        doc["rules"].insert(0, {"name": "broken-on-purpose", "from": "extranet", "to": "internet",
                                "services": [{"udp": [9]}], "action": "allow"})
        kb.write_policy(work, doc)
    with DpdkTopology("fdk9") as topo:
        with open(os.path.join(work, "gateway.yaml"), "w") as f:
            f.write(topo.gateway_config())
        hosts = Hosts(topo, work).start()
        try:
            case_kill9(topo, hosts, work, os.path.abspath(args.gw))
        except AssertionError as e:
            check(False, f"aborted: {e}")
        finally:
            hosts.stop()
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
