#!/usr/bin/python3
"""Connection table exhaustion (issue 6) with real traffic, on either backend: the gateway
config's `flows: {max: N}` caps the flows the policy admits.

With max = 8 and isogate-mgmtd fed by the gateway, from the internet host to the portal host
(TCP 443, allowed by `citizens-browse-portal`):

  1. 7 long-lived connections are opened and echo; then 5 denied-class SYNs (internet ->
     portal TCP 22, the pair's default deny) are each reported as `logical-isolation` and
     never arrive: they do not use the budget, so the 8th allowed connection still opens.
  2. The 9th allowed connection is refused: connect fails and the portal host never sees a
     packet from its source port; the 8 keep echoing afterwards.
  3. The refusal is reported: a `fault` event (component="flow-table", reason
     "flow-table-full") in the gateway's event output, and `isogatectl stats` shows
     drops["flow-table-full"] >= 1 (the gateway's counter report through isogate-mgmtd).
  4. Two connections are closed in order (FIN both ways); new connections are admitted
     again (kernel: conntrack's count drops flows in TIME_WAIT/CLOSE at its next clean-up;
     dpdk: a closed flow leaves the table when its 10 s closed timeout expires), two of them,
     and the next one is refused again; the 6 old and 2 new ones echo.

--no-limit is the self-test: the same run without `flows` in the config must fail (the 9th
connection opens).

Usage: test_flowlimit.py --gw GW --mgmtd MGMTD --ctl CTL --backend kernel|dpdk [--no-limit]
"""

import os
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
import test_mgmt_acceptance as ma  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from harness import PY, Hosts, binaries_parser, parse_binaries, run_in_topology  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from topology import Topology  # noqa: E402

check = kb.check
MAX = 8
ALLOWED_PORT = 443  # internet -> portal: citizens-browse-portal
DENIED_PORT = 22  # internet -> portal: the pair's default deny
GW_START_TIMEOUT = 60.0  # EAL init on a loaded machine; only ends a broken run
# Bounds that only end a broken run: how long closed flows may take to leave the table
# (dpdk: 10 s closed timeout plus the sweep), how long the counter report may take.
READMIT_TIMEOUT = 60.0


