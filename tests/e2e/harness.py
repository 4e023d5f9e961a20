"""Drives the e2e topology: host agents, probe batches, wire logs, the gateway process and
its event output. Backend-neutral except for `Gateway` (the isogate-gw process)."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from scenarios import HOSTS, PROBES, ZONES
from topology import run

PY = "/usr/bin/python3"  # the system python has scapy and yaml
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_PORTS = [22, 53, 443, 8080, 8081, 8082]
BINARIES = ("gw", "mgmtd", "ctl")
FAILURES = []


# --- a driver's assertions, command line and exit status ----------------------------------

def check(cond, what):
    """Records one assertion: printed PASS/FAIL, and a failure makes the driver exit 1."""
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)
    return cond


def finish(work):
    """A driver's exit status: 1 when an assertion failed (the work dir is kept for the
    post-mortem), else 0 with the work dir removed."""
    if FAILURES:
        print(f"{len(FAILURES)} assertion(s) failed; work dir {work}", flush=True)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("all assertions passed", flush=True)
    return 0


def binaries_parser(cases=None):
    """The command line every driver of all three binaries shares, so each adds only its own options."""
    ap = argparse.ArgumentParser()
    for k in BINARIES:
        ap.add_argument(f"--{k}", required=True)
    if cases is not None:
        ap.add_argument("case", choices=sorted(cases))
    return ap


def parse_binaries(ap):
    """Parses with the binaries' paths made absolute: the cases start them from other directories."""
    args = ap.parse_args()
    for k in BINARIES:
        setattr(args, k, os.path.abspath(getattr(args, k)))
    return args


def write_gateway_config(topo, work, workers):
    """Replaces the work dir's kernel gateway.yaml with the DPDK topology's (af_packet ports)."""
    with open(os.path.join(work, "gateway.yaml"), "w") as f:
        f.write(topo.gateway_config(workers=workers))


def run_in_topology(topology, case):
    """Runs case(topo) in a topology torn down on every exit; an assertion that aborts it is a failure."""
    with topology as topo:
        try:
            case(topo)
        except AssertionError as e:
            check(False, f"aborted: {e}")


def run_with_hosts(topology, work, case, prepare=None):
    """run_in_topology with prepare(topo) first and then the host agents, stopped on every exit."""
    def body(topo):
        if prepare:
            prepare(topo)
        hosts = Hosts(topo, work).start()
        try:
            case(topo, hosts)
        finally:
            hosts.stop()
    run_in_topology(topology, body)


class Hosts:
    """One agent (echo servers + wire witness) per host namespace."""

    def __init__(self, topo, workdir):
        self.topo = topo
        self.workdir = workdir
        self.procs = []
        self.logs = {}

    def start(self):
        for zone in ZONES:
            log = os.path.join(self.workdir, f"wire-{zone}.jsonl")
            self.logs[zone] = log
            p = subprocess.Popen(["ip", "netns", "exec", self.topo.ns(zone), PY, os.path.join(HERE, "hostagent.py"),
                                  log] + [str(x) for x in SERVER_PORTS], stdout=subprocess.PIPE, text=True)
            self.procs.append(p)
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError(f"host agent in {zone} did not start")
        return self

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()

    def wire(self, zone):
        """Every packet the zone's host has seen arrive so far."""
        return [json.loads(line) for line in whole_lines(self.logs[zone]) if line.strip()]

    def mark(self):
        """Positions in the wire logs, to look only at what arrives afterwards."""
        return {z: len(self.wire(z)) for z in ZONES}

    def wire_since(self, zone, mark):
        return self.wire(zone)[mark[zone]:]


def run_probes(topo, zone, probes):
    """Runs a batch of probes concurrently from the host of `zone`; id -> result."""
    if not probes:
        return {}
    r = subprocess.run(["ip", "netns", "exec", topo.ns(zone), PY, os.path.join(HERE, "probe.py")],
                       input=json.dumps(probes), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"probe batch in {zone} failed: {r.stderr}")
    return json.loads(r.stdout)


