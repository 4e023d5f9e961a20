#!/usr/bin/python3
"""End-to-end tests of isogate-gw with the DPDK backend: the kernel backend's scenario table
(scenarios.py) and cases (test_kernel_backend.py) over net_af_packet ports on the gateway
namespace's veths (dpdk_topology.py). Every scenario must give the same result as on the
kernel backend. Where the kernel case looks at the nftables ruleset, this backend must
leave the gateway namespace's ruleset empty (it never touches the kernel's).

`matrix2` is `matrix` with two worker lcores (two queue pairs per port): each worker keeps its
own connection table, so replies only pass if both directions of every flow meet one worker.

Usage: test_dpdk_backend.py --gw PATH CASE      CASE: matrix | matrix2 | lifecycle | reload | schedule
"""

import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from topology import LINKS  # noqa: E402
from harness import Gateway, run_with_hosts, write_gateway_config  # noqa: E402
from scenarios import Scenario, all_scenarios  # noqa: E402

check = kb.check
# In the portal zone's network, and no host has it: the gateway never learns its MAC.
UNKNOWN_PORTAL_ADDRESS = "172.16.30.77"


def case_lifecycle(topo, hosts, work, gwbin):
    """Fail closed at start, SIGHUP with a fixed policy, SIGTERM while packets wait for a
    neighbour (a clean exit), and after the process is gone nothing forwards (the ports die
    with it: the DPDK path fails closed, unlike the kernel's, whose rules stay)."""
    scen = kb.sample(all_scenarios(), kb.SAMPLE)
    good = open(os.path.join(work, "policy.yaml")).read()
    kb.write_policy(work, good.replace("action: allow", "action: alow", 1))
    gw = Gateway(topo, gwbin, os.path.join(work, "gateway.yaml"), work).start(wait_event="policy-rejected")
    try:
        ev = gw.events()[-1]
        check(ev.get("type") == "policy-rejected" and "policy.yaml:" in ev.get("diagnostics", ""),
              f"broken policy at start: policy-rejected with diagnostics ({ev})")
        closed = [Scenario(**{**s.__dict__, "expect_pass": False}) for s in scen]
        kb.check_scenarios(topo, hosts, None, closed, events=False, label="[no policy yet] ")
        # Closed, but still a router the hosts can resolve (as a kernel router is): had ARP/ND
        # gone unanswered, their neighbour entries for it would fail just as the policy comes,
        # and what they send then gets EHOSTUNREACH.
        for zone, (_, gw4, gw6) in LINKS.items():
            for fam, addr in (("-4", gw4), ("-6", gw6)):
                addr = addr.split("/")[0]
                entry = topo.sh(zone, "ip", fam, "neigh", "show", addr, "dev", "eth0", capture=True).strip()
                check("lladdr" in entry, f"[no policy yet] the {zone} host resolved its router {addr} ({entry!r})")
        kb.write_policy(work, good)
        ev = gw.reload()
        check(ev.get("type") == "policy-loaded", f"fixed policy loads on SIGHUP ({ev})")
        kb.check_scenarios(topo, hosts, gw, scen, label="[loaded] ")
        # Stop while packets wait for a neighbour: echo requests to a portal address nobody
        # holds (allowed by extranet-ping-portal) are held for up to 1 s for an ARP answer that
        # never comes. They must go back to the packet pool before the pool goes; freed after
        # it, they crashed the process on exit (SIGSEGV: the pool was unmapped).
        ping = subprocess.Popen(["ip", "netns", "exec", topo.ns("extranet"), "ping", "-n", "-q", "-i", "0.2",
                                 UNKNOWN_PORTAL_ADDRESS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)  # the first requests have timed out by now, the later ones are held
            rc = gw.stop(signal.SIGTERM)
        finally:
            ping.kill()
            ping.wait()
        check(rc == 0, f"SIGTERM with packets held for a neighbour: gateway exits 0 (got {rc}; stderr: "
                       f"{gw.stderr()[-500:]!r})")
        kb.check_scenarios(topo, hosts, None, closed, events=False, label="[after SIGTERM] ")
        check(kb.stateless_ruleset(topo).strip() == "", "the DPDK backend left the kernel ruleset empty")
        kb.nothing_reached_intranet(hosts)
    finally:
        gw.stop()


CASES = {"matrix": kb.case_matrix, "matrix2": kb.case_matrix, "lifecycle": case_lifecycle, "reload": kb.case_reload,
         "schedule": kb.case_schedule}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gw", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    work = kb.setup_workdir()
    run_with_hosts(DpdkTopology("d" + args.case[:4]), work,
                   lambda topo, hosts: CASES[args.case](topo, hosts, work, os.path.abspath(args.gw)),
                   prepare=lambda topo: write_gateway_config(topo, work, 2 if args.case == "matrix2" else 1))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
