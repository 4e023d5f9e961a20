"""Network-namespace topology of the kernel-backend end-to-end tests.

A gateway namespace routes between one host namespace per forwarding zone (extranet,
portal, internet) over veth pairs named as in fixtures/gateway.yaml (ext0, por0, inet0).
An intranet host is attached through the gateway's `monitor` port (mon0) only: the gateway
side has no address, no IPv6 and answers no ARP, so nothing is ever sent to the intranet
host; the host itself has a static neighbour for the gateway so that what it sends does
reach mon0. Every name carries a unique suffix, and `Topology` is a context manager that
always removes what it created (namespaces take their veths with them).
"""

import os
import subprocess
import time

from scenarios import HOSTS

# zone -> (gateway-side interface, gateway v4/prefix, gateway v6/prefix, host v4 len, host v6 len)
LINKS = {
    "extranet": ("ext0", "10.20.0.1/16", "fd20::1/48"),
    "portal": ("por0", "172.16.30.1/24", "fd30::1/48"),
    "internet": ("inet0", "203.0.113.1/24", "2001:db8::1/64"),
}
MONITOR = ("intranet", "mon0")
# What the intranet host believes its router is (nothing on the gateway holds these).
INTRANET_ROUTER = ("10.10.0.1", "fd10::1")


def run(*args, check=True, capture=False):
    r = subprocess.run(list(args), check=False, text=True,
                       stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout if capture else r.returncode


class Topology:
    def __init__(self, tag):
        suffix = f"{tag}-{os.getpid()}"
        self.gw = f"igf-gw-{suffix}"
        self.hosts = {zone: f"igf-{zone[:5]}-{suffix}" for zone in list(LINKS) + [MONITOR[0]]}
        self.created = []

    def ns(self, zone_or_gw):
        return self.gw if zone_or_gw == "gw" else self.hosts[zone_or_gw]

    def sh(self, where, *args, check=True, capture=False):
        return run("ip", "netns", "exec", self.ns(where), *args, check=check, capture=capture)

    def __enter__(self):
        try:
            self.build()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc):
        self.teardown()
        return False

    def teardown(self):
        for ns in reversed(self.created):
            for pid in (run("ip", "netns", "pids", ns, check=False, capture=True) or "").split():
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            run("ip", "netns", "del", ns, check=False)
        self.created = []

    def _add_ns(self, name):
        run("ip", "netns", "add", name)
        self.created.append(name)
        run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")

    def build(self):
        self._add_ns(self.gw)
        for zone in self.hosts:
            self._add_ns(self.hosts[zone])
        # No duplicate address detection on these private links: it only delays the
        # link-local addresses (see wait_ipv6_ready).
        for where in ["gw"] + list(self.hosts):
            for conf in ("default", "all"):
                self.sh(where, "sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_dad=0")
        gw = self.gw
        # Forwarding on, and no kernel reverse-path filter: the spoofing checks must be the
        # policy's, not the kernel's.
        for key, value in (("net.ipv4.ip_forward", "1"), ("net.ipv6.conf.all.forwarding", "1"),
                           ("net.ipv4.conf.all.rp_filter", "0"), ("net.ipv4.conf.default.rp_filter", "0")):
            self.sh("gw", "sysctl", "-qw", f"{key}={value}")
        for zone, (ifname, gw4, gw6) in LINKS.items():
            host = self.hosts[zone]
            run("ip", "link", "add", ifname, "netns", gw, "type", "veth", "peer", "name", "eth0", "netns", host)
            self.sh("gw", "sysctl", "-qw", f"net.ipv4.conf.{ifname}.rp_filter=0")
            self.sh("gw", "ip", "addr", "add", gw4, "dev", ifname)
            self.sh("gw", "ip", "addr", "add", gw6, "dev", ifname, "nodad")
            self.sh("gw", "ip", "link", "set", ifname, "up")
            h4 = HOSTS[zone]["v4"] + "/" + gw4.split("/")[1]
            h6 = HOSTS[zone]["v6"] + "/" + gw6.split("/")[1]
            self.sh(zone, "ip", "addr", "add", h4, "dev", "eth0")
            self.sh(zone, "ip", "addr", "add", h6, "dev", "eth0", "nodad")
            self.sh(zone, "ip", "link", "set", "eth0", "up")
            self.sh(zone, "ip", "route", "add", "default", "via", gw4.split("/")[0])
            self.sh(zone, "ip", "-6", "route", "add", "default", "via", gw6.split("/")[0])
            # The extranet host forges sources in the spoofing tests.
            self.sh(zone, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0")
        # The internet zone is `any`: everything not in another zone leaves towards it.
        self.sh("gw", "ip", "route", "add", "default", "via", HOSTS["internet"]["v4"])
        self.sh("gw", "ip", "-6", "route", "add", "default", "via", HOSTS["internet"]["v6"])

        zone, ifname = MONITOR
        host = self.hosts[zone]
        run("ip", "link", "add", ifname, "netns", gw, "type", "veth", "peer", "name", "eth0", "netns", host)
        # A monitor port never transmits: IPv6 off before the link comes up (else link-local
        # DAD and router solicitations go out at once). The ARP settings are the gateway's
        # own job (gateway/monitor_port.h), so the tests leave them at the kernel defaults.
        self.sh("gw", "sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
        self.sh("gw", "sysctl", "-qw", f"net.ipv4.conf.{ifname}.rp_filter=0")
        self.sh("gw", "ip", "link", "set", ifname, "up")
        mac = self.sh("gw", "cat", f"/sys/class/net/{ifname}/address", capture=True).strip()
        self.sh(zone, "ip", "addr", "add", HOSTS[zone]["v4"] + "/16", "dev", "eth0")
        self.sh(zone, "ip", "addr", "add", HOSTS[zone]["v6"] + "/48", "dev", "eth0", "nodad")
        self.sh(zone, "ip", "link", "set", "eth0", "up")
        r4, r6 = INTRANET_ROUTER
        self.sh(zone, "ip", "neigh", "replace", r4, "lladdr", mac, "dev", "eth0", "nud", "permanent")
        self.sh(zone, "ip", "-6", "neigh", "replace", r6, "lladdr", mac, "dev", "eth0", "nud", "permanent")
        self.sh(zone, "ip", "route", "add", "default", "via", r4)
        self.sh(zone, "ip", "-6", "route", "add", "default", "via", r6)
        self.wait_ipv6_ready([ifname for ifname, _, _ in LINKS.values()])

    def wait_ipv6_ready(self, gw_ifnames, timeout=10.0):
        """Until each gateway interface has a usable link-local address. Before that the
        kernel sends no neighbour solicitation for a forwarded packet (it needs a link-local
        source), so the first IPv6 packets through a just-built gateway wait 1-2 s or are
        lost, and a TCP stream started then stalls (e2e_kernel_reload failed so in CI)."""
        deadline = time.monotonic() + timeout
        while True:
            pending = [i for i in gw_ifnames
                       if not self.sh("gw", "ip", "-6", "addr", "show", "dev", i, "scope", "link", "-tentative",
                                      capture=True).strip()]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"no usable IPv6 link-local address on {pending} after {timeout} s")
            time.sleep(0.05)

    def ruleset(self):
        """The kernel ruleset of the gateway namespace as `nft list ruleset` prints it."""
        return self.sh("gw", "nft", "list", "ruleset", capture=True)