def run_scenarios(topo, scenarios, timeout=2.0, pass_timeout=4.5):
    """All scenarios at once, one batch per source host (in parallel); name -> result.

    A probe expected to pass waits longer: a real client whose first SYN or datagram is lost
    (neighbour discovery still resolving on a link just brought up) retries after 1 s and
    again after 3 s and still succeeds. Blocked probes run in parallel with them, so the
    batch takes no longer when everything passes."""
    batches = {}
    for s in scenarios:
        batches.setdefault(s.src_zone, []).append(
            {"id": s.name, "proto": s.proto, "dst": s.dst, "port": s.port,
             "timeout": pass_timeout if s.expect_pass else timeout, "retry": s.expect_pass})
    procs = {}
    for zone, probes in batches.items():
        procs[zone] = subprocess.Popen(["ip", "netns", "exec", topo.ns(zone), PY, os.path.join(HERE, "probe.py")],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs[zone].stdin.write(json.dumps(probes))
        procs[zone].stdin.close()
    results = {}
    for zone, p in procs.items():
        out = p.stdout.read()
        p.wait(timeout=60)
        results.update(json.loads(out))
    return results


def arrived(hosts, mark, s_src, s_dst, proto, port):
    """Whether a probe's first packet (request direction) reached any host's wire."""
    for zone in ZONES:
        for rec in hosts.wire_since(zone, mark):
            if rec.get("src") != s_src or rec.get("dst") != s_dst:
                continue
            if proto in ("tcp", "udp") and rec.get("proto") == proto and rec.get("dport") == port:
                return True
            if proto == "icmp" and rec.get("proto") in ("icmp", "icmpv6") and rec.get("icmp_type") in (8, 128):
                return True
    return False


# --- the gateway process and its events -------------------------------------------------

SD_PARAM = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


def whole_lines(path):
    """The lines of a log another process is appending to, without the one it may be writing.

    A reader can see a line half written: the kernel makes a write that crosses a page
    boundary visible one page at a time (a wire log once failed to parse this way in CI)."""
    with open(path, "rb") as f:
        data = f.read()
    return data[:data.rfind(b"\n") + 1].decode("utf-8", "replace").splitlines()


def parse_event(line):
    """An RFC 5424 line of the gateway -> dict of its structured data (+ msgid, severity)."""
    m = re.match(r"<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[.*?\](?=\s|$)|-)\s?(.*)$", line)
    if not m:
        return None
    ev = {"pri": int(m.group(1)), "host": m.group(3), "app": m.group(4), "msgid": m.group(6),
          "msg": m.group(8)}
    for k, v in SD_PARAM.findall(m.group(7)):
        ev[k] = re.sub(r"\\(.)", r"\1", v)
    return ev


class Gateway:
    def __init__(self, topo, binary, config, workdir, mgmt_socket=None):
        self.mgmt_socket = mgmt_socket
        self.topo = topo
        self.binary = binary
        self.config = config
        self.events_path = os.path.join(workdir, "events.log")
        self.stderr_path = os.path.join(workdir, "gw.stderr")
        self.proc = None

    def start(self, wait_event="policy-loaded", timeout=30.0):
        start_at = len(self.events())
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.topo.gw, self.binary, "--config", self.config,
                                      "--events-file", self.events_path]
                                     + (["--mgmt-socket", self.mgmt_socket] if self.mgmt_socket else []),
                                     stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "a"))
        if wait_event:
            self.wait_event(lambda e: e.get("type") in (wait_event, "policy-rejected", "fault"), since=start_at,
                            timeout=timeout)
        return self

    def events(self):
        if not os.path.exists(self.events_path):
            return []
        return [e for e in (parse_event(line) for line in whole_lines(self.events_path)) if e]

    def wait_event(self, pred, since=0, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events()[since:]:
                if pred(e):
                    return e
            if self.proc and self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no matching event (gateway {'exited' if self.proc and self.proc.poll() is not None else 'running'});"
                             f" stderr: {self.stderr()[-2000:]}")

    def stderr(self):
        try:
            with open(self.stderr_path) as f:
                return f.read()
        except OSError:
            return ""

    def send(self, sig):
        self.proc.send_signal(sig)

    def reload(self):
        """SIGHUP; returns the policy-loaded / policy-rejected event it produced."""
        since = len(self.events())
        self.send(signal.SIGHUP)
        return self.wait_event(lambda e: e.get("type") in ("policy-loaded", "policy-rejected", "fault"), since=since)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None


class MgmtStub:
    """Stands in for isogate-mgmtd's event socket: collects the datagrams the gateway sends."""

    def __init__(self, path):
        import socket
        import threading
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.bind(path)
        self.datagrams = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            self.datagrams.append(json.loads(data))

    def events(self):
        return [dict(d.get("fields", []), type=d.get("type")) for d in self.datagrams if d.get("kind") == "event"]

    def close(self):
        self.sock.close()


def add_segment_tap(topo):
    """The sensor's tap of the extranet segment, one for every sensor case: tapx0 in the gateway
    namespace (no address, no IPv6: it never transmits), seg0 in the extranet host's; returns
    the namespace where frames are put on the segment."""
    ns_seg = topo.ns("extranet")
    run("ip", "link", "add", "tapx0", "netns", topo.gw, "type", "veth", "peer", "name", "seg0", "netns", ns_seg)
    topo.sh("gw", "sysctl", "-qw", "net.ipv6.conf.tapx0.disable_ipv6=1")
    topo.sh("extranet", "sysctl", "-qw", "net.ipv6.conf.seg0.disable_ipv6=1")
    topo.sh("gw", "ip", "link", "set", "tapx0", "up")
    topo.sh("extranet", "ip", "link", "set", "seg0", "up")
    return ns_seg


def inject_on_segment(ns_seg, pkt):
    """Puts one frame (a scapy expression below a fixed Ether header) on the tapped segment."""
    r = subprocess.run(["ip", "netns", "exec", ns_seg, PY, "-c",
                        "from scapy.all import *\nconf.verb = 0\n"
                        f"sendp(Ether(src='02:00:00:00:20:07', dst='02:00:00:00:20:08')/{pkt}, iface='seg0')"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"scapy failed: {r.stderr}")


def make_workdir():
    return tempfile.mkdtemp(prefix="isogate-e2e-")
