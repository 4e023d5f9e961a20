#!/usr/bin/python3
"""Load test of the kernel backend (issue 6, "Load"): a violation storm through isogate-gw,
isogate-mgmtd and a real rsyslogd, all in namespaces the test creates.

  storm   for --seconds (60) denied UDP (extranet -> internet host, port 9; only DNS is allowed
          there) as fast as raw IPv4 sockets (IP_HDRINCL) in the extranet host can make it,
          from --sources (60 000) distinct source addresses inside the extranet zone
          10.20.0.0/16 (so anti-spoofing does not catch them), in --procs (2) processes, while
          an allowed long-running TCP stream (extranet -> portal:22) echoes. Asserted:
          1. bounded memory: VmRSS of isogate-gw, isogate-mgmtd and rsyslogd at ~15 s and at the
             end of the storm exceed the value before it by no more than a per-process bound
             derived from the design (see RSS_BOUND_KIB);
          2. bounded syslog rate: the violation messages rsyslog received are at most what the
             aggregation design allows in the measured window (see message_bound), whatever
             the packet rate;
          3. the allowed stream keeps echoing and is never reset (echoes/s before and during the
             storm are printed, not asserted: timing is never pass/fail);
          4. the counters add up: the kernel counter of the zone pair (nft) equals the packets
             the generators sent minus what the veth reports dropped; the sum of the `count`
             fields of the logical-isolation messages rsyslog received is <= that counter, and
             every stage that lost some reported it (gateway NFLOG loss, gateway -> mgmtd
             loss, syslog queue loss), checked against the kernel's own drop counter of the
             gateway's NFLOG socket (/proc/net/netlink) and the datagram accounting.
          A summary table of the measured numbers is printed at the end.

  storm-dpdk  the same storm against the DPDK backend (`backend: dpdk`, net_af_packet ports on
          the gateway namespace's veths, dpdk_topology.py), with the same isogate-mgmtd and
          rsyslogd. Asserted: 1.-3. as above (the gateway's bound is RSS_BOUND_KIB_DPDK: DPDK's
          memory is preallocated at start; the allowed stream is internet -> portal:443, so
          that the storm's port ext0 carries the storm alone); 4. the counters add up, each stage against the
          next: the generators' count equals the extranet host's own nftables counter of the
          storm's packets; the extranet host sent (eth0 TX) exactly what the gateway's AF_PACKET socket on
          ext0 saw (PACKET_STATISTICS: received + dropped; the PMD's RX ring is the first place
          a storm is lost, before the data plane sees it); the data plane counted as denied
          (extranet -> internet deny row and drops[logical-isolation] of `isogatectl stats`)
          every storm packet the socket did not drop; and every denied packet is either a
          count isogate-mgmtd took in and rsyslog got, or a reported loss: records that did not
          fit a worker's event ring (`fault component="event-ring"`, equal to the gateway's
          events_dropped counter) and events the gateway could not hand to isogate-mgmtd
          (`component="event-sender"`, in occurrences: the gateway aggregates a flood above
          2000 events/s before sending). denied == taken in + ring lost + sender lost, exactly.

Usage: test_storm.py --gw GW --mgmtd MGMTD --ctl ISOGATECTL {storm|storm-dpdk} [--seconds N] [--procs N]
       [--break-accounting]   (self-test of storm-dpdk: the generators miscount by one packet; must fail)
"""

import ctypes
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402  (check/FAILURES, Stream, work dir)
from dpdk_topology import DpdkTopology  # noqa: E402
from harness import PY, Hosts, binaries_parser, parse_binaries, run_in_topology  # noqa: E402
from scenarios import HOSTS  # noqa: E402
from test_faults import rss_kib  # noqa: E402
from test_mgmt_acceptance import SYSLOG_PORT, Mgmtd, PidGateway, Rsyslog, stop_chain, wait_for, write_config  # noqa: E402
from topology import LINKS, Topology, run  # noqa: E402

check = kb.check
PAIR_COUNTER = "pair_extranet_internet"
DENIED_PORT = 9
INTERVAL = 10  # events.aggregate_interval of the test config (the product default)

# Growth of VmRSS allowed from before the storm to any sample during it, in KiB, per process.
RSS_BOUND_KIB = {
    # The gateway keeps no per-event state: one NFLOG receive buffer (128 KiB), one event at a
    # time encoded and sent; the NFLOG socket buffer (8 MiB) is kernel memory, not RSS. 8 MiB
    # leaves room for allocator noise only; a per-event leak at >= 10 000 events/s exceeds it
    # within seconds.
    "isogate-gw": 8 * 1024,
    # isogate-mgmtd's event state is bounded by design: the aggregation table (--max-keys,
    # default 4096 keys, ~2 KiB each with the sample event: 8 MiB), the violation ring (10 000
    # events, ~2 KiB each: 20 MiB), the syslog queue (8 MiB, docs/mgmtd.md), the post queue
    # (4096 events: 8 MiB) and per-type overflow buckets (no per-key state). 48 MiB covers them
    # all full at once; a table growing with the distinct sources (60 000 keys) would exceed it.
    "isogate-mgmtd": 48 * 1024,
    # rsyslogd only writes what it receives to a file, and what it receives is bounded by the
    # aggregation (a few hundred messages a second at most); its main queue never fills.
    "rsyslogd": 16 * 1024,
}