def write_config(topo, work, backend, limit):
    if backend == "dpdk":
        doc = yaml.safe_load(topo.gateway_config(policy=os.path.join(work, "policy.yaml")))
    else:
        with open(os.path.join(HERE, "fixtures", "gateway.yaml")) as f:
            doc = yaml.safe_load(f)
        doc["policy"] = os.path.join(work, "policy.yaml")
    doc["events"] = {"aggregate_interval": 1}
    doc["control"] = {"socket": os.path.join(work, "control.sock")}
    if limit:
        doc["flows"] = {"max": MAX}
    path = os.path.join(work, "gateway.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path


class Client:
    """flowlimit_client.py in the internet host's namespace, one command at a time."""

    def __init__(self, topo):
        self.proc = subprocess.Popen(["ip", "netns", "exec", topo.ns("internet"), PY, "-u",
                                      os.path.join(HERE, "flowlimit_client.py"), HOSTS["portal"]["v4"],
                                      str(ALLOWED_PORT)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise AssertionError("flow-limit client did not start")

    def __call__(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if not reply:
            raise AssertionError(f"flow-limit client ended on '{line}'")
        return reply

    def open(self, sport):
        return self(f"open {sport}").startswith("ok ")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def arrived_from(hosts, mark, sport):
    """Packets from the internet host's source port `sport` that reached the portal host."""
    return [r for r in hosts.wire_since("portal", mark)
            if r.get("src") == HOSTS["internet"]["v4"] and r.get("sport") == sport]


def denied_probe(topo, sport):
    """One SYN internet -> portal TCP 22 from `sport` (the connect must fail)."""
    code = ("import socket\n"
            "s = socket.socket()\n"
            f"s.bind(('0.0.0.0', {sport}))\n"
            "s.settimeout(1.5)\n"
            "try:\n"
            f"    s.connect(('{HOSTS['portal']['v4']}', {DENIED_PORT}))\n"
            "    print('connected')\n"
            "except OSError as e:\n"
            "    print('failed', e)\n")
    return topo.sh("internet", PY, "-c", code, capture=True).strip()


def run(topo, work, bins, backend, limit):
    topo.sh("gw", "sysctl", "-qw", "net.unix.max_dgram_qlen=512")
    config = write_config(topo, work, backend, limit)
    hosts = Hosts(topo, work).start()
    mgmtd = gw = client = None
    try:
        mgmtd = ma.Mgmtd(bins.mgmtd, topo.gw, config, work, ["--no-sensors"]).start()
        gw = ma.PidGateway(topo, bins.gw, config, work, os.path.join(work, "gw.pid"), mgmt_socket=mgmtd.events)
        gw.start(timeout=GW_START_TIMEOUT)
        loaded = [e for e in gw.events() if e.get("type") in ("policy-loaded", "policy-rejected", "fault")]
        if not check(loaded[:1] and loaded[0].get("type") == "policy-loaded", f"gateway up: policy-loaded ({loaded[:1]})"):
            return
        ctl = ma.Ctl(bins.ctl, mgmtd.control)
        client = Client(topo)

        # 1. Seven allowed connections, then denied probes: reported, never arriving, no budget.
        opened = [s for s in range(41001, 41008) if client.open(s)]
        check(len(opened) == 7, f"7 allowed connections open ({opened})")
        check(client("ping") == "ping 7 ok", "the 7 echo")
        mark = hosts.mark()
        since = len(gw.events())
        denied_sports = list(range(42001, 42006))
        results = [denied_probe(topo, s) for s in denied_sports]
        check(all(r.startswith("failed") for r in results), f"5 denied-class connects fail ({results})")
        leaked = [r for r in hosts.wire_since("portal", mark) if r.get("dport") == DENIED_PORT]
        check(not leaked, f"no denied-class packet reached the portal host ({leaked[:3]})")
        try:
            for s in denied_sports:
                gw.wait_event(lambda e, s=s: e.get("type") == "logical-isolation" and e.get("sport") == str(s)
                              and e.get("dport") == str(DENIED_PORT), since=since)
            check(True, "every denied-class probe reported as logical-isolation")
        except AssertionError as e:
            check(False, f"denied-class probes reported as logical-isolation: {e}")
        check(client.open(41008), "the 8th allowed connection opens: denied packets used no budget")
        check(client("ping") == "ping 8 ok", "the 8 echo")

        # 2. The 9th is refused, and never reaches the server.
        mark = hosts.mark()
        since = len(gw.events())
        ninth = 41009
        reply = client(f"open {ninth}")
        check(reply.startswith("fail "), f"the 9th allowed connection is refused ({reply})")
        seen = arrived_from(hosts, mark, ninth)
        check(not seen, f"the portal host never saw a packet of the 9th connection ({seen[:3]})")
        check(client("ping") == "ping 8 ok", "after the refusal the 8 still echo")

        # 3. Reported: a fault event, and the drop reason in isogatectl stats.
        try:
            ev = gw.wait_event(lambda e: e.get("type") == "fault" and e.get("component") == "flow-table", since=since)
            check(ev.get("reason") == "flow-table-full", f"fault event for the refusal: {ev}")
        except AssertionError as e:
            check(False, f"a fault event component=flow-table for the refusal: {e}")

        def drops():
            rc, reply, err = ctl("stats")
            if rc != 0:
                raise AssertionError(f"isogatectl stats failed (rc={rc}): {err} {reply}")
            g = reply["result"].get("gateway") or {}
            return g.get("drops", {}).get("flow-table-full", 0)
        try:
            n = ma.wait_for(lambda: drops() or None, what="drops[flow-table-full] in isogatectl stats")
            check(n >= 1, f"isogatectl stats: drops[flow-table-full] = {n} (>= 1)")
        except AssertionError as e:
            check(False, str(e))

        # 4. Close two; new connections are admitted again, up to the limit.
        for s in (41001, 41002):
            client(f"close {s}")
        check(client("count") == "count 6", "two connections closed in order")
        deadline = time.monotonic() + READMIT_TIMEOUT
        again = None
        sport = 41100
        while time.monotonic() < deadline:
            sport += 1
            if client.open(sport):
                again = sport
                break
        check(again is not None, f"after closing two, a new allowed connection is admitted ({again})")
        if again is not None:
            check(client.open(sport + 1), "and a second one (8 open again)")
            mark = hosts.mark()
            reply = client(f"open {sport + 2}")
            check(reply.startswith("fail "), f"then the limit holds again: the next is refused ({reply})")
            check(not arrived_from(hosts, mark, sport + 2), "and never reaches the server")
        check(client("ping") == "ping 8 ok", "the 6 old and 2 new connections echo")
        check(gw.proc.poll() is None, "the gateway is still running")
    finally:
        for part in (client, gw, mgmtd):
            if part is not None:
                try:
                    part.stop()
                except Exception as e:  # keep stopping the rest; the namespace teardown kills leftovers
                    print(f"stopping {type(part).__name__}: {e}", flush=True)
        hosts.stop()


def main():
    ap = binaries_parser()
    ap.add_argument("--backend", choices=["kernel", "dpdk"], required=True)
    ap.add_argument("--no-limit", action="store_true", help="self-test: without flows.max the run must fail")
    args = parse_binaries(ap)
    work = kb.setup_workdir()
    topology = DpdkTopology if args.backend == "dpdk" else Topology
    run_in_topology(topology("fl" + args.backend[:1]), lambda topo: run(topo, work, args, args.backend, not args.no_limit))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
