#!/usr/bin/python3
"""Least privilege (issue 6): isogate-gw (kernel backend) and isogate-mgmtd started as root with
`--user`, in the namespace topology, with a unix user and groups the test makes (removed at the
end).

Usage: test_privileges.py --gw GW --mgmtd MGMTD --ctl ISOGATECTL kernel|dpdk

Asserts, from /proc/PID/task/*/status of every thread: both daemons run as that user and its
group (real, effective, saved, fs ids), no_new_privs set, and exactly these capabilities:
  isogate-gw     CapEff = CapPrm = CapBnd = CAP_NET_ADMIN (0x1000) on its (only) thread
  isogate-mgmtd  none anywhere, with a sensor running on the monitor port mon0
and then that the work goes on: allowed probes pass and denied ones are blocked, a SIGHUP
reload of a changed policy is applied (policy-loaded with a new digest, kernel ruleset
changed, the newly allowed flow passes), `isogatectl reload` reaches the gateway through its
pidfile (isogate-mgmtd signals it as the same user), `isogatectl status` works as root and as a
member of the control group, SIGHUP makes isogate-mgmtd reopen a rotated JSON log (created by
the user, mode 0640), the audit trail verifies. Modes checked:
  control socket 0660 root:CTLGROUP, event socket 0660 USER:GROUP, audit trail 0640 USER,
  JSON log 0640 USER, policy history files 0640 USER, gateway pidfile 0644
and a bad --user name is a usage error naming the user (exit 2) for both daemons.

`dpdk`: isogate-gw with the DPDK backend over net_af_packet ports (dpdk_topology.py) and
--user: every thread (EAL lcores, interrupt thread) as that user with no capability at all,
bounding set empty; enforcement and a SIGHUP reload of a changed policy as above; without
--no-huge/--legacy-mem in dpdk.eal, --user is refused (exit 1) before the EAL starts.
"""

import grp
import os
import pwd
import signal
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_kernel_backend as kb  # noqa: E402
import test_mgmt_acceptance as ma  # noqa: E402
from harness import Hosts, binaries_parser, parse_binaries, run_in_topology  # noqa: E402
from scenarios import all_scenarios  # noqa: E402
from dpdk_topology import DpdkTopology  # noqa: E402
from topology import Topology  # noqa: E402

check = kb.check
CAP_NET_ADMIN = 1 << 12


class UserGateway(ma.PidGateway):
    """The gateway started with extra arguments (--user)."""

    def __init__(self, *a, extra=(), **kw):
        super().__init__(*a, **kw)
        self.extra = list(extra)

    def start(self, wait_event="policy-loaded", timeout=10.0):
        start_at = len(self.events())
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.topo.gw, self.binary, "--config", self.config,
                                      "--events-file", self.events_path, "--pidfile", self.pidfile]
                                     + (["--mgmt-socket", self.mgmt_socket] if self.mgmt_socket else [])
                                     + self.extra,
                                     stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "a"))
        self.wait_event(lambda e: e.get("type") in (wait_event, "policy-rejected", "fault"), since=start_at,
                        timeout=timeout)
        return self


def thread_credentials(pid):
    """{tid: {"Uid": [...], "Gid": [...], "CapEff": int, ...}} for every thread of `pid`."""
    out = {}
    for tid in sorted(os.listdir(f"/proc/{pid}/task")):
        c = {}
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Uid", "Gid"):
                    c[k] = [int(x) for x in v.split()]
                elif k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                    c[k] = int(v.strip(), 16)
                elif k == "NoNewPrivs":
                    c[k] = int(v.strip())
        out[tid] = c
    return out


def check_credentials(name, pid, uid, gid, caps):
    threads = thread_credentials(pid)
    want = {"Uid": [uid] * 4, "Gid": [gid] * 4, "CapInh": 0, "CapPrm": caps, "CapEff": caps, "CapBnd": caps,
            "CapAmb": 0, "NoNewPrivs": 1}
    for tid, c in threads.items():
        if tid != str(pid):  # other threads lost every capability with the uid change
            want_t = dict(want, CapPrm=0, CapEff=0)
        else:
            want_t = want
        bad = {k: (c.get(k), v) for k, v in want_t.items() if c.get(k) != v}
        check(not bad, f"{name} thread {tid}: runs as uid {uid} gid {gid} with CapEff {caps:#x}, bounding "
              f"{caps:#x}, no_new_privs (differs, got/want: {bad})")
    return threads


def check_mode(path, mode, user=None, group=None):
    st = os.stat(path)
    got = (stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name)
    ok = got[0] == mode and (user is None or got[1] == user) and (group is None or got[2] == group)
    check(ok, f"{os.path.basename(path)}: mode {mode:04o}" + (f" owner {user}" if user else "")
          + (f" group {group}" if group else "") + f" (got {got[0]:04o} {got[1]}:{got[2]})")