# The same for the DPDK backend: isogate-mgmtd and rsyslogd as above. isogate-gw: the EAL's
# memory (mbuf pools, rings, flow tables) is allocated and touched at start, before the
# baseline; what the storm can add is the control thread's: the aggregator it puts a flood
# through above 2000 events/s (4096 keys with a sample event of ~2 KiB: 8 MiB) and one chunk
# of 256 events in flight. 16 MiB. Measured: +1.3 to +2.3 MiB; the control thread takes in 1 to
# 1.8 million records in a 45 s storm (the rest is event-ring loss), so a leak of 16 bytes a
# record exceeds the bound (and holding a whole 65 536-record pass as events did: +77 MiB).
RSS_BOUND_KIB_DPDK = dict(RSS_BOUND_KIB, **{"isogate-gw": 16 * 1024})

GENERATOR = r"""
import random, socket, struct, sys, time
dst, port, seconds, index, procs, nsrc = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
# Sources: distinct addresses of 10.20.0.0/16 except the network, broadcast, the gateway's
# 10.20.0.1 and the extranet host itself; the same shuffle in every process, a disjoint slice each.
excluded = {0, 1, 0xffff, (5 << 8) | 10}
pool = [x for x in range(65536) if x not in excluded]
random.Random(4242).shuffle(pool)
mine = pool[:nsrc][index::procs]
payload = b"storm"
pkts = []
for i, low in enumerate(mine):
    udp = struct.pack("!HHHH", 20000 + i % 40000, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes([10, 20, low >> 8, low & 255]), socket.inet_aton(dst))
    pkts.append(ip + udp)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
addr = (dst, 0)
print("ready", flush=True)
sys.stdin.readline()
sent = errors = i = 0
n = len(pkts)
end = time.monotonic() + seconds
send = s.sendto
while time.monotonic() < end:
    for _ in range(512):
        try:
            send(pkts[i], addr)
            sent += 1
        except OSError:
            errors += 1
        i += 1
        if i == n:
            i = 0
print(f"sent {sent} errors {errors} sources {n}", flush=True)
"""


class Generators:
    """--procs raw-socket senders in the extranet host; they start together and count exactly."""

    def __init__(self, topo, seconds, procs, sources):
        self.procs = []
        for k in range(procs):
            p = subprocess.Popen(["ip", "netns", "exec", topo.ns("extranet"), PY, "-u", "-c", GENERATOR,
                                  HOSTS["internet"]["v4"], str(DENIED_PORT), str(seconds), str(k), str(procs),
                                  str(sources)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.procs.append(p)
            if p.stdout.readline().strip() != "ready":
                raise AssertionError("storm generator did not start")

    def go(self):
        for p in self.procs:
            p.stdin.write("go\n")
            p.stdin.flush()

    def results(self):
        """Packets sent, send errors, distinct sources, summed over the processes."""
        sent = errors = sources = 0
        for p in self.procs:
            m = re.match(r"sent (\d+) errors (\d+) sources (\d+)", p.stdout.readline().strip())
            p.wait(timeout=30)
            if not m:
                raise AssertionError("storm generator did not report its count")
            sent, errors, sources = sent + int(m[1]), errors + int(m[2]), sources + int(m[3])
        return sent, errors, sources

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


class SyslogGateway(PidGateway):
    """The gateway with its local event lines going to /dev/null: in a storm it writes one line
    per dropped packet (millions, gigabytes); the written cost stays (one write() each), the disk
    is spared. Its start is observed through rsyslog (policy-loaded via isogate-mgmtd)."""

    def __init__(self, *args, syslog, **kwargs):
        super().__init__(*args, **kwargs)
        self.events_path = os.devnull
        self.syslog = syslog

    def events(self):
        return []

    def start(self, wait_event="policy-loaded", timeout=20.0):
        since = len(self.syslog.events())
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.topo.gw, self.binary, "--config", self.config,
                                      "--events-file", os.devnull, "--pidfile", self.pidfile,
                                      "--mgmt-socket", self.mgmt_socket],
                                     stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "a"))
        ev = self.syslog.wait(lambda e: e.get("type") in (wait_event, "policy-rejected", "fault"), since=since,
                              timeout=timeout, what="the gateway's policy-loaded through isogate-mgmtd")
        if ev.get("type") != wait_event:
            raise AssertionError(f"gateway start: {ev}")
        return self


def nft_counter(topo):
    out = topo.sh("gw", "nft", "-j", "list", "counter", "inet", "isogate", PAIR_COUNTER, capture=True)
    for obj in json.loads(out)["nftables"]:
        if "counter" in obj:
            return obj["counter"]["packets"]
    raise AssertionError(f"no counter {PAIR_COUNTER}: {out[:300]}")


