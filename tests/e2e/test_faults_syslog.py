#!/usr/bin/python3
"""Fault test of the whole event chain (issues 5 and 6): rsyslog stopped mid-test.

The kernel gateway (isogate-gw, nftables) enforces while an allowed TCP stream (IPv4 and
IPv6, extranet -> portal:22) echoes and a denied sender (extranet -> internet udp/9,
extranet -> portal tcp/443) runs without pause; its violations go to isogate-mgmtd over the
event socket and from there to a real rsyslogd (TCP input) on the gateway namespace's
loopback. The test stops rsyslogd, makes the gateway report a burst of distinct violations
(more than isogate-mgmtd's syslog queue holds), then starts rsyslogd again, and asserts:

- enforcement unchanged all along: the streams keep echoing, no denied packet (neither the
  sender's nor the burst's) ever reaches a host, the gateway keeps running;
- isogate-mgmtd keeps at most `--syslog-queue` messages for the dead destination and counts
  what it drops (metrics `isogate_syslog_dropped_total`, `isogate_syslog_queued`);
- once rsyslogd is back, one `fault` (component `syslog`) reports exactly the counted loss,
  every burst violation that is missing in syslog is covered by that count, and violations
  made after the restart arrive.

Usage: test_faults_syslog.py --gw GW --mgmtd MGMTD --ctl ISOGATECTL [--break-denied]
  --break-denied adds an allow rule for the sender's denied class: the test must then fail
  (used once to show that it can).
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
from harness import PY, Hosts, arrived, binaries_parser, parse_binaries, run_in_topology  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from test_faults import Traffic, allow_denied_on_purpose, streams_intact  # noqa: E402
from test_mgmt_acceptance import Mgmtd, Rsyslog, events_gateway, stop_chain, wait_for, write_config  # noqa: E402
from topology import Topology  # noqa: E402

check = kb.check
QUEUE = 20         # isogate-mgmtd --syslog-queue: messages kept for a dead destination
BURST = 60         # distinct violations made while rsyslogd is down (> QUEUE)
AFTER = 10         # distinct violations made after it is back
METRICS_PORT = 19797
BURST_PORT, AFTER_PORT = 30000, 31000

BURST_SENDER = r"""
import socket, sys
dst, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port in range(first, first + n):
    s.sendto(b"burst", (dst, port))
