#!/usr/bin/python3
"""End-to-end test of the Debian package (ctest e2e_package, label e2e; needs root).

What it does, on this machine (there is no systemd as PID 1 here; docs/deployment.md §9):
 1. builds the .deb with cpack from the build tree and checks its control data (Depends
    from dpkg-shlibdeps, conffiles, maintainer scripts) and its file list;
 2. `dpkg -i` into the real system (refused if an isogate package is already installed),
    then checks binaries, man pages, /etc/isogate, the `isogate` user and the role groups,
    `isogate-policy check` of the installed policy + gateway config; `dpkg -i` again (the
    upgrade path) keeps the user, an edited conffile and the directory's mode;
 3. `systemd-analyze verify` of both units (offline) and their `systemd-analyze security`
    exposure (at most 3.0), plus the unit lines users rely on (reload = SIGHUP, user,
    capabilities, ordering);
 4. starts the installed daemons the way their units' ExecStart/ExecStartPost lines do
    (read from the installed unit files: same command lines, User=, Group=,
    SupplementaryGroups=, AmbientCapabilities=, CapabilityBoundingSet=, NoNewPrivileges=,
    UMask=, the Runtime/State/LogsDirectory= directories with their owner and mode, here
    private tmpfs mounts), in a network namespace topology whose interfaces are named as in
    /etc/isogate/gateway.yaml, with the kernel backend; checks that an allowed connection
    passes, a denied one never arrives and is reported over syslog, the sensor sees a forged
    address on the intranet tap, the control socket's group and roles work, and that
    `isogatectl reload` (through the gateway's --pidfile) and the unit's ExecReload
    (= systemctl reload) make the gateway load the policy again;
 5. always: stops the daemons, removes the namespaces, `dpkg --purge`, removes the users,
    groups and (empty) directories that did not exist before the test.
Not covered (needs systemd as PID 1): the sandboxing options themselves (ProtectSystem=,
PrivateTmp=, SystemCallFilter=, ...), unit ordering and restarts at run time, `systemctl`.
"""

import argparse
import glob
import grp
import gzip
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

PID = os.getpid()
GW_NS = f"igp-gw-{PID}"
HOST_NS = {"extranet": f"igp-ext-{PID}", "portal": f"igp-por-{PID}",
           "internet": f"igp-inet-{PID}", "intranet": f"igp-intra-{PID}"}
# zone -> (gateway interface as named in /etc/isogate/gateway.yaml, gateway address, host address)
LINKS = {"extranet": ("ext0", "10.20.0.1/16", "10.20.1.10/16"),
         "portal": ("portal0", "172.16.30.1/24", "172.16.30.10/24"),
         "internet": ("inet0", "203.0.113.2/24", "203.0.113.1/24")}
MONITOR = ("intranet", "intra-tap")
USERS = ["isogate"]
GROUPS = ["isogate", "isogate-ctl", "isogate-officer", "isogate-audit"]
DIRS = ["/run/isogate", "/var/lib/isogate", "/var/log/isogate"]
AUDITOR = f"igp-aud-{PID}"      # a temporary auditor account for the role checks
OUTSIDER = f"igp-out-{PID}"     # a temporary account in no isogate group