def case_kernel(topo, work, bins):
    tag = f"igp{os.getpid()}"
    with ma.Accounts() as acc:
        g_svc, g_ctl = acc.group(tag + "g"), acc.group(tag + "ctl")
        svc = acc.user(tag + "svc", primary=g_svc)
        operator = acc.user(tag + "op", primary=g_ctl)  # may connect to the control socket only
        uid, gid = pwd.getpwnam(svc).pw_uid, grp.getgrnam(g_svc).gr_gid
        # The daemons' files live in the work dir, which belongs to the service user as
        # /var/lib/isogate and /var/log/isogate do in the package; others may traverse it.
        os.chown(work, uid, gid)
        os.chmod(work, 0o755)
        json_log = os.path.join(work, "events.jsonl")
        config = ma.write_config(work, {
            "events": {"json": json_log, "aggregate_interval": 1},
            "control": {"socket": os.path.join(work, "control.sock"),
                        "roles": {"admin": ["root", operator]}}})

        # A user that does not exist: a usage error naming it, before anything is touched.
        for binary, name in ((bins.gw, "isogate-gw"), (bins.mgmtd, "isogate-mgmtd")):
            r = subprocess.run(["ip", "netns", "exec", topo.gw, binary, "--config", config, "--user", tag + "nosuch"]
                               + (["--control-socket", os.path.join(work, "x.sock"), "--event-socket",
                                   os.path.join(work, "x-ev.sock")] if name == "isogate-mgmtd" else []),
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 2 and f"--user: unknown user '{tag}nosuch'" in r.stderr,
                  f"{name} --user {tag}nosuch: exit 2 naming the user (rc={r.returncode}, {r.stderr.strip()!r})")

        hosts = Hosts(topo, work).start()
        mgmtd = ma.Mgmtd(bins.mgmtd, topo.gw, config, work, ["--control-group", g_ctl, "--user", svc]).start()
        gw = UserGateway(topo, bins.gw, config, work, os.path.join(work, "gw.pid"),
                         mgmt_socket=mgmtd.events, extra=["--user", svc])
        ctl = ma.Ctl(bins.ctl, mgmtd.control)
        try:
            gw.start()
            first = gw.wait_event(lambda e: e.get("type") == "policy-loaded")
            check("running as user " + svc in gw.stderr(), f"isogate-gw says it runs as {svc}")
            check_credentials("isogate-gw", gw.proc.pid, uid, gid, CAP_NET_ADMIN)
            threads = check_credentials("isogate-mgmtd", mgmtd.proc.pid, uid, gid, 0)
            check(len(threads) > 1, f"isogate-mgmtd has its worker threads ({len(threads)})")

            # Enforcement after the drop.
            scen = kb.sample(all_scenarios(), kb.SAMPLE)
            kb.check_scenarios(topo, hosts, gw, scen, label="[dropped] ")

            # SIGHUP reload of a changed policy, applied by the unprivileged gateway.
            check(not ma.ssh_from_internet(topo), "before the reload: internet -> extranet ssh is blocked")
            before = kb.stateless_ruleset(topo)
            ma.with_rule(work, ma.EXTRA_RULE)
            ev = gw.reload()
            check(ev.get("type") == "policy-loaded" and ev.get("policy") != first.get("policy"),
                  f"SIGHUP reload as {svc}: policy-loaded with a new digest ({ev})")
            check(kb.stateless_ruleset(topo) != before, "SIGHUP reload: the kernel ruleset changed")
            check(ma.ssh_from_internet(topo), "after the reload: internet -> extranet ssh passes")

            # The control socket, as root and as a member of its group.
            for who in (None, operator):
                rc, reply, err = ctl("status", user=who)
                res = ((reply or {}).get("result") or {}).get("daemon") or {}
                check(rc == 0 and res.get("pid") == mgmtd.proc.pid and res.get("sensors") == 1,
                      f"isogatectl status as {who or 'root'}: pid and one sensor (rc={rc} {err} {reply})")
            # isogate-mgmtd signals the gateway (same user) and writes the policy history.
            kb.write_policy(work, kb.load_policy(work) | {"name": "e2e-boundary-2"})
            since = len(gw.events())
            rc, reply, err = ctl("reload")
            check(rc == 0, f"isogatectl reload through isogate-mgmtd as {svc} (rc={rc} {err} {reply})")
            ev = gw.wait_event(lambda e: e.get("type") == "policy-loaded", since=since)
            check(ev.get("policy_name") == "e2e-boundary-2", f"the gateway loaded what isogatectl reload applied ({ev})")
            rc, reply, err = ctl("audit", "verify")
            check(rc == 0, f"isogatectl audit verify (rc={rc} {err} {reply})")

            # Log rotation: the JSON log moved away, SIGHUP, a new file made by the user.
            ma.wait_for(lambda: os.path.exists(json_log) and os.path.getsize(json_log) > 0, what="JSON log lines")
            os.rename(json_log, json_log + ".1")
            mgmtd.proc.send_signal(signal.SIGHUP)
            since = len(gw.events())
            gw.reload()  # an event for the new file
            ma.wait_for(lambda: os.path.exists(json_log) and os.path.getsize(json_log) > 0,
                        what="a new JSON log after SIGHUP")
            check_mode(json_log, 0o640, user=svc)

            check_mode(mgmtd.control, 0o660, user="root", group=g_ctl)
            check_mode(mgmtd.events, 0o660, user=svc, group=g_svc)
            check_mode(mgmtd.audit, 0o640, user=svc)
            check_mode(gw.pidfile, 0o644)
            history = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(work, "state")) for f in fs]
            check(history, f"policy history written ({history})")
            for h in history:
                check_mode(h, 0o640, user=svc)
            check(mgmtd.proc.poll() is None and gw.proc.poll() is None, "both daemons still running")
        finally:
            gw.stop()
            rc = mgmtd.stop()
            check(rc == 0, f"isogate-mgmtd stops cleanly as {svc} (rc={rc}): {mgmtd.log()[-800:]!r}")
            hosts.stop()