def link_stats(topo, where, ifname):
    out = topo.sh(where, "ip", "-s", "-j", "link", "show", ifname, capture=True)
    return json.loads(out)[0]["stats64"]


def nflog_socket_drops(topo, pid):
    """The kernel's drop counter of the gateway's netfilter netlink sockets (/proc/net/netlink
    of the gateway namespace, matched by inode): what NFLOG could not queue for the gateway."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if m:
            inodes.add(m[1])
    drops = 0
    lines = topo.sh("gw", "cat", "/proc/net/netlink", capture=True).splitlines()
    head = lines[0].split()
    for line in lines[1:]:
        row = dict(zip(head, line.split()))
        if row.get("Eth") == "12" and row.get("Inode") in inodes:
            drops += int(row["Drops"])
    return drops


def ctl_stats(ctl, socket_path):
    r = subprocess.run([ctl, "--socket", socket_path, "-j", "stats"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"isogatectl stats failed: {r.stderr}")
    return json.loads(r.stdout)["result"]


def message_bound(max_keys, window_s, interval_s):
    """Upper bound of the violation messages isogate-mgmtd can emit in `window_s` seconds
    (docs/mgmtd.md, mgmt/aggregator.cc). A key enters the table with one message; after that it
    gets at most one message per interval, and it leaves only after a whole interval without
    one, so a key that lived L seconds in the table sent at most L/interval messages (+1 if it
    is still there when counting). The table holds at most max_keys keys at any time, so all
    their lifetimes add up to at most max_keys * window. Events of new keys while the table is
    full fold into one overflow bucket per type (16 slots), each sent at most once per interval
    (+1 at the end). Hence: (max_keys + 16) * (window / interval + 1)."""
    return int((max_keys + 16) * (window_s / interval_s + 1))


def rss_all(pids):
    return {name: rss_kib(pid) for name, pid in pids.items()}


# --- assertions both backends share ----------------------------------------------------------

def check_stream(stream, n1, timeouts):
    """3. The allowed flow kept echoing through the storm (n1: its echoes when the storm
    began), was never reset, and still echoes after it."""
    check(stream.oks() > n1 and not stream.ended(),
          f"allowed stream kept echoing through the storm, never reset ({stream.oks() - n1} echoes during it,"
          f" {timeouts} late echoes; last {stream.lines[-2:]})")
    n = stream.oks()
    check(stream.wait_oks(n + 10, timeout=10) and not stream.ended(),
          f"allowed stream still echoes after the storm ({stream.lines[-2:]})")


def check_syslog_rate(events, st, window):
    """2. Bounded syslog rate over `window` seconds of isogate-mgmtd's life; returns the bound."""
    violations = [e for e in events if e.get("msgid") == "VIOLATION"]
    faults = [e for e in events if e.get("type") == "fault"]
    bound = message_bound(st["aggregation"]["max_keys"], window, INTERVAL)
    check(len(violations) <= bound,
          f"violation messages in syslog ({len(violations)}) <= the aggregation bound {bound} ((max_keys"
          f" {st['aggregation']['max_keys']} + 16) * ({window:.0f} s / {INTERVAL} s + 1))")
    # Loss reports are not aggregated (each matters), so their rate is bounded where they are
    # made: the gateway reports its first-stage loss (NFLOG, or the DPDK event ring) and
    # event-sender loss at most once a second each, isogate-mgmtd a syslog loss once per
    # reconnect; plus the policy events at start. The AUDIT messages are the test's own
    # `isogatectl stats` polls, not counted.
    other = len([e for e in events if e.get("msgid") not in ("VIOLATION", "AUDIT")])
    other_bound = 2 * int(window + 1) + 10
    check(other <= other_bound, f"non-violation messages ({other}, of which {len(faults)} faults) <= {other_bound}"
                                f" (two loss reporters at most once a second each over {window:.0f} s, + 10)")
    return bound


def check_memory(rss, pids, bounds, mgmtd):
    """1. Bounded memory: every sample's growth over the value before the storm."""
    asan = "libasan" in run("ldd", mgmtd, capture=True)
    for name in pids:
        for when in ("~15 s", "end"):
            grow = rss[when][name] - rss["before"][name]
            ok = grow <= bounds[name] or asan
            check(ok, f"{name} RSS at {when}: {rss[when][name]} KiB, +{grow} KiB over {rss['before'][name]}"
                      f" KiB (bound +{bounds[name]} KiB{'; not applied under ASan' if asan else ''})")


def start_storm_chain(topo, work, args, config):
    """Both storms' set-up: rsyslog, isogate-mgmtd (and when it started: the syslog rate's
    window opens there) and the gateway, not yet started, sending its events to the daemon."""
    syslog = Rsyslog(topo.gw, work).start()
    mgmtd = Mgmtd(args.mgmtd, topo.gw, config, work, ["--no-sensors"]).start()
    t_mgmtd = time.monotonic()
    gw = SyslogGateway(topo, args.gw, config, work, os.path.join(work, "gw.pid"),
                       mgmt_socket=mgmtd.events, syslog=syslog)
    return syslog, mgmtd, t_mgmtd, gw


