#!/usr/bin/python3
"""`isogatectl flows` end to end (issue 5): isogate-gw and isogate-mgmtd in a namespace
topology the test builds, real long-lived TCP connections through the gateway (IPv4
internet -> portal https, IPv6 extranet -> portal ssh).

Usage: test_flows.py --gw GW --mgmtd MGMTD --ctl ISOGATECTL kernel|dpdk
  kernel  backend nftables (topology.py): the table is the namespace's conntrack
  dpdk    backend dpdk over net_af_packet ports (dpdk_topology.py): the workers' tables

Asserted: before the gateway reports, `flows` fails with "no flow table from the gateway
yet" (exit 1); with the connections open, `flows -j` lists each one with its family,
addresses, ports, zones, admitting rule and state `established`, and the human table shows
them; once the connections closed and their entries ended, they are gone from the table;
with the gateway stopped the table goes stale (exit 1, "is N s old"); with the daemon down
isogatectl exits 3. Waits are on conditions, bounded only to end a broken run.
"""

import ipaddress
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
import yaml  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from harness import binaries_parser, parse_binaries, run_in_topology  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from test_mgmt_acceptance import Ctl, Mgmtd, PidGateway, wait_for, write_config  # noqa: E402
from topology import Topology  # noqa: E402

check = kb.check

# A server that accepts on every given (family, port) and echoes until the peer closes.
SERVER = r"""
import socket, sys, threading
def serve(s):
    while True:
        c, _ = s.accept()
        def echo(c=c):
            while True:
                d = c.recv(4096)
                if not d:
                    c.close()
                    return
                c.sendall(d)
        threading.Thread(target=echo, daemon=True).start()
for spec in sys.argv[1:]:
    fam, port = spec.split(":")
    s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == "6":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if fam == "6" else "0.0.0.0", int(port)))
    s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("listening", flush=True)
sys.stdin.read()
"""

# A client that connects from a fixed source port, says hello, prints the echo, and closes
# when its stdin closes (the connection lives exactly as long as the test wants).
CLIENT = r"""
import socket, sys
fam, src, sport, dst, dport = sys.argv[1:]
s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src, int(sport)))
s.settimeout(10)
for attempt in range(10):
    try:
        s.connect((dst, int(dport)))
        break
    except (socket.timeout, ConnectionRefusedError, OSError) as e:
        err = e
else:
    print("connect failed:", err, flush=True)
    sys.exit(1)
s.sendall(b"hello")
print("echo", s.recv(16).decode(), flush=True)
sys.stdin.read()
s.close()
"""

CONNECTIONS = [
    # (label, family, client zone, server zone, sport, dport, rule)
    ("v4 https", "4", "internet", "portal", 40443, 443, "citizens-browse-portal"),
    ("v6 ssh", "6", "extranet", "portal", 40022, 22, "publish-content"),
]


