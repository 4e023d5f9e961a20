#!/usr/bin/python3
"""The management chain (issue 5) with the DPDK backend, with real traffic and a real rsyslogd:
isogate-gw `backend: dpdk` over net_af_packet ports on the gateway namespace's veths
(dpdk_topology.py), isogate-mgmtd fed by its event socket, rsyslogd on the namespace's
loopback, isogatectl on the control socket. test_mgmt_acceptance.py proves the same chain
with the kernel backend; this file reuses its components (mgmtd runner, isogatectl, pidfile).

Usage: test_mgmt_dpdk.py --gw GW --mgmtd MGMTD --ctl ISOGATECTL CASE
  syslog   a sample of the shared scenarios (allowed and blocked, IPv4 and IPv6, physical and
           logical pairs, a deny rule, forged sources): every blocked probe arrives at rsyslog
           over TCP (octet counting) and over UDP as exactly the RFC 5424 message SPEC §4 and
           docs/events.md describe (header, SD-ID, parameters in order, message text); nothing
           for an allowed probe; policy-loaded (backend dpdk) and flow-allowed arrive too
  control  `isogatectl status` / `stats -j` with the DPDK gateway: backend dpdk, the digest the
           gateway reports, per zone pair counters that grow by what was sent (denied rows by
           exactly the blocked packets); `reload` through isogate-mgmtd reloads the DPDK
           gateway (a new rule works on traffic); `reload --confirm 3` not confirmed rolls back
           by itself (the rule it added stops working, the one before stays)
  sensor   with the DPDK gateway running: a device-less `monitor: true` tap of the extranet
           segment is isogate-mgmtd's libpcap sensor, which reports an intranet-addressed packet
           there as isolation-breach through rsyslog; the DPDK monitor port (mon0, with a
           device) is the data plane's: a packet the intranet host sends there is reported
           once, by the gateway, not a second time by a sensor of the daemon

Every case builds its own namespaces (unique names) and removes them on every exit path
(the namespaces' processes, rsyslogd and both daemons included, are killed with them).
Waits are on conditions, bounded only to end a broken run.
"""

import collections
import datetime
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
import test_mgmt_acceptance as ma  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from harness import (PY, Hosts, add_segment_tap, binaries_parser, inject_on_segment,  # noqa: E402
                     parse_binaries, run_in_topology, run_scenarios, whole_lines)
from scenarios import HOSTS, PROBES, SPOOFS, Scenario, all_scenarios  # noqa: E402
from topology import run  # noqa: E402

check = kb.check
wait_for = ma.wait_for
SYSLOG_PORT = ma.SYSLOG_PORT
GW_START_TIMEOUT = 60.0  # EAL init on a loaded CI machine; a bound for a broken run only

# --- RFC 5424, strictly --------------------------------------------------------------------

RFC5424 = re.compile(
    r'^<(?P<pri>\d{1,3})>(?P<version>1) (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<host>[!-~]{1,255}) '
    r'(?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) '
    r'\[(?P<sdid>[!-~]+?)(?P<params>(?: [a-z_]+="(?:[^"\\\]]|\\.)*")*)\](?: (?P<msg>.*))?$')
SD_PARAM = re.compile(r' ([a-z_]+)="((?:[^"\\\]]|\\.)*)"')