def echo_rate(stream):
    """The stream's echo rate over 5 s before the storm: a baseline printed, never asserted."""
    n0, t0 = stream.oks(), time.monotonic()
    time.sleep(5)
    return (stream.oks() - n0) / (time.monotonic() - t0)


def run_storm(gens, stream, pids, seconds):
    """The storm, the same on both backends: RSS before / at ~15 s / at the end, and the
    stream's echoes during it; returns when the generators' time is up."""
    rss = {"before": rss_all(pids)}
    n1, t1 = stream.oks(), time.monotonic()
    gens.go()
    time.sleep(min(15, seconds / 4))
    rss["~15 s"] = rss_all(pids)
    sent, errors, sources = gens.results()
    t2 = time.monotonic()
    rss["end"] = rss_all(pids)
    rate_during = (stream.oks() - n1) / (t2 - t1)
    timeouts = sum(1 for x in stream.lines if x.startswith("timeout"))
    return rss, n1, t1, t2, sent, errors, sources, rate_during, timeouts


def wait_settled(settled, what, stats, syslog):
    """Both backends' wait for the counts to settle (a miss is a failure, and the numbers
    then say what is missing) and for rsyslog to write every message the daemon sent."""
    try:
        st = wait_for(settled, timeout=INTERVAL * 3 + 60, what=what)
    except AssertionError as e:
        check(False, str(e))
        st = stats()
    sent_msgs = st["syslog"][0]["sent"]
    wait_for(lambda: sum(1 for _ in open(syslog.path)) >= sent_msgs, timeout=30,
             what="rsyslog to write every message isogate-mgmtd sent")
    return st


def storm_messages(syslog):
    """What rsyslog got, read the same way on both backends: all, violation and fault messages,
    the storm's counts, its keyed messages with a wrong key, syslog loss and overflowed counts."""
    events = syslog.events()
    storm = [e for e in events if e.get("type") == "logical-isolation"]
    violations = [e for e in events if e.get("msgid") == "VIOLATION"]
    faults = [e for e in events if e.get("type") == "fault"]
    total = sum(int(e.get("count", "0")) for e in storm)
    wrong = [e for e in storm if e.get("overflow") != "true" and (
        e.get("from_zone"), e.get("to_zone"), e.get("dst"), e.get("dport")) !=
        ("extranet", "internet", HOSTS["internet"]["v4"], str(DENIED_PORT))]
    syslog_lost = sum(int(e.get("lost", "0")) for e in faults if e.get("component") == "syslog")
    overflowed = sum(int(e.get("count", "0")) for e in storm if e.get("overflow") == "true")
    return events, violations, faults, total, wrong, syslog_lost, overflowed


def check_keys(wrong):
    """Both storms: every keyed (not overflow) message names the storm's own flow."""
    check(not wrong, f"every keyed storm message names extranet -> internet {HOSTS['internet']['v4']}:"
                     f"{DENIED_PORT} ({wrong[:2]})")


def check_loss_rate_memory(syslog_lost, events, st, window, rss, pids, bounds, mgmtd):
    """Both storms' last checks: no syslog queue loss, 2. the bounded syslog rate (its bound is
    returned), 1. bounded memory."""
    check(syslog_lost == 0, f"no syslog queue loss (lost={syslog_lost})")
    bound = check_syslog_rate(events, st, window)
    check_memory(rss, pids, bounds, mgmtd)
    return bound


def summary_start(args, sources, sent, t1, t2):
    """The summary's first rows, the same on both backends."""
    return {
        "storm seconds / generator processes": f"{args.seconds} / {args.procs}",
        "distinct sources": sources,
        "packets sent": sent,
        "send rate (pps)": f"{sent / (t2 - t1):.0f}",
    }


def summary_end(summary, total, overflowed, syslog_lost, rates, timeouts, rss, pids):
    """Appends the summary's last rows (counts, syslog loss, the stream, RSS), the same on both backends."""
    summary.update({
        "sum of counts (logical-isolation)": total,
        "of which overflow buckets": overflowed,
        "syslog queue lost (reported)": syslog_lost,
        "stream echoes/s before / during": f"{rates[0]:.1f} / {rates[1]:.1f} ({timeouts} late)",
    })
    for name in pids:
        summary[f"RSS {name} KiB (before / 15 s / end)"] = \
            f"{rss['before'][name]} / {rss['~15 s'][name]} / {rss['end'][name]}"


def print_summary(summary):
    print("\nsummary of the storm")
    width = max((len(k) for k in summary), default=0)
    for k, v in summary.items():
        print(f"  {k:<{width}}  {v}")
    sys.stdout.flush()