def start_py(topo, zone, code, *args):
    return subprocess.Popen(["ip", "netns", "exec", topo.ns(zone), sys.executable or "python3", "-c", code,
                             *map(str, args)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def same_addr(a, b):
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def find(flows, fam, src, sport, dst, dport):
    for f in flows:
        if (f.get("family") == ("ipv6" if fam == "6" else "ipv4") and f.get("proto") == "tcp"
                and same_addr(f.get("src"), src) and f.get("sport") == sport
                and same_addr(f.get("dst"), dst) and f.get("dport") == dport):
            return f
    return None


def flows_now(ctl):
    rc, reply, err = ctl("flows")
    if rc != 0 or not reply or not reply.get("ok"):
        return None
    return reply["result"]


def connections_now(ctl):
    """The flow table now and the entry of each of CONNECTIONS in it (None: not listed); (None, None) without a table."""
    r = flows_now(ctl)
    if not r:
        return None, None
    return r, [find(r["flows"], fam, HOSTS[cz]["v6" if fam == "6" else "v4"], sp, HOSTS[sz]["v6" if fam == "6" else "v4"], dp)
               for _, fam, cz, sz, sp, dp, _ in CONNECTIONS]


MGMT = {"events": {"syslog": ["udp://127.0.0.1:10514"]}}


def kernel_config(topo, work):
    # Closed TCP entries end within a second or two instead of two minutes (TIME_WAIT):
    # the gateway namespace's own conntrack timeouts.
    for key in ("time_wait", "close", "fin_wait", "close_wait", "last_ack"):
        topo.sh("gw", "sysctl", "-qw", f"net.netfilter.nf_conntrack_tcp_timeout_{key}=1", check=False)
    return write_config(work, dict(MGMT, control={"socket": os.path.join(work, "control.sock")}))


def dpdk_config(topo, work):
    doc = yaml.safe_load(topo.gateway_config())
    doc.update(MGMT)
    doc["control"] = {"socket": os.path.join(work, "control.sock")}
    path = os.path.join(work, "gateway.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path


def run_case(topo, work, bins, backend):
    config = kernel_config(topo, work) if backend == "nftables" else dpdk_config(topo, work)
    mgmtd = Mgmtd(bins.mgmtd, topo.gw, config, work, ["--no-sensors"]).start()
    ctl = Ctl(bins.ctl, mgmtd.control)
    procs = []
    gw = None
    try:
        rc, reply, err = ctl("flows")
        check(rc == 1 and reply and reply["error"]["code"] == "unavailable"
              and "no flow table from the gateway yet" in reply["error"]["message"],
              f"before the gateway reports: flows fails as unavailable (rc {rc}, {reply})")

        gw = PidGateway(topo, bins.gw, config, work, os.path.join(work, "gw.pid"),
                        mgmt_socket=mgmtd.events).start(timeout=60)
        first = wait_for(lambda: flows_now(ctl), timeout=15, what="a first flow table")
        check(first["backend"] == backend, f"the table comes from the {backend} backend ({first['backend']})")

        server = start_py(topo, "portal", SERVER, "4:443", "6:22")
        procs.append(server)
        check(server.stdout.readline().strip() == "listening", "server listening in the portal namespace")
        for label, fam, czone, szone, sport, dport, rule in CONNECTIONS:
            key = "v6" if fam == "6" else "v4"
            c = start_py(topo, czone, CLIENT, fam, HOSTS[czone][key], sport, HOSTS[szone][key], dport)
            procs.append(c)
            line = c.stdout.readline().strip()
            check(line == "echo hello", f"{label}: connection {czone} -> {szone}:{dport} open and echoing ({line})")
        clients = procs[1:]

        def listed():
            r, found = connections_now(ctl)
            if not r:
                return None
            return (r, found) if all(f and f["state"] == "established" for f in found) else None

        got = None
        try:
            got = wait_for(listed, timeout=15, what="both connections in `isogatectl flows -j`")
        except AssertionError as e:
            check(False, f"{e}: last table {flows_now(ctl)}")
        if got:
            r, found = got
            for (label, fam, cz, sz, sp, dp, rule), f in zip(CONNECTIONS, found):
                check(f["from_zone"] == cz and f["to_zone"] == sz,
                      f"{label}: zones {f['from_zone']} -> {f['to_zone']} (want {cz} -> {sz})")
                check(f["rule"] == rule, f"{label}: admitted by rule {f['rule']!r} (want {rule!r})")
                check(f["state"] == "established" and f["timeout_s"] > 60,
                      f"{label}: established, {f['timeout_s']} s before it would time out")
            check(r["total"] >= 2 and r["returned"] == len(r["flows"]) and r["truncated"] is False,
                  f"total {r['total']}, returned {r['returned']}, not truncated")
            check(0 <= r["age_s"] <= 10, f"the table is {r['age_s']} s old")
            own = [f for f in r["flows"] if ipaddress.ip_address(f["src"]).is_loopback
                   or ipaddress.ip_address(f["dst"]).is_loopback]
            check(not own, f"the gateway's own traffic (loopback: its syslog datagrams) is not listed ({own[:2]})")
            human = subprocess.run([bins.ctl, "--socket", mgmtd.control, "flows"], capture_output=True, text=True)
            v4 = f"{HOSTS['internet']['v4']}:40443"
            v6 = f"[{ipaddress.ip_address(HOSTS['extranet']['v6']).compressed}]:40022"
            check(human.returncode == 0 and v4 in human.stdout and v6 in human.stdout
                  and "internet->portal" in human.stdout and "established" in human.stdout,
                  f"human table lists both connections:\n{human.stdout}{human.stderr}")

        # Close them: the entries end and leave the table.
        for c in clients:
            c.stdin.close()
            c.wait(timeout=10)

        def gone():
            r, left = connections_now(ctl)
            if not r:
                return None
            return r if not any(left) else None

        try:
            wait_for(gone, timeout=20, what="the closed connections to leave the table")
            check(True, "closed connections are gone from `isogatectl flows`")
        except AssertionError as e:
            check(False, f"{e}: last table {flows_now(ctl)}")

        # The gateway stops: the last table goes stale and `flows` says so.
        gw.stop()

        def stale():
            rc, reply, _ = ctl("flows")
            return (rc, reply) if rc == 1 and reply and "s old" in reply["error"]["message"] else None

        try:
            rc, reply = wait_for(stale, timeout=25, what="the table to go stale")
            check(reply["error"]["code"] == "unavailable" and "is isogate-gw running?" in reply["error"]["message"],
                  f"gateway stopped: {reply['error']['message']}")
        except AssertionError as e:
            check(False, str(e))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if gw:
            gw.stop()
        mgmtd.stop()
    rc, _, err = ctl("flows", json_out=False)
    check(rc == 3 and "cannot connect" in err, f"daemon down: isogatectl exits 3 ({rc}: {err})")


CASES = {"kernel": ("nftables", Topology), "dpdk": ("dpdk", DpdkTopology)}


def main():
    args = parse_binaries(binaries_parser(CASES))
    work = kb.setup_workdir()
    backend, topology = CASES[args.case]
    run_in_topology(topology("fl" + args.case[:3]), lambda topo: run_case(topo, work, args, backend))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