failures = []
CPACK = "cpack"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def run(*args, check_rc=True, env=None, user_input=None):
    r = subprocess.run(list(args), text=True, capture_output=True, env=env, input=user_input)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def wait_for(predicate, what, seconds=15.0):
    """Bounded wait for something that must happen; the outcome is the predicate's."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return check(predicate(), what + " (waited %.0f s)" % seconds)


# ---------------------------------------------------------------- the package itself

def build_deb(build_dir, out_dir):
    cfg = os.path.join(build_dir, "CPackConfig.cmake")
    if not os.path.exists(cfg):
        raise RuntimeError(f"{cfg} missing: configure the build tree first")
    run(CPACK, "--config", cfg, "-B", out_dir)
    debs = glob.glob(os.path.join(out_dir, "isogate_*.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"cpack made {debs}, expected one isogate_*.deb")
    return debs[0]


def check_deb(deb):
    info = run("dpkg-deb", "--field", deb).stdout
    depends = re.search(r"^Depends: (.*)$", info, re.M)
    depends = depends.group(1) if depends else ""
    check("adduser" in depends, f"Depends names adduser: {depends}")
    # dpkg-shlibdeps: the libraries the binaries link dynamically.
    for lib in ("libyaml-cpp", "libnftnl", "libpcap", "libssl", "libnetfilter-log", "libstdc++6"):
        check(lib in depends, f"Depends (shlibdeps) names {lib}")
    with tempfile.TemporaryDirectory() as ctl:
        run("dpkg-deb", "--control", deb, ctl)
        conffiles = open(os.path.join(ctl, "conffiles")).read().split()
        check(set(conffiles) == {"/etc/isogate/gateway.yaml", "/etc/isogate/policy.yaml",
                                 "/etc/logrotate.d/isogate"}, f"conffiles: {conffiles}")
        for script in ("postinst", "prerm", "postrm"):
            mode = os.stat(os.path.join(ctl, script)).st_mode
            check(mode & 0o111 == 0o111, f"{script} is executable")
    listing = run("dpkg-deb", "--contents", deb).stdout
    for path in ("./usr/sbin/isogate-gw", "./usr/sbin/isogate-mgmtd", "./usr/bin/isogatectl",
                 "./usr/bin/isogate-policy", "./etc/isogate/gateway.yaml", "./etc/isogate/policy.yaml",
                 "./lib/systemd/system/isogate-gw.service", "./lib/systemd/system/isogate-mgmtd.service",
                 "./usr/share/man/man8/isogate-gw.8.gz", "./usr/share/man/man8/isogate-mgmtd.8.gz",
                 "./usr/share/man/man1/isogatectl.1.gz", "./usr/share/man/man1/isogate-policy.1.gz",
                 "./usr/share/doc/isogate/copyright"):
        check(re.search(r"\s" + re.escape(path) + r"$", listing, re.M) is not None, f"package holds {path}")


def check_installed():
    for path in ("/usr/sbin/isogate-gw", "/usr/sbin/isogate-mgmtd", "/usr/bin/isogatectl",
                 "/usr/bin/isogate-policy"):
        check(os.access(path, os.X_OK), f"{path} installed and executable")
    pages = {"isogate-gw": 8, "isogate-mgmtd": 8, "isogatectl": 1, "isogate-policy": 1}
    for cmd, section in pages.items():
        path = f"/usr/share/man/man{section}/{cmd}.{section}.gz"
        text = gzip.open(path, "rt").read() if os.path.exists(path) else ""
        check(text.startswith(".\\\"") and f".TH {cmd.upper()} \"{section}\"" in text,
              f"man page {path} generated by help2man")
        check(".SH \"EXIT STATUS\"" in text and ".SH \"SEE ALSO\"" in text,
              f"{cmd}({section}) has the EXIT STATUS and SEE ALSO of docs/man/{cmd}.h2m")
    gw_page = gzip.open("/usr/share/man/man8/isogate-gw.8.gz", "rt").read()
    check("mgmt\\-socket" in gw_page, "isogate-gw(8) documents --mgmt-socket")
    policy_page = gzip.open("/usr/share/man/man1/isogate-policy.1.gz", "rt").read()
    check(".SS trace" in policy_page and "icmp\\-type" in policy_page,
          "isogate-policy(1) carries `trace --help` in its COMMANDS section")

    pw = pwd.getpwnam("isogate")
    check(pw.pw_uid < 1000 and pw.pw_shell == "/usr/sbin/nologin", f"system user isogate (uid {pw.pw_uid}, {pw.pw_shell})")
    check(grp.getgrgid(pw.pw_gid).gr_name == "isogate", "isogate's primary group is isogate")
    for g in GROUPS:
        check(exists_group(g), f"group {g} exists")
    check("isogate" in grp.getgrnam("isogate-ctl").gr_mem, "isogate is a member of isogate-ctl")
    st = os.stat("/etc/isogate")
    check(st.st_uid == 0 and grp.getgrgid(st.st_gid).gr_name == "isogate" and stat.S_IMODE(st.st_mode) == 0o2775,
          f"/etc/isogate root:isogate 2775 (is {stat.S_IMODE(st.st_mode):o})")
    conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "isogate").stdout
    check("/etc/isogate/policy.yaml" in conffiles and "/etc/isogate/gateway.yaml" in conffiles,
          "dpkg registered the /etc/isogate conffiles")
    r = run("/usr/bin/isogate-policy", "check", "/etc/isogate/policy.yaml", "--gateway",
            "/etc/isogate/gateway.yaml", check_rc=False)
    check(r.returncode == 0 and ": error:" not in r.stderr and ": warning:" not in r.stderr,
          f"installed policy + gateway config check clean: rc {r.returncode} {r.stderr.strip()}")
    r = run("/usr/bin/isogate-policy", "graph", "/etc/isogate/policy.yaml", "--svg", check_rc=False)
    check(r.returncode == 0 and "<svg" in r.stdout, "installed isogate-policy renders SVG")


def check_reinstall(deb):
    """dpkg -i over the installed package (what an upgrade runs): the maintainer scripts
    are idempotent and an administrator's edit of a conffile survives."""
    uid = pwd.getpwnam("isogate").pw_uid
    with open("/etc/isogate/gateway.yaml", "a") as f:
        f.write("# edited by the administrator\n")
    r = run("dpkg", "-i", "--force-confold", deb, check_rc=False, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    check(r.returncode == 0, f"dpkg -i again (upgrade path): rc {r.returncode} {r.stderr[-300:]}")
    check(pwd.getpwnam("isogate").pw_uid == uid, "the isogate user is kept, same uid")
    check(open("/etc/isogate/gateway.yaml").read().endswith("# edited by the administrator\n"),
          "the administrator's edit of gateway.yaml survives")
    check(stat.S_IMODE(os.stat("/etc/isogate").st_mode) == 0o2775, "/etc/isogate keeps its mode")


def check_units():
    units = ["/lib/systemd/system/isogate-mgmtd.service", "/lib/systemd/system/isogate-gw.service"]
    r = run("systemd-analyze", "verify", "--man=no", *units, check_rc=False)
    check(r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "",
          f"systemd-analyze verify: rc {r.returncode} {r.stdout}{r.stderr}".strip())
    # The DPDK drop-in shipped as an example parses and applies to the gateway's unit.
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "isogate-gw.service.d"))
        for path in units:
            shutil.copy(path, d)
        shutil.copy("/usr/share/doc/isogate/examples/dpdk.conf", os.path.join(d, "isogate-gw.service.d"))
        r = run("systemd-analyze", "verify", "--man=no", "isogate-gw.service", check_rc=False,
                env=dict(os.environ, SYSTEMD_UNIT_PATH=d + ":"))
        check(r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "",
              f"systemd-analyze verify with examples/dpdk.conf: {r.stdout}{r.stderr}".strip())
    gw, mg = parse_unit(units[1]), parse_unit(units[0])
    for name, u in (("isogate-gw", gw), ("isogate-mgmtd", mg)):
        check(u["ExecReload"] == ["/bin/kill -HUP $MAINPID"], f"{name}: systemctl reload sends SIGHUP")
        check(u["User"] == ["isogate"] and u["NoNewPrivileges"] == ["yes"], f"{name}: User=isogate, NoNewPrivileges")
        for opt, val in (("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                         ("RuntimeDirectory", "isogate")):
            check(u.get(opt) == [val], f"{name}: {opt}={val}")
    check(caps(gw, "CapabilityBoundingSet") == {"CAP_NET_ADMIN", "CAP_NET_RAW"}, "isogate-gw: capabilities NET_ADMIN, NET_RAW only")
    check(caps(mg, "CapabilityBoundingSet") == {"CAP_NET_RAW"}, "isogate-mgmtd: capability NET_RAW only")
    check("--pidfile /run/isogate/isogate-gw.pid" in gw["ExecStart"][0] and
          "--gateway-pidfile" not in mg["ExecStart"][0],
          "isogate-gw writes the pidfile isogate-mgmtd signals by default")
    check("isogate-mgmtd.service" in " ".join(gw.get("After", [])) and
          "isogate-mgmtd.service" in " ".join(gw.get("Wants", [])) and "Requires" not in gw,
          "isogate-gw starts after isogate-mgmtd and does not require it")
    # systemd's own rating of the sandboxing (0 = fully locked down, 10 = none). The units
    # need network privileges, so not 0; a regression of the hardening raises the number.
    for path in units:
        r = run("systemd-analyze", "security", "--offline=true", path, check_rc=False)
        level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
        check(level is not None and float(level.group(1)) <= 3.0,
              f"{os.path.basename(path)}: systemd-analyze security exposure {level.group(1) if level else '?'} <= 3.0")
    return gw, mg


def parse_unit(path):
    """Key -> list of values, [Unit] and [Service] merged (keys do not collide in ours)."""
    values = {}
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        key, _, value = line.partition("=")
        values.setdefault(key, []).append(value)
    return values


def exec_argv(line, env):
    """An Exec*= line as systemd runs it: $VAR / ${VAR} replaced, $$ a literal $, then
    split with shell-like quoting (none of our lines uses a prefix such as + or -)."""
    line = line.replace("$$", "\0")
    line = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), line)
    return shlex.split(line.replace("\0", "$"))