class Message:
    """One syslog line parsed as RFC 5424: header fields, the SD parameters in order, MSG."""

    def __init__(self, line):
        m = RFC5424.match(line)
        self.line, self.ok = line, m is not None
        if not m:
            return
        self.pri, self.version, self.host, self.app = int(m["pri"]), m["version"], m["host"], m["app"]
        self.procid, self.msgid, self.sdid, self.msg = m["procid"], m["msgid"], m["sdid"], m["msg"] or ""
        self.time = datetime.datetime.strptime(m["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        self.params = [(k, re.sub(r"\\(.)", r"\1", v)) for k, v in SD_PARAM.findall(m["params"])]
        self.sd = dict(self.params)

    def get(self, k, default=None):
        return self.sd.get(k, default)

    def key(self):
        """SPEC §4's aggregation key."""
        return tuple(self.sd.get(k) for k in ("type", "from_zone", "to_zone", "src", "dst", "dport"))

    def __repr__(self):
        return self.line


class DualRsyslog:
    """rsyslogd on 127.0.0.1 of namespace `ns` with a TCP (RFC 6587 octet counting) and a UDP
    input on one port, each written raw to its own file, so both transports are checked."""

    def __init__(self, ns, work):
        self.ns, self.work = ns, work
        self.paths = {t: os.path.join(work, f"syslog-{t}.raw") for t in ("tcp", "udp")}
        self.proc = None

    def start(self):
        conf = os.path.join(self.work, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f'global(workDirectory="{self.work}")\nmodule(load="imtcp")\nmodule(load="imudp")\n'
                    'template(name="raw" type="string" string="%rawmsg%\\n")\n')
            for t, path in self.paths.items():
                f.write(f'ruleset(name="{t}") {{\n  action(type="omfile" file="{path}" template="raw")\n}}\n'
                        f'input(type="im{t}" address="127.0.0.1" port="{SYSLOG_PORT}" ruleset="{t}")\n')
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, ma.RSYSLOGD, "-n", "-f", conf, "-i",
                                      os.path.join(self.work, "rsyslog.pid")],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, "rsyslog.log"), "a"))
        for flag in ("-Hltn", "-Hlun"):
            wait_for(lambda: run("ip", "netns", "exec", self.ns, "ss", flag, f"sport = :{SYSLOG_PORT}",
                                 capture=True).strip(), what=f"rsyslogd listening ({flag})")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def lines(self, transport="tcp"):
        if not os.path.exists(self.paths[transport]):
            return []
        return [line for line in whole_lines(self.paths[transport]) if line.strip()]

    def messages(self, transport="tcp"):
        return [Message(line) for line in self.lines(transport)]

    def wait(self, pred, transport="tcp", since=0, timeout=20.0, what="syslog message"):
        return wait_for(lambda: next((m for m in self.messages(transport)[since:] if m.ok and pred(m)), None),
                        timeout, what)


# --- the DPDK gateway with the management sections -----------------------------------------