def case_storm(topo, work, args):
    hosts = Hosts(topo, work).start()
    config = write_config(work, {"control": {"socket": os.path.join(work, "control.sock")},
                                 "events": {"syslog": [f"tcp://127.0.0.1:{SYSLOG_PORT}"],
                                            "aggregate_interval": INTERVAL}})
    syslog, mgmtd, t_mgmtd, gw = start_storm_chain(topo, work, args, config)
    stream, gens = None, None
    summary = {}
    try:
        gw.start()
        pids = {"isogate-gw": gw.proc.pid, "isogate-mgmtd": mgmtd.proc.pid, "rsyslogd": syslog.proc.pid}
        stream = kb.Stream(topo, "extranet", HOSTS["portal"]["v4"], 22)
        check(stream.wait_oks(10), f"allowed stream extranet->portal:22 established ({stream.lines[-3:]})")
        rate_before = echo_rate(stream)

        gens = Generators(topo, args.seconds, args.procs, args.sources)
        c0 = nft_counter(topo)
        l0 = link_stats(topo, "extranet", "eth0")
        g0 = link_stats(topo, "gw", "ext0")
        nl0 = nflog_socket_drops(topo, gw.proc.pid)
        rss, n1, t1, t2, sent, errors, sources, rate_during, timeouts = run_storm(gens, stream, pids, args.seconds)
        gens = None

        # 3. The allowed flow through the storm.
        check_stream(stream, n1, timeouts)

        # 4. Counters. Wait (on conditions) until isogate-mgmtd has emitted every count it took in
        # and rsyslog has written every message the daemon sent.
        def reported_now(component):
            with open(syslog.path, errors="replace") as f:
                return sum(int(m[1]) for m in re.finditer(r'component="%s" lost="(\d+)"' % component, f.read()))

        def settled():
            """Every storm packet is in the counts rsyslog got or in a reported loss, and
            isogate-mgmtd has nothing left to send. Loss reports come at most once a second and
            the gateway still works off its NFLOG backlog after the storm: poll, do not sleep."""
            st = ctl_stats(args.ctl, mgmtd.control)
            ein = st["events_in"].get("logical-isolation", 0)
            done = (ein == st["occurrences_out"].get("logical-isolation", 0) and st["syslog"][0]["queued"] == 0
                    and ein + reported_now("nflog") + reported_now("event-sender") >= nft_counter(topo) - c0)
            return st if done else None
        st = wait_settled(settled, "every storm packet counted or reported lost",
                          lambda: ctl_stats(args.ctl, mgmtd.control), syslog)
        window = time.monotonic() - t_mgmtd
        counted = nft_counter(topo) - c0
        l1 = link_stats(topo, "extranet", "eth0")
        g1 = link_stats(topo, "gw", "ext0")
        nflog_drops = nflog_socket_drops(topo, gw.proc.pid) - nl0
        veth_drops = (l1["tx"]["dropped"] - l0["tx"]["dropped"]) + (g1["rx"]["dropped"] - g0["rx"]["dropped"])

        events, violations, faults, total, wrong, syslog_lost, overflowed = storm_messages(syslog)
        nflog_faults = [e for e in faults if e.get("component") == "nflog"]
        nflog_reported = sum(int(e.get("lost", "0")) for e in nflog_faults)
        sender_lost = sum(int(e.get("lost", "0")) for e in faults if e.get("component") == "event-sender")

        check(errors == 0, f"the generators' sends all succeeded ({errors} errors)")
        check(counted + veth_drops == sent,
              f"nft counter {PAIR_COUNTER} ({counted}) + veth drops ({veth_drops}) == packets sent ({sent})")
        check(veth_drops == 0, f"veth dropped none of the generators' packets ({veth_drops})")
        check_keys(wrong)
        check(0 < total <= counted, f"sum of the counts of logical-isolation messages ({total}) <= nft counter"
                                    f" ({counted})")
        check(st["events_in"].get("logical-isolation", 0) == total,
              f"rsyslog got every count isogate-mgmtd took in ({total} of"
              f" {st['events_in'].get('logical-isolation', 0)})")
        if total < counted:
            check(nflog_reported > 0 or sender_lost > 0 or syslog_lost > 0,
                  f"{counted - total} violations missing from syslog, and a loss was reported (gateway NFLOG"
                  f" lost={nflog_reported}, gateway -> mgmtd lost={sender_lost}, syslog lost={syslog_lost})")
        # The kernel's own drop counter of the gateway's NFLOG socket is the ground truth of the
        # first stage: the gateway must report it (component="nflog"), never more than it was.
        check(nflog_reported == nflog_drops,
              f"the kernel dropped {nflog_drops} NFLOG messages for the gateway; the gateway reported"
              f" lost={nflog_reported} in {len(nflog_faults)} fault messages")
        # Every missing count is accounted for by a stage that reported it: what the NFLOG socket
        # dropped plus what the gateway could not hand to isogate-mgmtd. A syslog loss loses
        # messages whose counts are unknown; there is none here (asserted below). Not equality:
        # both loss counters also cover the few events of other kinds that met the same full
        # queues (a run measured 7 more reported than missing out of 5.4 million).
        check(counted - total <= nflog_drops + sender_lost,
              f"missing counts ({counted - total}) <= NFLOG socket drops ({nflog_drops}) +"
              f" gateway -> mgmtd lost ({sender_lost}); reported beyond the missing:"
              f" {nflog_drops + sender_lost - (counted - total)}")
        bound = check_loss_rate_memory(syslog_lost, events, st, window, rss, pids, RSS_BOUND_KIB, args.mgmtd)

        summary = summary_start(args, sources, sent, t1, t2)
        summary.update({
            f"nft counter {PAIR_COUNTER}": counted,
            "veth drops": veth_drops,
            "NFLOG socket drops (kernel)": nflog_drops,
            "gateway NFLOG loss reported (messages / lost)": f"{len(nflog_faults)} / {nflog_reported}",
            "gateway -> mgmtd lost (reported)": sender_lost,
            "mgmtd events in (logical-isolation)": st["events_in"].get("logical-isolation", 0),
            "syslog messages (all / violation / fault)": f"{len(events)} / {len(violations)} / {len(faults)}",
            "syslog message bound": bound,
        })
        summary_end(summary, total, overflowed, syslog_lost, (rate_before, rate_during), timeouts, rss, pids)
    finally:
        if gens:
            gens.kill()
        if stream:
            stream.stop()
        stop_chain(mgmtd, gw, syslog, hosts)
    print_summary(summary)