def caps(unit, key):
    return set(" ".join(unit.get(key, [])).split())


# ---------------------------------------------------------------- running the units

def unit_runner(unit, mainpid=None):
    """The setpriv prefix that reproduces the unit's credentials for one command."""
    user = unit["User"][0]
    ambient = ",".join("+" + c.lower().removeprefix("cap_") for c in caps(unit, "AmbientCapabilities"))
    bounding = ",".join(["-all"] + ["+" + c.lower().removeprefix("cap_") for c in caps(unit, "CapabilityBoundingSet")])
    extra = [str(grp.getgrnam(g).gr_gid) for g in " ".join(unit.get("SupplementaryGroups", [])).split()]
    groups = sorted({str(g) for g in os.getgrouplist(user, pwd.getpwnam(user).pw_gid)} | set(extra))
    cmd = ["setpriv", f"--reuid={user}", f"--regid={unit['Group'][0]}", f"--groups={','.join(groups)}",
           f"--bounding-set={bounding}"]
    if ambient:
        cmd += [f"--inh-caps={ambient}", f"--ambient-caps={ambient}"]
    if unit.get("NoNewPrivileges") == ["yes"]:
        cmd.append("--no-new-privs")
    return cmd


def unit_dirs(unit):
    """(path, mode) of the unit's RuntimeDirectory=/StateDirectory=/LogsDirectory=."""
    out = []
    for kind, base in (("Runtime", "/run"), ("State", "/var/lib"), ("Logs", "/var/log")):
        for name in unit.get(kind + "Directory", []):
            out.append((os.path.join(base, name), unit.get(kind + "DirectoryMode", ["0755"])[0]))
    return out