def write_dpdk_config(topo, work, syslog_urls, extra_interfaces=()):
    """dpdk_topology's gateway config (af_packet ports, one worker) plus events and control."""
    doc = yaml.safe_load(topo.gateway_config(policy=os.path.join(work, "policy.yaml")))
    doc["interfaces"] += list(extra_interfaces)
    doc["events"] = {"syslog": list(syslog_urls), "aggregate_interval": 1}
    doc["control"] = {"socket": os.path.join(work, "control.sock")}
    path = os.path.join(work, "gateway.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return path


class Chain:
    """rsyslogd, isogate-mgmtd and the DPDK gateway in the gateway namespace, started in that
    order (the daemon's event socket exists before the gateway's first event) and stopped in
    reverse on every exit path."""

    def __init__(self, topo, work, bins, syslog_urls, mgmtd_args=("--no-sensors",), extra_interfaces=()):
        # The intake queue holds net.unix.max_dgram_qlen datagrams (default 10, docs/mgmtd.md):
        # raised so that the scenario bursts arrive whole and counts compare exactly.
        topo.sh("gw", "sysctl", "-qw", "net.unix.max_dgram_qlen=512")
        self.config = write_dpdk_config(topo, work, syslog_urls, extra_interfaces)
        self.syslog = self.mgmtd = self.gw = None
        try:
            self.syslog = DualRsyslog(topo.gw, work).start()
            self.mgmtd = ma.Mgmtd(bins.mgmtd, topo.gw, self.config, work, list(mgmtd_args)).start()
            self.gw = ma.PidGateway(topo, bins.gw, self.config, work, os.path.join(work, "gw.pid"),
                                    mgmt_socket=self.mgmtd.events)
            self.gw.start(timeout=GW_START_TIMEOUT)
            self.ctl = ma.Ctl(bins.ctl, self.mgmtd.control)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for part in (self.gw, self.mgmtd, self.syslog):
            if part is not None:
                try:
                    part.stop()
                except Exception as e:  # keep stopping the rest; the namespace teardown kills leftovers
                    print(f"stopping {type(part).__name__}: {e}", flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def loaded_digest(gw, since=0):
    e = gw.wait_event(lambda e: e.get("type") in ("policy-loaded", "policy-rejected"), since=since,
                      timeout=GW_START_TIMEOUT)
    if e.get("type") != "policy-loaded":
        raise AssertionError(f"the DPDK gateway rejected the policy: {e}")
    return e["policy"]


# --- the expected messages -----------------------------------------------------------------

SEVERITY = {"physical-isolation": 2, "isolation-breach": 2, "logical-isolation": 4, "spoofed-source": 4}
LOCAL4 = 20


def expected_violation(s, digest):
    """The SD parameters (in order) and MSG of the message for a blocked scenario `s`, as
    docs/events.md lists them; sport is None where the client's ephemeral port is unknown."""
    params = [("type", s.event_type), ("from_zone", s.src_zone), ("to_zone", s.dst_zone), ("src", s.src),
              ("dst", s.dst), ("proto", s.wire_proto)]
    if s.proto in ("tcp", "udp"):
        params += [("sport", None), ("dport", str(s.port))]
    else:
        params += [("icmp_type", "8" if s.family == "v4" else "128")]
    params += [("rule", s.rule), ("in_interface", IFACE[s.src_zone]), ("count", "1"), ("policy", digest),
               ("policy_name", "e2e-boundary")]
    return params, f"blocked {s.src_zone} -> {s.dst_zone}"


IFACE = {"extranet": "ext0", "portal": "por0", "internet": "inet0"}


def message_is(m, pri, msgid, params, text):
    """Why `m` is not exactly the message wanted, or "" when it is."""
    if not m.ok:
        return "not RFC 5424"
    head = (m.pri, m.version, m.host, m.app, m.procid, m.msgid, m.sdid)
    want = (pri, "1", "gw-e2e", "isogate", "-", msgid, "isogate@32473")
    if head != want:
        return f"header {head} != {want}"
    if [k for k, _ in m.params] != [k for k, _ in params]:
        return f"parameters {[k for k, _ in m.params]} != {[k for k, _ in params]}"
    for (k, v), (_, w) in zip(m.params, params):
        if w is None:
            if not (v.isdigit() and 1 <= int(v) <= 65535):
                return f"{k}={v!r} is not a port"
        elif v != w:
            return f"{k}={v!r} != {w!r}"
    if m.msg != text:
        return f"message {m.msg!r} != {text!r}"
    return ""


def spoof_as_scenario(sp):
    """A forged-source probe as the scenario fields its event must carry: the zones are the
    claimed source's and the destination's, the interface is the extranet's."""
    probe = PROBES[sp.probe]
    return Scenario("extranet", sp.dst_zone, sp.family, sp.probe, probe["proto"], probe["port"], sp.src, sp.dst,
                    False, "", sp.event_type)


def forged_expected(sp, digest):
    s = spoof_as_scenario(sp)
    params, _ = expected_violation(s, digest)
    params = [(k, sp.claimed_zone if k == "from_zone" else "40000" if k == "sport" else v) for k, v in params]
    return s, params, f"blocked {sp.claimed_zone} -> {sp.dst_zone}", f"forged {sp.name}"


SYSLOG_SAMPLE = [
    # allowed, both families, TCP / UDP / ICMP, one with log: true (flow-allowed)
    "internet->portal/v4/tcp-443", "internet->portal/v6/tcp-443", "extranet->portal/v4/tcp-22",
    "extranet->internet/v6/udp-53", "portal->internet/v4/echo", "extranet->portal/v6/echo",
    # logical pairs: default deny, and the deny rule no-ssh-from-portal
    "internet->extranet/v4/tcp-22", "internet->extranet/v6/udp-53", "internet->portal/v6/echo",
    "portal->extranet/v4/tcp-22", "portal->extranet/v6/tcp-22", "extranet->portal/v4/tcp-443",
    # physical pairs, both directions (intranet traffic only appears on the monitor port)
    "extranet->intranet/v4/tcp-443", "extranet->intranet/v6/echo", "portal->intranet/v4/udp-53",
    "internet->intranet/v6/tcp-22", "intranet->extranet/v4/tcp-22", "intranet->portal/v6/echo",
]


# --- cases ----------------------------------------------------------------------------------

def case_syslog(topo, work, bins):
    hosts = Hosts(topo, work).start()
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    urls = [f"tcp://127.0.0.1:{SYSLOG_PORT}", f"udp://127.0.0.1:{SYSLOG_PORT}"]
    try:
        with Chain(topo, work, bins, urls) as chain:
            gw, syslog = chain.gw, chain.syslog
            digest = loaded_digest(gw)
            scen = kb.sample(all_scenarios(), SYSLOG_SAMPLE)
            check(len(scen) == len(SYSLOG_SAMPLE), f"the sample names {len(scen)} scenarios of the table")
            kb.check_scenarios(topo, hosts, gw, scen, label="[dpdk] ")
            mark = hosts.mark()
            probes = [{"id": sp.name, "src": sp.src, "dst": sp.dst, "proto": PROBES[sp.probe]["proto"],
                       "port": PROBES[sp.probe]["port"], "timeout": 1} for sp in SPOOFS]
            subprocess.run(["ip", "netns", "exec", topo.ns("extranet"), PY, os.path.join(HERE, "probe.py")],
                           input=json.dumps(probes), text=True, capture_output=True, timeout=60, check=True)
            forged = [forged_expected(sp, digest) for sp in SPOOFS]  # (scenario, params, text, label)
            # What must arrive: one message per blocked probe the gateway reports, and per forged one.
            wanted = [(s,) + expected_violation(s, digest) + (s.name,)
                      for s in scen if not s.expect_pass and s.event_type]
            wanted += forged

            def first_of(msgs, s, params):
                """The first message carrying this probe's fields (all but count, sport, message)."""
                fixed = {k: v for k, v in params if k not in ("count", "sport") and v is not None}
                return next((m for m in msgs if m.ok and all(m.get(k) == v for k, v in fixed.items())), None)

            def gw_totals():
                t = collections.Counter()
                for e in gw.events():
                    if e.get("msgid") == "VIOLATION":
                        t[tuple(e.get(k) for k in ("type", "from_zone", "to_zone", "src", "dst", "dport"))] += \
                            int(e["count"])
                return t

            def totals(msgs):
                t = collections.Counter()
                for m in msgs:
                    if m.ok and m.msgid == "VIOLATION":
                        t[m.key()] += int(m.get("count", "0"))
                return t

            for transport in ("tcp", "udp"):
                label = f"[{transport}] "
                try:
                    wait_for(lambda: all(first_of(syslog.messages(transport), s, p) for s, p, _, _ in wanted)
                             and totals(syslog.messages(transport)) == gw_totals(),
                             what=f"every blocked probe's message over {transport}, counts as the gateway's")
                except AssertionError as e:
                    check(False, label + str(e))
                msgs = syslog.messages(transport)
                for s, params, text, name in wanted:
                    m = first_of(msgs, s, params)
                    why = "no message" if m is None else message_is(m, LOCAL4 * 8 + SEVERITY[s.event_type],
                                                                    "VIOLATION", params, text)
                    check(not why, f"{label}{name} {s.src}->{s.dst}: exactly the {s.event_type} message "
                                   f"({why or 'ok'}: {m})")
                    if m is not None:
                        check(started <= m.time <= datetime.datetime.now(datetime.timezone.utc),
                              f"{label}{name}: TIMESTAMP {m.time.isoformat()} is when the probe ran")
                        same = [x for x in msgs if x.ok and x.key() == m.key()]
                        check(all(x.msgid == "VIOLATION" and [kv for kv in x.params if kv[0] != "count"] ==
                                  [kv for kv in m.params if kv[0] != "count"] for x in same),
                              f"{label}{name}: its {len(same)} message(s) differ only in count")
                sent, got = gw_totals(), totals(msgs)
                check(sent == got, f"{label}per aggregation key the counts add up to the gateway's "
                                   f"({sum(sent.values())} occurrences; differ: {set(sent.items()) ^ set(got.items())})")
                for s in scen:
                    if s.expect_pass:
                        bad = [m for m in msgs if m.ok and m.msgid == "VIOLATION" and m.get("src") == s.src
                               and m.get("dst") == s.dst and m.get("proto") == s.wire_proto
                               and m.get("dport") == (str(s.port) if s.port else None)]
                        check(not bad, f"{label}no violation for the allowed {s.name} ({bad[:1]})")
                loaded = [m for m in msgs if m.ok and m.get("type") == "policy-loaded" and m.get("backend") == "dpdk"]
                why = message_is(loaded[0], LOCAL4 * 8 + 5, "POLICY", loaded[0].params, loaded[0].msg) \
                    if loaded else "none"
                check(loaded and not why and loaded[0].get("policy") == digest
                      and loaded[0].get("policy_name") == "e2e-boundary"
                      and loaded[0].get("file") == os.path.join(work, "policy.yaml"),
                      f"{label}policy-loaded from the DPDK gateway: <165> POLICY, digest, name, file ({why}: "
                      f"{loaded[:1]})")
                flow = [m for m in msgs if m.ok and m.get("type") == "flow-allowed"
                        and m.get("src") == HOSTS["extranet"]["v4"] and m.get("dst") == HOSTS["portal"]["v4"]]
                check(flow and flow[0].pri == LOCAL4 * 8 + 6 and flow[0].msgid == "FLOW"
                      and flow[0].get("rule") == "publish-content" and flow[0].get("ref") == "EX-2026-017"
                      and flow[0].get("dport") == "22" and flow[0].get("in_interface") == "ext0",
                      f"{label}flow-allowed for the log: true rule with its ref ({flow[:1]})")
                faults = [m for m in msgs if m.ok and m.msgid == "FAULT"]
                check(not faults, f"{label}no fault: nothing lost between gateway, daemon and rsyslog ({faults[:2]})")
                bad = [m.line for m in msgs if not m.ok]
                check(msgs and not bad, f"{label}all {len(msgs)} lines are RFC 5424 ({bad[:2]})")
            for sp in SPOOFS:
                proto = PROBES[sp.probe]["proto"]
                check(not kb.arrived(hosts, mark, sp.src, sp.dst, proto, PROBES[sp.probe]["port"]),
                      f"forged {sp.name}: dropped")
            check(sorted(syslog.lines("tcp")) == sorted(syslog.lines("udp")),
                  "the TCP and the UDP destination received the same messages")
            kb.nothing_reached_intranet(hosts)
    finally:
        hosts.stop()


def pair_packets(stats, frm, to, verdict, rule=None):
    """Packets of the rows of one zone pair and verdict (all rules, or one) in a stats reply."""
    return sum(r["packets"] for r in stats["gateway"]["pairs"] if r["from_zone"] == frm and r["to_zone"] == to
               and r["verdict"] == verdict and (rule is None or r["rule"] == rule))


def send_exact(topo, zone, packets):
    """Sends exactly the given scapy packets (expressions) from a host, once each."""
    code = ("from scapy.all import *\nconf.verb = 0\n"
            + "".join(f"send({p})\n" for p in packets))
    r = subprocess.run(["ip", "netns", "exec", topo.ns(zone), PY, "-c", code], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"scapy in {zone} failed: {r.stderr}")


def tcp_passes(topo, src_zone, dst, port):
    """One real TCP connect + echo; True when it got its echo (retransmits like a client)."""
    r = run_scenarios(topo, [Scenario(src_zone, "?", "v4", f"tcp-{port}", "tcp", port, "", dst, True, "", None)])
    return next(iter(r.values()))["reply"]


def tcp_blocked(topo, src_zone, dst, port):
    r = run_scenarios(topo, [Scenario(src_zone, "?", "v4", f"tcp-{port}", "tcp", port, "", dst, False, "", None)])
    return not next(iter(r.values()))["reply"]


VENDOR_SSH = ma.EXTRA_RULE  # internet -> extranet ssh, blocked by the fixture policy
VENDOR_WEB = {"name": "vendor-web", "from": "internet", "to": "extranet", "services": ["https"], "action": "allow"}


def case_control(topo, work, bins):
    hosts = Hosts(topo, work).start()
    try:
        with Chain(topo, work, bins, [f"tcp://127.0.0.1:{SYSLOG_PORT}"]) as chain:
            gw, ctl = chain.gw, chain.ctl
            d1 = loaded_digest(gw)

            rc, st, err = ctl("status")
            check(rc == 0 and st["result"]["policy"]["digest"] == d1 and st["result"]["policy"]["gateway_reports"] == d1,
                  f"status: the policy in force is the one the DPDK gateway reports ({d1}; rc={rc} {err} {st})")
            check(st["result"]["daemon"]["backend"] == "dpdk", f"status: backend dpdk ({st['result']['daemon']})")

            def stats():
                rc, reply, err = ctl("stats")
                if rc != 0:
                    raise AssertionError(f"stats failed (rc={rc}): {err} {reply}")
                return reply["result"]

            def fresh_stats(reports):
                """The stats once the daemon has received a gateway report after the `reports`th
                (the gateway sends one every few seconds: that one was taken after the traffic)."""
                return wait_for(lambda: (lambda s: s if s["intake"]["stats"] > reports else None)(stats()),
                                what="a gateway stats report taken after the traffic")

            try:
                base = wait_for(lambda: (lambda s: s if s.get("gateway") else None)(stats()),
                                what="the DPDK gateway's first stats report")
            except AssertionError as e:
                raise AssertionError(f"{e}: {stats()}")
            check(base["gateway"]["backend"] == "dpdk", f"stats -j: gateway backend dpdk ({base['gateway']})")
            check(2000 <= base["gateway"].get("report_period_ms", 0) <= 60000,
                  f"stats -j: the gateway's report period, 2 s unless dumps are slow ({base['gateway'].get('report_period_ms')!r})")

            # Traffic with known packet counts: 20 allowed pings extranet -> portal (requests and
            # replies), and exactly 7 + 5 + 4 denied packets on three pairs nobody else uses.
            n_ping = 20
            r = topo.sh("extranet", "ping", "-n", "-q", "-c", str(n_ping), "-i", "0.05", "-W", "2",
                        HOSTS["portal"]["v4"], check=False, capture=True)
            check(f"{n_ping} received" in r, f"{n_ping} pings extranet -> portal answered ({r.strip()[-80:]})")
            ext, por, inet = HOSTS["extranet"]["v4"], HOSTS["portal"]["v4"], HOSTS["internet"]["v4"]
            n_default, n_rule, n_phys = 7, 5, 4
            send_exact(topo, "internet", [f"IP(dst='{ext}')/UDP(sport=41000+{i}, dport=161)" for i in range(n_default)])
            send_exact(topo, "portal", [f"IP(dst='{ext}')/TCP(sport=42000+{i}, dport=22, flags='S')"
                                        for i in range(n_rule)])
            send_exact(topo, "extranet", [f"IP(dst='{HOSTS['intranet']['v4']}')/UDP(sport=43000+{i}, dport=53)"
                                          for i in range(n_phys)])
            for dst, port in ((ext, 161), (ext, 22), (HOSTS["intranet"]["v4"], 53)):
                check(not any(rec.get("dst") == dst and rec.get("dport") == port
                              for z in ("extranet", "intranet") for rec in hosts.wire(z)),
                      f"denied packets to {dst}:{port} never arrived")
            reports = stats()["intake"]["stats"]
            want = {("extranet", "portal", "allow", None): n_ping,
                    ("internet", "extranet", "deny", ""): n_default,
                    ("portal", "extranet", "deny", "no-ssh-from-portal"): n_rule,
                    ("extranet", "intranet", "deny", ""): n_phys}
            try:
                wait_for(lambda: all(pair_packets(stats(), *k) - pair_packets(base, *k) >= n for k, n in want.items()),
                         what="the counters to reach what was sent")
            except AssertionError as e:
                check(False, str(e))
            now = fresh_stats(reports)
            for (frm, to, verdict, rule), n in want.items():
                got = pair_packets(now, frm, to, verdict, rule) - pair_packets(base, frm, to, verdict, rule)
                exact = verdict == "deny"
                check(got == n if exact else got >= n,
                      f"stats: {frm} -> {to} {verdict}{' rule ' + rule if rule else ''} grew by {got} "
                      f"({'exactly ' if exact else 'at least '}{n} sent)")
            back = pair_packets(now, "portal", "extranet", "allow") - pair_packets(base, "portal", "extranet", "allow")
            fwd = pair_packets(now, "extranet", "portal", "allow") - pair_packets(base, "extranet", "portal", "allow")
            check(fwd + back >= 2 * n_ping, f"stats: the pings' requests and replies are counted ({fwd} + {back} >= "
                                           f"{2 * n_ping})")
            drops, drops0 = now["gateway"]["drops"], base["gateway"]["drops"]
            for reason, n in (("logical-isolation", n_default), ("rule-deny", n_rule), ("physical-isolation", n_phys)):
                got = drops.get(reason, 0) - drops0.get(reason, 0)
                check(got >= n, f"stats: drops[{reason}] grew by {got} (>= {n})")

            # `reload` through the daemon: the DPDK gateway loads the officer's edit.
            check(tcp_blocked(topo, "internet", ext, 22), "before: internet -> extranet ssh is blocked")
            ma.with_rule(work, VENDOR_SSH)
            since = len(gw.events())
            rc, reply, err = ctl("reload")
            check(rc == 0 and reply["result"]["gateway_notified"] and reply["result"]["previous"] == d1,
                  f"reload applied and the DPDK gateway signalled (rc={rc} {err} {reply})")
            d2 = loaded_digest(gw, since)
            check(d2 == reply["result"]["digest"] != d1, f"the DPDK gateway loaded the new policy ({d2})")
            check(tcp_passes(topo, "internet", ext, 22), "after reload: internet -> extranet ssh passes")
            check(tcp_blocked(topo, "internet", ext, 443), "after reload: internet -> extranet https still blocked")
            _, st, _ = ctl("status")
            check(st["result"]["policy"]["gateway_reports"] == d2, f"status: the gateway reports {d2}")

            # `reload --confirm 3`, never confirmed: the daemon rolls the DPDK gateway back by itself.
            ma.with_rule(work, VENDOR_WEB)
            since = len(gw.events())
            rc, reply, err = ctl("reload", "--confirm", "3")
            check(rc == 0 and reply["result"]["confirm_deadline"] and reply["result"]["previous"] == d2,
                  f"reload --confirm 3 applied (rc={rc} {err} {reply})")
            d3 = loaded_digest(gw, since)
            check(d3 == reply["result"]["digest"] not in (d1, d2), "the DPDK gateway runs the unconfirmed policy")
            check(tcp_passes(topo, "internet", ext, 443), "while pending: internet -> extranet https passes")
            since = len(gw.events())
            back_digest = loaded_digest(gw, since)
            check(back_digest == d2, f"rolled back by itself to {d2} (the gateway reports {back_digest})")
            check(tcp_blocked(topo, "internet", ext, 443), "after the rollback: https blocked again (old policy)")
            check(tcp_passes(topo, "internet", ext, 22), "after the rollback: ssh still passes (the policy before)")
            _, st, _ = ctl("status")
            check(st["result"]["policy"]["digest"] == d2 and st["result"]["pending_confirm"] is None
                  and st["result"]["policy"]["gateway_reports"] == d2,
                  f"status: {d2} in force and reported by the gateway, nothing pending")
            rc, reply, _ = ctl("audit", "show", "--limit", "100")
            auto = [r for r in reply["result"]["records"] if r["action"] == "auto-rollback"]
            check(len(auto) == 1 and auto[0]["result"] == "ok" and auto[0]["details"]["digest"] == d2
                  and auto[0]["details"]["rolled_back"] == d3, f"audit trail: the automatic rollback ({auto})")
            kb.nothing_reached_intranet(hosts)
    finally:
        hosts.stop()


def case_sensor(topo, work, bins):
    # A tap of the extranet segment without a DPDK device: isogate-mgmtd's libpcap sensor. The
    # tap's gateway end has no address and no IPv6 (it never transmits); scapy puts frames on
    # the segment from the extranet host's end.
    ns_seg = add_segment_tap(topo)
    hosts = Hosts(topo, work).start()
    try:
        with Chain(topo, work, bins, [f"tcp://127.0.0.1:{SYSLOG_PORT}"], mgmtd_args=(),
                   extra_interfaces=[{"name": "tapx0", "zone": "extranet", "monitor": True}]) as chain:
            gw, ctl, syslog = chain.gw, chain.ctl, chain.syslog
            digest = loaded_digest(gw)

            def sensors():
                return ctl("stats")[1]["result"]["sensors"]

            rc, st, err = ctl("status")
            check(rc == 0 and st["result"]["daemon"]["sensors"] == 1,
                  f"one sensor: the device-less tap (mon0 is the DPDK data plane's) ({st and st['result']['daemon']})")
            check(not [m for m in syslog.messages() if m.ok and m.msgid == "FAULT"],
                  f"no sensor fault at start ({[m for m in syslog.messages() if m.msgid == 'FAULT'][:2]})")

            def inject(pkt):
                inject_on_segment(ns_seg, pkt)

            inject("IP(src='10.20.1.7', dst='10.20.1.8')/UDP(sport=5000, dport=53)")
            wait_for(lambda: sensors()["frames"] >= 1, what="the sensor to see the clean frame")
            check(sensors()["breaches"] == 0, "a clean extranet frame on the tap is no breach")
            inject("IP(src='10.20.1.7', dst='10.10.1.5')/TCP(sport=40000, dport=445, flags='S')")
            inject("IPv6(src='fd20::7', dst='fd10::5')/UDP(sport=40001, dport=161)")
            for src, dst, proto, sport, dport in (("10.20.1.7", "10.10.1.5", "tcp", "40000", "445"),
                                                  ("fd20::7", "fd10::5", "udp", "40001", "161")):
                params = [("type", "isolation-breach"), ("from_zone", "extranet"), ("to_zone", "intranet"),
                          ("src", src), ("dst", dst), ("proto", proto), ("sport", sport), ("dport", dport),
                          ("rule", ""), ("segment", "extranet"), ("interface", "tapx0"), ("seen_zone", "intranet"),
                          ("count", "1"), ("policy", digest), ("policy_name", "e2e-boundary")]
                try:
                    m = syslog.wait(lambda m: m.get("type") == "isolation-breach" and m.get("src") == src,
                                    what=f"isolation-breach {src} -> {dst}")
                except AssertionError as e:
                    check(False, str(e))
                    continue
                # The field order is the sensor's own (mgmt/segment_inspector.cc); the values are SPEC §4's.
                got = sorted(m.params)
                check(m.pri == 162 and m.msgid == "VIOLATION" and m.host == "gw-e2e" and got == sorted(params),
                      f"sensor: isolation-breach {src} -> {dst} with every field ({m})")
            check(sensors()["breaches"] == 2, f"the sensor counted 2 breaches ({sensors()})")

            # The DPDK monitor port: the intranet host's packet there is the data plane's to
            # report (once, naming the port), not also a libpcap sensor's of the daemon.
            since = len(syslog.messages())
            send_exact(topo, "intranet", [f"IP(dst='{HOSTS['extranet']['v4']}')/UDP(sport=44000, dport=53)"])
            try:
                syslog.wait(lambda m: m.get("src") == HOSTS["intranet"]["v4"] and m.get("dport") == "53",
                            since=since, what="the monitor port's report")
            except AssertionError as e:
                check(False, str(e))
            # Both reporters, if there were two, run within 10 ms of each other; wait for the
            # gateway's aggregation interval to pass so a second report had every chance.
            wait_for(lambda: len(gw.events()) and any(e.get("src") == HOSTS["intranet"]["v4"] for e in gw.events()),
                     what="the gateway's own record of it")
            mgmt_quiet = sensors()["frames"]
            reports = [m for m in syslog.messages()[since:] if m.ok and m.msgid == "VIOLATION"
                       and m.get("src") == HOSTS["intranet"]["v4"] and m.get("dport") == "53"]
            check(len(reports) == 1 and reports[0].get("type") == "isolation-breach"
                  and reports[0].get("in_interface") == "mon0",
                  f"the monitor port's packet is reported once, by the DPDK gateway on mon0 ({reports}; "
                  f"sensor frames {mgmt_quiet})")
            kb.nothing_reached_intranet(hosts)
    finally:
        hosts.stop()


CASES = {"syslog": case_syslog, "control": case_control, "sensor": case_sensor}


def main():
    args = parse_binaries(binaries_parser(CASES))
    work = kb.setup_workdir()
    run_in_topology(DpdkTopology("q" + args.case[:4]), lambda topo: CASES[args.case](topo, work, args))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