# --- the DPDK backend -----------------------------------------------------------------------

SOL_PACKET, PACKET_STATISTICS = 263, 6
SYS_PIDFD_GETFD = 438
_libc = ctypes.CDLL(None, use_errno=True)


def packet_socket_stats(topo, pid, ifname):
    """(received, dropped) that the kernel counted on the gateway's AF_PACKET sockets bound to
    `ifname` (net_af_packet's RX rings) since the previous call: PACKET_STATISTICS resets them
    when read, and net_af_packet never reads them, so the test owns them. `received` includes
    the dropped. The sockets are the gateway's own; their descriptors are borrowed with
    pidfd_getfd(2) (root)."""
    ifindex = json.loads(topo.sh("gw", "ip", "-j", "link", "show", ifname, capture=True))[0]["ifindex"]
    lines = topo.sh("gw", "cat", "/proc/net/packet", capture=True).splitlines()
    head = lines[0].split()
    inodes = {row["Inode"] for row in (dict(zip(head, line.split())) for line in lines[1:])
              if row.get("Iface") == str(ifindex)}
    received = dropped = found = 0
    pidfd = os.pidfd_open(pid)
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
            if not m or m[1] not in inodes:
                continue
            mine = _libc.syscall(SYS_PIDFD_GETFD, pidfd, int(fd), 0)
            if mine < 0:
                raise AssertionError(f"pidfd_getfd of the gateway's packet socket: {os.strerror(ctypes.get_errno())}")
            with socket.socket(fileno=mine) as sock:
                r, d = struct.unpack("II", sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
            received, dropped, found = received + r, dropped + d, found + 1
    finally:
        os.close(pidfd)
    if not found:
        raise AssertionError(f"no AF_PACKET socket of the gateway (pid {pid}) on {ifname}")
    return received, dropped


STORM_TABLE = "isogate_storm_count"


def add_storm_counter(topo):
    """An nftables counter in the extranet host's own output path (raw IP_HDRINCL sockets pass
    LOCAL_OUT) that counts the storm's packets as they leave: the generators' own count is
    checked against it, and the host's other frames are told apart from the storm's."""
    ruleset = (f"table ip {STORM_TABLE} {{\n  counter storm {{ }}\n"
               "  chain out {\n    type filter hook output priority 0; policy accept;\n"
               f"    ip daddr {HOSTS['internet']['v4']} udp dport {DENIED_PORT} counter name storm\n  }}\n}}\n")
    subprocess.run(["ip", "netns", "exec", topo.ns("extranet"), "nft", "-f", "-"], input=ruleset, text=True,
                   check=True)


def storm_counter(topo):
    out = topo.sh("extranet", "nft", "-j", "list", "counter", "ip", STORM_TABLE, "storm", capture=True)
    return next(o["counter"]["packets"] for o in json.loads(out)["nftables"] if "counter" in o)


def write_dpdk_storm_config(topo, work):
    """dpdk_topology's gateway config (one worker, af_packet ports) with the events and
    control sections of the kernel storm (syslog over TCP, the product's 10 s interval)."""
    doc = yaml.safe_load(topo.gateway_config(policy=os.path.join(work, "policy.yaml")))
    doc["events"] = {"syslog": [f"tcp://127.0.0.1:{SYSLOG_PORT}"], "aggregate_interval": INTERVAL}
    doc["control"] = {"socket": os.path.join(work, "control.sock")}
    path = os.path.join(work, "gateway.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path


def denied_now(st):
    """The DPDK data plane's counts of the storm's class in a stats reply: the extranet ->
    internet default-deny row, and the logical-isolation drop reason."""
    gw = st.get("gateway") or {}
    row = sum(r["packets"] for r in gw.get("pairs", []) if (r["from_zone"], r["to_zone"], r["verdict"], r["rule"])
              == ("extranet", "internet", "deny", ""))
    return row, gw.get("drops", {}).get("logical-isolation", 0), gw.get("events_dropped", 0)


def lost_reported(syslog, component):
    """Sum of `lost` of the fault messages of one component rsyslog has written so far."""
    with open(syslog.path, errors="replace") as f:
        return sum(int(m[1]) for m in re.finditer(r'component="%s"[^\]]*? lost="(\d+)"' % component, f.read()))


def case_storm_dpdk(topo, work, args):
    hosts = Hosts(topo, work).start()
    config = write_dpdk_storm_config(topo, work)
    syslog, mgmtd, t_mgmtd, gw = start_storm_chain(topo, work, args, config)
    stream, gens = None, None
    summary = {}
    try:
        gw.start(timeout=60.0)  # EAL init on a loaded machine; a bound for a broken run only
        pids = {"isogate-gw": gw.proc.pid, "isogate-mgmtd": mgmtd.proc.pid, "rsyslogd": syslog.proc.pid}
        # The allowed stream enters by another port than the storm (internet -> portal:443), so
        # that ext0 carries the storm alone and its packets are counted exactly; it shares the
        # data plane's one worker lcore with the storm. The extranet host gets a permanent
        # neighbour entry for the gateway: no ARP of its own on ext0 during the storm either.
        stream = kb.Stream(topo, "internet", HOSTS["portal"]["v4"], 443)
        check(stream.wait_oks(10, timeout=20), f"allowed stream internet->portal:443 established ({stream.lines[-3:]})")
        gw_mac = topo.sh("gw", "cat", "/sys/class/net/ext0/address", capture=True).strip()
        topo.sh("extranet", "ip", "neigh", "replace", LINKS["extranet"][1].split("/")[0], "lladdr", gw_mac,
                "nud", "permanent", "dev", "eth0")
        rate_before = echo_rate(stream)

        def stats():
            return ctl_stats(args.ctl, mgmtd.control)

        def fresh_stats(after):
            """A stats reply whose gateway report the daemon received after `after` reports
            (the gateway sends one every 2 s; the one before may predate the last packets)."""
            return wait_for(lambda: (lambda st: st if st["intake"]["stats"] > after + 1 and st.get("gateway")
                                     else None)(stats()), timeout=60, what="a fresh gateway stats report")

        add_storm_counter(topo)
        gens = Generators(topo, args.seconds, args.procs, args.sources)
        base = fresh_stats(stats()["intake"]["stats"])
        d0, r0, ring0 = denied_now(base)
        ein0 = base["events_in"].get("logical-isolation", 0)
        ring_rep0, sender0 = lost_reported(syslog, "event-ring"), lost_reported(syslog, "event-sender")
        packet_socket_stats(topo, gw.proc.pid, "ext0")  # resets the socket's counters
        h0 = link_stats(topo, "extranet", "eth0")
        g0 = link_stats(topo, "gw", "ext0")
        k0 = storm_counter(topo)
        rss, n1, t1, t2, sent, errors, sources, rate_during, timeouts = run_storm(gens, stream, pids, args.seconds)
        gens = None
        if args.break_accounting:
            sent += 1  # the self-test: a generator that miscounts by one packet must fail the test

        # 3. The allowed flow through the storm.
        check_stream(stream, n1, timeouts)
        # The socket's counters once the storm is over.
        sock_rx, sock_drops = packet_socket_stats(topo, gw.proc.pid, "ext0")
        h1 = link_stats(topo, "extranet", "eth0")
        g1 = link_stats(topo, "gw", "ext0")
        host_counted = storm_counter(topo) - k0

        # 4. Counters. Wait (on conditions) for a gateway report taken after the storm, and until
        # every denied packet is a count isogate-mgmtd took in or a reported loss, the daemon
        # has nothing left to send, and the ring loss it counted has been reported. The
        # gateway's own aggregator sends its counts once per interval: poll, do not sleep.
        after = stats()["intake"]["stats"]

        def settled():
            st = fresh_stats(after)
            d, _, ring = denied_now(st)
            ein = st["events_in"].get("logical-isolation", 0)
            ring_rep = lost_reported(syslog, "event-ring") - ring_rep0
            sender = lost_reported(syslog, "event-sender") - sender0
            done = (ein == st["occurrences_out"].get("logical-isolation", 0) and st["syslog"][0]["queued"] == 0
                    and ring_rep == ring - ring0 and (ein - ein0) + ring_rep + sender >= d - d0)
            return st if done else None
        st = wait_settled(settled, "every denied packet counted or reported lost", stats, syslog)
        window = time.monotonic() - t_mgmtd
        d1, r1, ring1 = denied_now(st)
        denied, denied_reason, ring_counted = d1 - d0, r1 - r0, ring1 - ring0
        taken_in = st["events_in"].get("logical-isolation", 0) - ein0
        host_tx = h1["tx"]["packets"] - h0["tx"]["packets"]
        veth_drops = (h1["tx"]["dropped"] - h0["tx"]["dropped"]) + (g1["rx"]["dropped"] - g0["rx"]["dropped"])

        events, violations, faults, total, wrong, syslog_lost, overflowed = storm_messages(syslog)
        ring_faults = [e for e in faults if e.get("component") == "event-ring"]
        ring_lost = sum(int(e.get("lost", "0")) for e in ring_faults) - ring_rep0
        sender_lost = sum(int(e.get("lost", "0")) for e in faults if e.get("component") == "event-sender") - sender0
        other_tx = host_tx - host_counted  # the extranet host's other frames (IPv6 ND/MLD, if any)

        check(errors == 0, f"the generators' sends all succeeded ({errors} errors)")
        check(host_counted == sent, f"the extranet host's kernel counted ({host_counted}) every storm packet the"
                                    f" generators sent ({sent})")
        check(veth_drops == 0, f"veth dropped none of the extranet host's frames ({veth_drops})")
        # The first stage: every frame the extranet host sent reached the gateway's socket on
        # ext0 (which counts what it received, dropped included).
        check(sock_rx == host_tx, f"the gateway's AF_PACKET socket on ext0 saw ({sock_rx}) every frame the"
                                  f" extranet host sent ({host_tx}: {host_counted} storm + {other_tx} other)")
        # The data plane: every storm packet the socket did not drop was counted as denied.
        # The socket may also have dropped some of the host's other frames (usually there are
        # none), never more than there were.
        missed = host_counted - denied
        check(0 <= missed <= sock_drops <= missed + other_tx,
              f"storm packets sent ({host_counted}) - counted denied by the data plane ({denied}) = {missed} <= dropped"
              f" by the socket ({sock_drops}) <= {missed} + the host's {other_tx} other frames")
        check(denied_reason == denied, f"drops[logical-isolation] ({denied_reason}) == the extranet -> internet"
                                       f" deny row ({denied})")
        check_keys(wrong)
        check(0 < total and st["events_in"].get("logical-isolation", 0) == total,
              f"rsyslog got every count isogate-mgmtd took in ({total} of"
              f" {st['events_in'].get('logical-isolation', 0)})")
        check(ring_lost == ring_counted,
              f"event-ring loss reported (lost={ring_lost} in {len(ring_faults)} messages) == the gateway's"
              f" events_dropped counter ({ring_counted})")
        check(denied == taken_in + ring_lost + sender_lost,
              f"denied ({denied}) == taken in by isogate-mgmtd ({taken_in}) + event-ring lost ({ring_lost}) +"
              f" gateway -> mgmtd lost ({sender_lost}) (difference {denied - taken_in - ring_lost - sender_lost})")
        bound = check_loss_rate_memory(syslog_lost, events, st, window, rss, pids, RSS_BOUND_KIB_DPDK, args.mgmtd)

        summary = summary_start(args, sources, sent, t1, t2)
        summary.update({
            "extranet host frames sent (storm + other)": f"{host_tx} ({host_counted} + {other_tx})",
            "gateway ext0 AF_PACKET socket: received / dropped": f"{sock_rx} / {sock_drops}",
            "data plane denied (extranet -> internet deny row)": denied,
            "data plane drops[logical-isolation]": denied_reason,
            "event-ring lost (events_dropped / reported, messages)":
                f"{ring_counted} / {ring_lost}, {len(ring_faults)}",
            "gateway -> mgmtd lost (reported, occurrences)": sender_lost,
            "mgmtd events in (logical-isolation)": taken_in,
            "syslog messages (all / violation / fault)": f"{len(events)} / {len(violations)} / {len(faults)}",
            "syslog message bound": bound,
            "syslog violation messages/s over the window": f"{len(violations) / window:.0f} ({window:.0f} s)",
        })
        summary_end(summary, total, overflowed, syslog_lost, (rate_before, rate_during), timeouts, rss, pids)
    finally:
        if gens:
            gens.kill()
        if stream:
            stream.stop()
        gw.stop()
        mgmtd.stop()
        syslog.stop()
        hosts.stop()
    print_summary(summary)


CASES = {"storm": case_storm, "storm-dpdk": case_storm_dpdk}


def main():
    ap = binaries_parser(CASES)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--sources", type=int, default=60000)
    ap.add_argument("--break-accounting", action="store_true",
                    help="self-test of storm-dpdk: count one packet more than the generators sent")
    args = parse_binaries(ap)
    work = kb.setup_workdir()
    topology = DpdkTopology("sdpk") if args.case == "storm-dpdk" else Topology("st" + args.case[:3])
    run_in_topology(topology, lambda topo: CASES[args.case](topo, work, args))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