class Box:
    """The gateway box: the gateway network namespace plus a private mount namespace in
    which the units' directories are fresh tmpfs mounts, made as systemd makes them before
    a start (owner User:Group, the unit's mode). Other processes on this machine (another
    test's gateway writing /run/isogate/isogate-gw.pid) can neither see nor disturb them."""

    def __init__(self, procs, created_dirs):
        self.procs, self.created_dirs, self.holder = procs, created_dirs, None

    def start(self, units):
        dirs = {}
        for unit in units:
            for path, mode in unit_dirs(unit):
                dirs[path] = (mode, unit["User"][0], unit["Group"][0])
        for path in dirs:  # mount points; what the package's units would create anyway
            if not os.path.exists(path):
                os.makedirs(path)
                self.created_dirs.append(path)
        script = "".join(f"mount -t tmpfs -o mode={m} tmpfs {p} && chown {u}:{g} {p} && "
                         for p, (m, u, g) in dirs.items())
        self.holder = subprocess.Popen(
            ["ip", "netns", "exec", GW_NS, "unshare", "--mount", "--propagation", "private", "--",
             "/bin/sh", "-c", script + "echo ready && exec sleep infinity"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.procs.append(self.holder)
        line = self.holder.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"gateway box did not start: {line}{self.holder.stdout.read()}")

    def prefix(self):
        """Run a command in the box (nsenter execs, so a started daemon keeps the pid)."""
        return ["nsenter", f"--target={self.holder.pid}", "--mount", "--net", "--"]

    def run(self, *args, **kw):
        return run(*self.prefix(), *args, **kw)


def ns(name, *args, **kw):
    return run("ip", "netns", "exec", name, *args, **kw)


def build_topology(created_ns):
    for name in [GW_NS] + list(HOST_NS.values()):
        run("ip", "netns", "add", name)
        created_ns.append(name)
        ns(name, "ip", "link", "set", "lo", "up")
    for zone, (ifname, gw_addr, host_addr) in LINKS.items():
        host = HOST_NS[zone]
        run("ip", "link", "add", ifname, "netns", GW_NS, "type", "veth", "peer", "name", "eth0", "netns", host)
        ns(GW_NS, "ip", "addr", "add", gw_addr, "dev", ifname)
        ns(GW_NS, "ip", "link", "set", ifname, "up")
        ns(host, "ip", "addr", "add", host_addr, "dev", "eth0")
        ns(host, "ip", "link", "set", "eth0", "up")
        if zone != "internet":
            ns(host, "ip", "route", "add", "default", "via", gw_addr.split("/")[0])
    # The Internet host is also the gateway's default route (routes: in gateway.yaml); it
    # reaches the other zones through the gateway.
    ns(GW_NS, "ip", "route", "add", "default", "via", "203.0.113.1")
    for net in ("10.20.0.0/16", "172.16.30.0/24", "10.10.0.0/16"):
        ns(HOST_NS["internet"], "ip", "route", "add", net, "via", "203.0.113.2")
    zone, ifname = MONITOR
    run("ip", "link", "add", ifname, "netns", GW_NS, "type", "veth", "peer", "name", "eth0", "netns", HOST_NS[zone])
    ns(GW_NS, "sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
    ns(GW_NS, "ip", "link", "set", ifname, "up")
    ns(HOST_NS[zone], "ip", "link", "set", "eth0", "up")
    ns(GW_NS, "sysctl", "-qw", "net.ipv4.ip_forward=1")


SERVER = r"""
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
log = open(sys.argv[2], "a", buffering=1)
print("listening", flush=True)
while True:
    c, peer = s.accept()
    log.write(peer[0] + "\n")
    data = c.recv(64)
    c.sendall(data); c.close()
"""

CLIENT = r"""
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    c.sendall(b"isogate"); ok = c.recv(64) == b"isogate"
except OSError as e:
    print(e); ok = False
sys.exit(0 if ok else 1)
"""

SYSLOG = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
out = open(sys.argv[2], "a", buffering=1)
print("listening", flush=True)
while True:
    out.write(s.recv(65536).decode(errors="replace").rstrip("\n") + "\n")
"""


def start_bg(procs, args, log_path, env=None):
    p = subprocess.Popen(args, stdout=open(log_path, "a"), stderr=subprocess.STDOUT, env=env)
    procs.append(p)
    return p


def start_listener(procs, where, script, args, work):
    """A helper that prints 'listening' once bound; returns when it is ready."""
    p = subprocess.Popen(["ip", "netns", "exec", where, "/usr/bin/python3", "-c", script, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    procs.append(p)
    line = p.stdout.readline()
    if line.strip() != "listening":
        raise RuntimeError(f"helper in {where} did not start: {line}{p.stdout.read()}")


def syslog_lines(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


def events(path, **fields):
    out = []
    for line in syslog_lines(path):
        if all(f'{k}="{v}"' in line for k, v in fields.items()):
            out.append(line)
    return out


def run_daemons(gw_unit, mg_unit, work, procs, created_dirs):
    syslog_path = os.path.join(work, "syslog.txt")
    # gateway.yaml sends syslog to udp://127.0.0.1:5514: the SOC's collector, here a listener
    # in the gateway's namespace.
    start_listener(procs, GW_NS, SYSLOG, ["5514", syslog_path], work)
    for zone, port in (("portal", 443), ("extranet", 22), ("internet", 443)):
        start_listener(procs, HOST_NS[zone], SERVER, [str(port), os.path.join(work, f"{zone}-{port}.peers")], work)

    box = Box(procs, created_dirs)
    box.start([mg_unit, gw_unit])
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    umask = lambda unit: ["/bin/sh", "-c", f"umask {unit.get('UMask', ['0022'])[0]}; exec \"$@\"", "sh"]
    mg_cmd = exec_argv(mg_unit["ExecStart"][0], env)
    mgmtd = start_bg(procs, box.prefix() + umask(mg_unit) + unit_runner(mg_unit) + ["--"] + mg_cmd,
                     os.path.join(work, "mgmtd.log"), env)
    # The unit's ExecStartPost: ready once the event socket exists.
    post = box.prefix() + unit_runner(mg_unit) + ["--"] + exec_argv(mg_unit["ExecStartPost"][0], env)
    r = run(*post, check_rc=False, env=env)
    check(r.returncode == 0 and mgmtd.poll() is None,
          f"isogate-mgmtd runs as the unit would (ExecStartPost rc {r.returncode}): {open(os.path.join(work, 'mgmtd.log')).read()[-400:]}")
    st = box.run("stat", "-c", "%G %a", "/run/isogate/control.sock", check_rc=False).stdout.split()
    check(st == ["isogate-ctl", "660"], f"control socket: group isogate-ctl, mode 0660 ({st})")

    gw_cmd = exec_argv(gw_unit["ExecStart"][0], env)
    gw = start_bg(procs, box.prefix() + umask(gw_unit) + unit_runner(gw_unit) + ["--"] + gw_cmd,
                  os.path.join(work, "gw.log"), env)
    # gw.pid is nsenter's pid, which execs sh, setpriv, then isogate-gw: the unit's MAINPID.
    post_env = dict(env, MAINPID=str(gw.pid))
    for line in gw_unit.get("ExecStartPost", []):
        box.run(*unit_runner(gw_unit), "--", *exec_argv(line, post_env), env=post_env)
    wait_for(lambda: len(events(syslog_path, type="policy-loaded")) >= 1,
             "policy-loaded from isogate-gw reaches the syslog collector through isogate-mgmtd")
    check(gw.poll() is None, f"isogate-gw runs as the unit would: {open(os.path.join(work, 'gw.log')).read()[-400:]}")
    loaded = events(syslog_path, type="policy-loaded")
    check(any("gw-tj-01 isogate - POLICY" in l and 'policy_name="tianjin-egov-boundary"' in l for l in loaded),
          f"policy-loaded names host and policy: {loaded[:1]}")
    return box, gw, mgmtd, syslog_path


def probe(src_zone, dst_ip, port):
    return ns(HOST_NS[src_zone], "/usr/bin/python3", "-c", CLIENT, dst_ip, str(port), check_rc=False).returncode == 0


def peers(work, zone, port):
    path = os.path.join(work, f"{zone}-{port}.peers")
    return open(path).read().split() if os.path.exists(path) else []


def check_enforcement(work, syslog_path):
    check(probe("internet", "172.16.30.10", 443), "internet -> portal https passes (rule citizens-browse-portal)")
    check("203.0.113.1" in peers(work, "portal", 443), "the portal server saw the citizen")
    check(probe("extranet", "203.0.113.1", 443), "extranet proxy -> internet https passes (rule extranet-proxies-out)")
    check(not probe("internet", "10.20.1.10", 22), "internet -> extranet ssh is blocked")
    check(peers(work, "extranet", 22) == [], "nothing reached the extranet ssh server")
    wait_for(lambda: events(syslog_path, type="logical-isolation", from_zone="internet", to_zone="extranet",
                            src="203.0.113.1", dst="10.20.1.10", dport="22"),
             "the blocked connection is reported as logical-isolation over syslog")
    # A sensor on the intranet tap (monitor: true): an extranet address on the intranet
    # segment proves a link that must not exist.
    ns(HOST_NS["intranet"], "/usr/bin/python3", "-c",
       "from scapy.all import Ether, IP, UDP, sendp\n"
       "sendp(Ether(dst='ff:ff:ff:ff:ff:ff')/IP(src='10.20.1.9', dst='10.10.1.5')/UDP(sport=40000, dport=445),"
       " iface='eth0', verbose=0)")
    # The sensor's event names the tapped segment (the gateway's own drop of the same frame
    # on its monitor port carries in_interface instead).
    wait_for(lambda: events(syslog_path, type="isolation-breach", src="10.20.1.9", segment="intranet"),
             "isogate-mgmtd's sensor (CAP_NET_RAW only) reports the intranet tap's isolation-breach")


def as_user(box, user, *args):
    pw = pwd.getpwnam(user)
    gids = ",".join(str(g) for g in os.getgrouplist(user, pw.pw_gid))
    return box.run("setpriv", f"--reuid={user}", f"--regid={pw.pw_gid}", f"--groups={gids}", "--", *args,
              check_rc=False)


def check_control(box, gw_unit, gw, syslog_path):
    r = box.run("isogatectl", "-j", "status", check_rc=False)
    check(r.returncode == 0 and "tianjin-egov-boundary" in r.stdout, f"isogatectl status as root: rc {r.returncode}")
    r = as_user(box, AUDITOR, "isogatectl", "status")
    check(r.returncode == 0, f"an auditor (isogate-ctl + isogate-audit) may read status: rc {r.returncode} {r.stderr.strip()}")
    r = as_user(box, AUDITOR, "isogatectl", "reload")
    check(r.returncode == 4, f"an auditor may not reload (exit 4): rc {r.returncode} {r.stderr.strip()}")
    r = as_user(box, OUTSIDER, "isogatectl", "status")
    check(r.returncode == 3 and "Permission denied" in r.stderr,
          f"a user outside isogate-ctl cannot reach the socket (exit 3): rc {r.returncode} {r.stderr.strip()}")
    before = len(events(syslog_path, type="policy-loaded"))
    r = box.run("isogatectl", "reload", check_rc=False)
    if not check(r.returncode == 0, f"isogatectl reload as root: rc {r.returncode} {r.stdout}{r.stderr}"):
        for pid in [gw.pid] + [int(x) for x in run("pidof", "isogate-mgmtd", check_rc=False).stdout.split()]:
            print(pid, run("grep", "-E", "Name|Uid|Gid|Cap", f"/proc/{pid}/status", check_rc=False).stdout)
    wait_for(lambda: len(events(syslog_path, type="policy-loaded")) > before,
             "isogatectl reload: mgmtd signals isogate-gw through its pidfile, policy loaded again")
    before = len(events(syslog_path, type="policy-loaded"))
    # systemd runs ExecReload with the unit's credentials too.
    box.run(*unit_runner(gw_unit), "--",
        *exec_argv(gw_unit["ExecReload"][0], {"MAINPID": str(gw.pid)}))
    wait_for(lambda: len(events(syslog_path, type="policy-loaded")) > before,
             "the unit's ExecReload (systemctl reload isogate-gw) reloads the policy")
    wait_for(lambda: events(syslog_path, type="audit"), "control actions are reported as audit events")


def stop_daemons(gw, mgmtd):
    for p, name in ((gw, "isogate-gw"), (mgmtd, "isogate-mgmtd")):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                rc = p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = None
            check(rc == 0, f"{name} stops cleanly on SIGTERM (rc {rc})")
    r = ns(GW_NS, "nft", "list", "table", "inet", "isogate", check_rc=False)
    check(r.returncode == 0, "the gateway's ruleset stays in force after it stopped (fail closed)")


# ---------------------------------------------------------------- setup and teardown

def exists_user(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def exists_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--deb", help="use this .deb instead of running cpack")
    ap.add_argument("--cpack", default="cpack")
    a = ap.parse_args()
    global CPACK
    CPACK = a.cpack
    if os.geteuid() != 0:
        print("needs root")
        return 1
    if run("dpkg-query", "-W", "-f=${Status}", "isogate", check_rc=False).stdout.startswith("install ok"):
        print("an isogate package is installed on this machine; refusing to replace and purge it")
        return 1
    users_before = {u for u in USERS if exists_user(u)}
    groups_before = {g for g in GROUPS if exists_group(g)}
    dirs_before = {d for d in DIRS if os.path.exists(d)}
    work = tempfile.mkdtemp(prefix="igp-")
    os.chmod(work, 0o755)
    procs, created_ns, created_dirs = [], [], []
    installed = False
    try:
        deb = a.deb or build_deb(a.build_dir, work)
        check_deb(deb)
        r = run("dpkg", "-i", deb, check_rc=False, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        installed = True
        if not check(r.returncode == 0, f"dpkg -i: rc {r.returncode} {r.stdout[-400:]}{r.stderr[-400:]}"):
            return 1
        check_installed()
        check_reinstall(deb)
        gw_unit, mg_unit = check_units()
        run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "-G",
            "isogate-ctl,isogate-audit", AUDITOR)
        run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OUTSIDER)
        build_topology(created_ns)
        box, gw, mgmtd, syslog_path = run_daemons(gw_unit, mg_unit, work, procs, created_dirs)
        check_enforcement(work, syslog_path)
        check_control(box, gw_unit, gw, syslog_path)
        stop_daemons(gw, mgmtd)
    except Exception as e:  # a setup step failed: report it as a failure, then clean up
        check(False, f"{type(e).__name__}: {e}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for name in created_ns:
            run("ip", "netns", "del", name, check_rc=False)
        for user in (AUDITOR, OUTSIDER):
            if exists_user(user):
                run("userdel", user, check_rc=False)
        if installed:
            r = run("dpkg", "--purge", "isogate", check_rc=False)
            check(r.returncode == 0, f"dpkg --purge: rc {r.returncode} {r.stderr[-300:]}")
            check(not os.path.exists("/usr/sbin/isogate-gw") and not os.path.exists("/etc/isogate"),
                  "purge removed the binaries and /etc/isogate")
        for user in USERS:
            if user not in users_before and exists_user(user):
                run("deluser", "--quiet", "--system", user, check_rc=False)
        for group in GROUPS:
            if group not in groups_before and exists_group(group):
                run("delgroup", "--quiet", "--system", group, check_rc=False)
        for d in DIRS:  # mount points this test made, empty outside the box; never
            if d not in dirs_before:  # what another process may have put there since
                try:
                    os.rmdir(d)
                except OSError:
                    pass
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}")
    print(f"{len(failures)} failure(s)" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