"""

METRICS_READER = r"""
import sys, urllib.request
print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode())
"""


def burst(topo, first, n):
    """n denied UDP datagrams extranet -> internet, one per port: n distinct violation keys."""
    subprocess.run(["ip", "netns", "exec", topo.ns("extranet"), PY, "-c", BURST_SENDER, HOSTS["internet"]["v4"],
                    str(first), str(n)], check=True, timeout=30)


def metrics(topo):
    """The syslog destination's counters from isogate-mgmtd's metrics port: (dropped, queued)."""
    text = topo.sh("gw", PY, "-c", METRICS_READER, str(METRICS_PORT), capture=True)

    def value(name):
        m = re.search(rf'^{name}\{{destination="[^"]*"\}} (\d+)$', text, re.M)
        return int(m.group(1)) if m else None
    return value("isogate_syslog_dropped_total"), value("isogate_syslog_queued")


def burst_keys(events, first, n):
    """The burst ports whose violation is among `events`."""
    return {int(e["dport"]) for e in events
            if e.get("msgid") == "VIOLATION" and e.get("src") == HOSTS["extranet"]["v4"]
            and e.get("dst") == HOSTS["internet"]["v4"] and e.get("dport", "").isdigit()
            and first <= int(e["dport"]) < first + n}


def burst_arrived(hosts, mark, first, n):
    return [p for p in range(first, first + n)
            if arrived(hosts, mark, HOSTS["extranet"]["v4"], HOSTS["internet"]["v4"], "udp", p)]


def case_rsyslog_down(topo, work, bins, break_denied):
    hosts = Hosts(topo, work).start()
    if break_denied:
        allow_denied_on_purpose(work)
    topo.sh("gw", "sysctl", "-qw", "net.unix.max_dgram_qlen=512")  # as the package sets it
    config = write_config(work, {"control": {"socket": os.path.join(work, "control.sock")},
                                 "metrics": f"127.0.0.1:{METRICS_PORT}"})
    syslog = Rsyslog(topo.gw, work).start()
    mgmtd = Mgmtd(bins.mgmtd, topo.gw, config, work, ["--no-sensors", "--syslog-queue", str(QUEUE)]).start()
    gw = events_gateway(topo, bins, config, work).start()
    try:
        ruleset = kb.stateless_ruleset(topo)
        with Traffic(topo, hosts) as traffic:
            wire_mark = traffic.mark
            try:
                syslog.wait(lambda e: e.get("type") == "logical-isolation" and e.get("dport") == "9",
                            what="the denied sender's violation in syslog")
                check(True, "[rsyslog up] the denied sender's violations reach rsyslog through isogate-mgmtd")
            except AssertionError as e:
                check(False, f"[rsyslog up] {e}")

            # rsyslogd goes away; a burst of distinct violations overflows the daemon's queue.
            syslog.stop()
            syslog_mark = len(syslog.events())
            burst(topo, BURST_PORT, BURST)
            try:
                wait_for(lambda: (metrics(topo)[0] or 0) > 0, what="isogate-mgmtd to count dropped messages")
            except AssertionError as e:
                check(False, f"[rsyslog down] {e}")
            dropped, queued = metrics(topo)
            check(dropped and dropped > 0 and queued is not None and queued <= QUEUE,
                  f"[rsyslog down] isogate-mgmtd keeps at most {QUEUE} messages and counts the rest"
                  f" (queued {queued}, dropped {dropped})")
            streams_intact(traffic.streams, "[rsyslog down]")
            check(gw.proc.poll() is None and mgmtd.proc.poll() is None,
                  "[rsyslog down] isogate-gw and isogate-mgmtd keep running")
            check(kb.stateless_ruleset(topo) == ruleset, "[rsyslog down] the kernel ruleset is unchanged")
            through = burst_arrived(hosts, wire_mark, BURST_PORT, BURST)
            check(not through, f"[rsyslog down] none of the {BURST} burst datagrams reached a host ({through[:5]})")

            # rsyslogd is back: the loss is reported once, exactly as counted.
            syslog.start()
            try:
                fault = syslog.wait(lambda e: e.get("type") == "fault" and e.get("component") == "syslog",
                                    since=syslog_mark, timeout=45, what="the syslog loss report")
            except AssertionError as e:
                check(False, f"[rsyslog back] {e}")
                fault = {}
            # Messages made while the queue drains may still be dropped: each later report carries
            # the count since the one before, so the reports add up to the counter.
            def reported():
                return sum(int(e.get("lost", 0)) for e in syslog.events()[syslog_mark:]
                           if e.get("type") == "fault" and e.get("component") == "syslog")
            try:
                wait_for(lambda: reported() == metrics(topo)[0], what="the loss reports to add up to the counter")
            except AssertionError:
                pass
            dropped, lost = metrics(topo)[0], reported()
            check(lost == dropped and fault.get("pri") == 20 * 8 + 3 and "127.0.0.1" in fault.get("destination", ""),
                  f"[rsyslog back] fault component=syslog, severity err, reports lost={lost} = the {dropped} counted"
                  f" drops ({fault})")
            got = burst_keys(syslog.events()[syslog_mark:], BURST_PORT, BURST)
            missing = BURST - len(got)
            check(0 < missing <= lost and len(got) > 0,
                  f"[rsyslog back] every burst violation arrived or is counted lost ({len(got)} arrived,"
                  f" {missing} missing, {lost} reported lost)")

            # Violations after the restart arrive, every one of them.
            after_mark = len(syslog.events())
            burst(topo, AFTER_PORT, AFTER)
            try:
                wait_for(lambda: len(burst_keys(syslog.events()[after_mark:], AFTER_PORT, AFTER)) == AFTER,
                         what="the violations made after the restart in syslog")
                check(True, f"[rsyslog back] all {AFTER} violations made after the restart arrive")
            except AssertionError as e:
                check(False, f"[rsyslog back] {e} "
                             f"({len(burst_keys(syslog.events()[after_mark:], AFTER_PORT, AFTER))} of {AFTER})")
            through = burst_arrived(hosts, wire_mark, AFTER_PORT, AFTER)
            check(not through, f"[rsyslog back] none of the {AFTER} later datagrams reached a host ({through[:5]})")
            streams_intact(traffic.streams, "[rsyslog back]")
            traffic.check_no_denied_arrived("while rsyslog was up, down and back")
        kb.nothing_reached_intranet(hosts)
    finally:
        stop_chain(mgmtd, gw, syslog, hosts)


def main():
    ap = binaries_parser()
    ap.add_argument("--break-denied", action="store_true")
    args = parse_binaries(ap)
    work = kb.setup_workdir()
    run_in_topology(Topology("fsys"), lambda topo: case_rsyslog_down(topo, work, args, args.break_denied))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
