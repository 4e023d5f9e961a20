"""The e2e topology for the DPDK backend: the kernel backend's namespaces and veths
(topology.py), with the gateway namespace's kernel taken out of the path. isogate-gw
reads and writes the gateway-side veth ends through net_af_packet ports, so there the
kernel must neither forward nor answer: no addresses, no IPv6, forwarding off. Segment
offloads are off on both ends, so every frame on a veth is a complete, checksummed
packet (a DPDK port sees what a NIC would)."""

import os

from topology import LINKS, MONITOR, Topology


class DpdkTopology(Topology):
    def build(self):
        super().build()
        for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"):
            self.sh("gw", "sysctl", "-qw", f"{key}=0")
        for zone, (ifname, _, _) in list(LINKS.items()) + [(MONITOR[0], (MONITOR[1], None, None))]:
            self.sh("gw", "ip", "addr", "flush", "dev", ifname)
            self.sh("gw", "sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
            self.sh("gw", "ethtool", "-K", ifname, "gro", "off", "tso", "off", "gso", "off", "tx", "off", check=False)
            self.sh(zone, "ethtool", "-K", "eth0", "tso", "off", "gso", "off", "tx", "off", check=False)

    def gateway_config(self, policy="policy.yaml", workers=1):
        """The gateway config: the same interfaces as fixtures/gateway.yaml, on af_packet ports.
        With several workers every port gets as many queue pairs; the kernel spreads a port's
        packets over them by its flow hash (PACKET_FANOUT_HASH), which is symmetric, so both
        directions of a flow meet one worker. Lcores are mapped onto the CPUs there are."""
        qpairs = f",qpairs={workers}" if workers > 1 else ""
        lines = ["version: 1", "name: gw-e2e", f"policy: {policy}", "backend: dpdk", "interfaces:"]
        for i, (zone, (ifname, gw4, gw6)) in enumerate(LINKS.items()):
            lines += [f"  - name: {ifname}", f"    zone: {zone}", f'    address: [{gw4}, "{gw6}"]',
                      f'    device: "net_af_packet{i},iface={ifname}{qpairs}"']
        zone, ifname = MONITOR
        lines += [f"  - name: {ifname}", f"    zone: {zone}", "    monitor: true",
                  f'    device: "net_af_packet{len(LINKS)},iface={ifname}{qpairs}"']
        cpus = os.cpu_count() or 1
        lcores = ",".join(f"{i}@{i % cpus}" for i in range(workers + 1))
        lines += ["routes:", '  - {to: "0.0.0.0/0", via: 203.0.113.10}', '  - {to: "::/0", via: "2001:db8::10"}',
                  "dpdk:",
                  f'  eal: [--no-huge, -m, "512", --no-pci, --no-shconf, --lcores, "{lcores}", --file-prefix, "{self.gw}",'
                  ' --log-level, "3"]']
        return "\n".join(lines) + "\n"