def case_dpdk(topo, work, bins):
    tag = f"igd{os.getpid()}"
    with ma.Accounts() as acc:
        g_svc = acc.group(tag + "g")
        svc = acc.user(tag + "svc", primary=g_svc)
        uid, gid = pwd.getpwnam(svc).pw_uid, grp.getgrnam(g_svc).gr_gid
        os.chmod(work, 0o755)  # the user reads policy.yaml here on reloads
        config = os.path.join(work, "gateway.yaml")
        text = topo.gateway_config()
        with open(config, "w") as f:
            f.write(text.replace('--no-huge, -m, "512", ', ""))
        r = subprocess.run(["ip", "netns", "exec", topo.gw, bins.gw, "--config", config, "--user", svc,
                            "--pidfile", os.path.join(work, "gw.pid")], capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "needs --legacy-mem or --no-huge" in r.stderr,
              f"dpdk --user with hugepages mapped on demand: refused (rc={r.returncode}, {r.stderr.strip()!r})")
        with open(config, "w") as f:
            f.write(text)
        hosts = Hosts(topo, work).start()
        gw = UserGateway(topo, bins.gw, config, work, os.path.join(work, "gw.pid"), extra=["--user", svc])
        try:
            gw.start(timeout=30.0)
            first = gw.wait_event(lambda e: e.get("type") == "policy-loaded")
            check("running as user " + svc in gw.stderr(), f"isogate-gw (dpdk) says it runs as {svc}")
            threads = check_credentials("isogate-gw (dpdk)", gw.proc.pid, uid, gid, 0)
            check(len(threads) > 1, f"isogate-gw (dpdk) has its EAL threads ({len(threads)})")
            scen = kb.sample(all_scenarios(), kb.SAMPLE)
            kb.check_scenarios(topo, hosts, gw, scen, label="[dpdk dropped] ")
            check(not ma.ssh_from_internet(topo), "[dpdk] before the reload: internet -> extranet ssh is blocked")
            ma.with_rule(work, ma.EXTRA_RULE)
            ev = gw.reload()
            check(ev.get("type") == "policy-loaded" and ev.get("policy") != first.get("policy"),
                  f"[dpdk] SIGHUP reload as {svc}: policy-loaded with a new digest ({ev})")
            check(ma.ssh_from_internet(topo), "[dpdk] after the reload: internet -> extranet ssh passes")
            check(gw.proc.poll() is None, "[dpdk] the gateway still runs")
        finally:
            rc = gw.stop()
            check(rc == 0, f"[dpdk] SIGTERM: exits 0 as {svc} (rc={rc}): {gw.stderr()[-600:]!r}")
            hosts.stop()


CASES = {"kernel": case_kernel, "dpdk": case_dpdk}


def main():
    args = parse_binaries(binaries_parser(CASES))
    work = kb.setup_workdir()
    run_in_topology((DpdkTopology if args.case == "dpdk" else Topology)("pv" + args.case[:4]),
                    lambda topo: CASES[args.case](topo, work, args))
    return kb.finish(work)


if __name__ == "__main__":
    sys.exit(main())
