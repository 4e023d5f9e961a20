#!/usr/bin/python3
"""Forwarding rate through the kernel backend's gateway namespace (docs/PERFORMANCE.md,
"Kernel backend: forwarding").

Builds the e2e topology, blasts 64-byte UDP frames (allowed flows: extranet -> internet
udp/53, FLOWS source ports) from the extranet host with isogate-udp-blast, and counts what
the gateway forwards out of inet0 (the internet host drops at ingress, so it sends nothing
back). Modes, alternated in the same run: `empty` (no table inet isogate), `policy` (the
e2e fixture policy through isogate-gw), `policy+10k` (the same plus 10 000 rules in another
zone pair, to show that zone-pair dispatch keeps them off this path). Prints one line per
run and the medians.

Usage: forward_bench.py --gw PATH --blast PATH [--rounds 3] [--seconds 3] [--flows 1000]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "..", "tests", "e2e")
sys.path.insert(0, E2E)

from harness import Gateway, make_workdir  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from topology import Topology  # noqa: E402


def counter(topo, ns, ifname, what):
    return int(topo.sh(ns, "cat", f"/sys/class/net/{ifname}/statistics/{what}", capture=True))


def measure(topo, blast, mac, seconds, flows):
    before = counter(topo, "gw", "inet0", "tx_packets")
    t0 = time.monotonic()
    out = topo.sh("extranet", blast, "eth0", mac, HOSTS["extranet"]["v4"], HOSTS["internet"]["v4"], "53", str(flows),
                  str(seconds), capture=True)
    elapsed = time.monotonic() - t0
    time.sleep(0.2)
    forwarded = counter(topo, "gw", "inet0", "tx_packets") - before
    return int(out.strip()) / elapsed, forwarded / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gw", required=True)
    ap.add_argument("--blast", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--flows", type=int, default=1000)
    args = ap.parse_args()
    work = make_workdir()
    shutil.copy(os.path.join(E2E, "fixtures", "gateway.yaml"), os.path.join(work, "gateway.yaml"))
    with open(os.path.join(E2E, "fixtures", "policy.yaml")) as f:
        base = yaml.safe_load(f)
    big = dict(base)
    big["rules"] = base["rules"] + [{"name": f"bulk-{i}", "from": "internet", "to": "portal",
                                     "services": [{"tcp": [1024 + i]}], "action": "allow"} for i in range(10000)]
    policies = {"policy": base, "policy+10k": big}
    results = {m: [] for m in ("empty", "policy", "policy+10k")}
    with Topology("bench") as topo:
        topo.sh("internet", "nft", "add table netdev sink; add chain netdev sink in "
                "{ type filter hook ingress device eth0 priority 0; policy drop; }")
        mac = topo.sh("gw", "cat", "/sys/class/net/ext0/address", capture=True).strip()
        # The internet host answers nothing (not even ARP): give the gateway its neighbour.
        inet_mac = topo.sh("internet", "cat", "/sys/class/net/eth0/address", capture=True).strip()
        topo.sh("gw", "ip", "neigh", "replace", HOSTS["internet"]["v4"], "lladdr", inet_mac, "dev", "inet0", "nud",
                "permanent")
        for r in range(args.rounds):
            for mode in results:
                gw = None
                topo.sh("gw", "nft", "delete table inet isogate", check=False)
                if mode != "empty":
                    with open(os.path.join(work, "policy.yaml"), "w") as f:
                        yaml.safe_dump(policies[mode], f, sort_keys=False)
                    t0 = time.monotonic()
                    gw = Gateway(topo, args.gw, os.path.join(work, "gateway.yaml"), work).start(timeout=120)
                    print(f"  {mode}: gateway start to policy-loaded {time.monotonic() - t0:.2f} s", flush=True)
                    if gw.events()[-1].get("type") != "policy-loaded":
                        raise SystemExit(f"policy did not load: {gw.events()[-1]}")
                    time.sleep(1.5)  # a large chain flush/replace keeps a kernel worker busy for a moment
                sent, fwd = measure(topo, args.blast, mac, args.seconds, args.flows)
                if gw:
                    gw.stop(signal.SIGTERM)
                results[mode].append(fwd)
                print(f"round {r + 1} {mode:11s} sent {sent / 1e3:8.0f} kpps forwarded {fwd / 1e3:8.0f} kpps", flush=True)
    print("median forwarded (kpps):", flush=True)
    empty = statistics.median(results["empty"])
    for mode, values in results.items():
        m = statistics.median(values)
        print(f"  {mode:11s} {m / 1e3:8.0f}   ratio to empty {m / empty:5.2f}", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
