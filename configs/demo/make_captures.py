#!/usr/bin/python3
"""Writes the demo's captures (captures/<port>.pcap), one per gateway port, as the hosts of
each segment would send them: ARP/ND first (so the gateway learns its neighbours), then
allowed flows whose replies come in on the other port, physical-isolation attempts,
logical denies, spoofed and breaching sources, malformed frames, and on the intranet
monitor port a frame that proves a link to the extranet. Timestamps are global, so a
replay in timestamp order (isogate-gw --until-idle) sees every reply after its request.
Deterministic: run it again and the files are identical.  Needs python3-scapy.
"""
import os

from scapy.all import (ARP, Ether, ICMP, ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr,
                       IP, IPv6, IPv6ExtHdrDestOpt, Raw, TCP, UDP, wrpcap)

HERE = os.path.dirname(os.path.abspath(__file__))
GW = "02:00:00:00:00:ff"  # the data plane accepts frames for any MAC; hosts know the gateway by ARP
PORTS = {"ext0": [], "portal0": [], "inet0": [], "intra-tap": []}
GW_IP = {"ext0": "10.20.0.1", "portal0": "172.16.30.1", "inet0": "203.0.113.2"}
GW_IP6 = {"ext0": "fd20::1", "portal0": "2001:db8:30::1", "inet0": "2001:db8:ff::2"}
ROUTER = ("203.0.113.1", "2001:db8:ff::1")  # the Internet side's next hop
clock = [1764150000.0]
macs = {}


def mac(ip):
    if ip not in macs:
        macs[ip] = "02:00:00:%02x:%02x:%02x" % ((len(macs) >> 16) & 255, (len(macs) >> 8) & 255, len(macs) & 255)
    return macs[ip]


def emit(port, frame):
    clock[0] += 0.001
    frame.time = clock[0]
    PORTS[port].append(frame)


def l2(port, src_ip):
    """Ethernet from the host owning src_ip (the router for anything from the Internet)."""
    hop = ROUTER[0] if port == "inet0" else src_ip
    return Ether(src=mac(hop), dst=GW)


def arp_hello(port, ip):
    emit(port, Ether(src=mac(ip), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac(ip), psrc=ip, pdst=GW_IP[port]))


def nd_hello(port, ip6):
    target = GW_IP6[port]
    emit(port, Ether(src=mac(ip6), dst="33:33:ff:00:00:01") / IPv6(src=ip6, dst="ff02::1:ff00:1", hlim=255) /
         ICMPv6ND_NS(tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=mac(ip6)))


def tcp_flow(cport, sport_ip, sport, sport_port, dst, dport, v6=False, data=b"GET / HTTP/1.1\r\n\r\n"):
    """A whole TCP connection: handshake, request, response, close. cport/sport_port: the
    gateway ports of the client and the server side."""
    L3 = IPv6 if v6 else IP
    c, s = 1000, 5000

    def cl(flags, seq, ack, payload=b""):
        emit(cport, l2(cport, sport_ip) / L3(src=sport_ip, dst=dst) / TCP(sport=sport, dport=dport, flags=flags,
                                                                          seq=seq, ack=ack) / Raw(payload))

    def sv(flags, seq, ack, payload=b""):
        emit(sport_port, l2(sport_port, dst) / L3(src=dst, dst=sport_ip) / TCP(sport=dport, dport=sport, flags=flags,
                                                                              seq=seq, ack=ack) / Raw(payload))
    cl("S", c, 0)
    sv("SA", s, c + 1)
    cl("A", c + 1, s + 1)
    cl("PA", c + 1, s + 1, data)
    sv("PA", s + 1, c + 1 + len(data), b"HTTP/1.1 200 OK\r\n\r\n")
    cl("FA", c + 1 + len(data), s + 20)
    sv("FA", s + 20, c + 2 + len(data))
    cl("A", c + 2 + len(data), s + 21)


def udp_exchange(cport, src, sport, sport_port, dst, dport):
    emit(cport, l2(cport, src) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(b"\x12\x34query"))
    emit(sport_port, l2(sport_port, dst) / IP(src=dst, dst=src) / UDP(sport=dport, dport=sport) / Raw(b"\x12\x34answer"))


def ping(cport, src, sport_port, dst, v6=False, seq=1):
    if v6:
        emit(cport, l2(cport, src) / IPv6(src=src, dst=dst) / ICMPv6EchoRequest(id=7, seq=seq))
        emit(sport_port, l2(sport_port, dst) / IPv6(src=dst, dst=src) / ICMPv6EchoReply(id=7, seq=seq))
    else:
        emit(cport, l2(cport, src) / IP(src=src, dst=dst) / ICMP(type=8, id=7, seq=seq))
        emit(sport_port, l2(sport_port, dst) / IP(src=dst, dst=src) / ICMP(type=0, id=7, seq=seq))


def attempt(port, src, dst, dport, proto="tcp", v6=False):
    """A first packet that must not pass (no reply follows)."""
    L3 = IPv6 if v6 else IP
    l4 = TCP(sport=40000 + dport % 1000, dport=dport, flags="S") if proto == "tcp" else UDP(sport=40000, dport=dport)
    emit(port, l2(port, src) / L3(src=src, dst=dst) / l4)


def main():
    # Neighbours introduce themselves (the gateway learns them and answers).
    for ip in ("10.20.5.10", "10.20.1.10", "10.20.1.53", "10.20.6.10", "10.20.7.7"):
        arp_hello("ext0", ip)
    for ip in ("172.16.30.10", "172.16.30.20"):
        arp_hello("portal0", ip)
    arp_hello("inet0", ROUTER[0])
    nd_hello("portal0", "2001:db8:30::10")
    nd_hello("inet0", ROUTER[1])
    # Allowed flows, with replies.
    for i in range(12):
        tcp_flow("inet0", f"198.18.{i}.7", 41000 + i, "portal0", "172.16.30.10", 443)
    for i in range(4):
        tcp_flow("inet0", f"2001:db8:77::{i + 1}", 42000 + i, "portal0", "2001:db8:30::10", 443, v6=True)
    tcp_flow("ext0", "10.20.5.10", 43000, "portal0", "172.16.30.10", 22, data=b"SSH-2.0-publish\r\n")
    tcp_flow("portal0", "172.16.30.20", 43100, "ext0", "10.20.6.10", 443, data=b"POST /forms\r\n\r\n")
    for i in range(3):
        tcp_flow("ext0", "10.20.1.10", 44000 + i, "inet0", "93.184.216.34", 443)
    for i in range(5):
        udp_exchange("ext0", "10.20.1.53", 45000 + i, "inet0", "8.8.8.8", 53)
        udp_exchange("portal0", "172.16.30.10", 45100 + i, "inet0", "9.9.9.9", 53)
    for i in range(3):
        ping("inet0", "198.18.9.9", "portal0", "172.16.30.10", seq=i + 1)
        ping("inet0", "2001:db8:77::9", "portal0", "2001:db8:30::10", v6=True, seq=i + 1)
    # The gateway answers pings to its own addresses.
    emit("ext0", l2("ext0", "10.20.5.10") / IP(src="10.20.5.10", dst="10.20.0.1") / ICMP(type=8, id=9, seq=1))
    # Physical isolation: anything towards the intranet, from every forwarding zone.
    for dport in (445, 22, 3389):
        attempt("ext0", "10.20.5.10", "10.10.1.5", dport)
    attempt("portal0", "172.16.30.10", "10.10.2.2", 443)
    attempt("inet0", "198.18.0.66", "10.10.0.9", 22)
    attempt("ext0", "fd20:0:0:5::10", "fd10::5", 445, v6=True)
    # Logical isolation: default deny, and the deny rule for the abusive network.
    for dport in (22, 23, 25, 3306, 5432, 8080):
        attempt("inet0", "198.18.44.4", "172.16.30.10", dport)  # a port scan of the portal
    for i in range(4):
        attempt("inet0", f"198.51.100.{i + 1}", "172.16.30.10", 443)
    attempt("ext0", "10.20.7.7", "93.184.216.34", 443)      # not a proxy
    attempt("portal0", "172.16.30.10", "10.20.6.10", 22)    # portal -> extranet ssh
    attempt("ext0", "10.20.5.10", "172.16.30.10", 53, proto="udp")
    # Spoofed sources, and a source that proves a link to the intranet.
    attempt("ext0", "172.16.30.99", "8.8.8.8", 53, proto="udp")
    attempt("inet0", "10.20.5.10", "172.16.30.10", 443)
    attempt("portal0", "8.8.4.4", "10.20.6.10", 443)
    attempt("ext0", "10.10.1.5", "172.16.30.10", 22)        # an intranet address on the extranet port
    # A packet with no connection: an ACK out of nowhere.
    emit("inet0", l2("inet0", "198.18.3.3") / IP(src="198.18.3.3", dst="172.16.30.10") /
         TCP(sport=40500, dport=443, flags="A", seq=1, ack=1))
    # Malformed frames.
    good = bytes(l2("ext0", "10.20.5.10") / IP(src="10.20.5.10", dst="172.16.30.10") / TCP(sport=1, dport=22))
    emit("ext0", Ether(good[:14 + 12]))                                    # truncated IPv4 header
    bad_ihl = bytearray(good)
    bad_ihl[14] = 0x43
    emit("ext0", Ether(bytes(bad_ihl)))                                     # IHL 3 (< 20 bytes)
    long_len = bytearray(good)
    long_len[16:18] = (1500).to_bytes(2, "big")
    emit("ext0", Ether(bytes(long_len)))                                    # total length beyond the frame
    emit("inet0", l2("inet0", "198.18.5.5") / IP(src="198.18.5.5", dst="172.16.30.10", flags=0, frag=100, proto=6) /
         Raw(b"x" * 24))                                                    # an orphan fragment
    emit("inet0", l2("inet0", "2001:db8:77::5") / IPv6(src="2001:db8:77::5", dst="2001:db8:30::10", nh=143) /
         Raw(b"\x06\x00" + b"\x00" * 30))                                   # unknown IPv6 next header
    emit("portal0", l2("portal0", "172.16.30.10") / IPv6(src="2001:db8:30::10", dst="2001:db8:77::1") /
         IPv6ExtHdrDestOpt(nh=6) / Raw(b"\x00" * 5))                        # TCP header cut short
    # The intranet segment, seen on the monitor port: its own traffic, and an extranet
    # address that should never appear there (evidence of a bridge to the extranet).
    emit("intra-tap", Ether(src=mac("10.10.1.5"), dst=mac("10.10.1.6")) / IP(src="10.10.1.5", dst="10.10.1.6") /
         TCP(sport=40001, dport=445, flags="S"))
    emit("intra-tap", Ether(src=mac("10.10.1.5"), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc="10.10.1.5", pdst="10.10.0.1"))
    for dport in (445, 139):
        emit("intra-tap", Ether(src=mac("10.20.3.3"), dst=mac("10.10.1.5")) / IP(src="10.20.3.3", dst="10.10.1.5") /
             TCP(sport=40002, dport=dport, flags="S"))
    os.makedirs(os.path.join(HERE, "captures"), exist_ok=True)
    for port, frames in PORTS.items():
        wrpcap(os.path.join(HERE, "captures", f"{port}.pcap"), frames)
        print(f"captures/{port}.pcap: {len(frames)} frames")


if __name__ == "__main__":
    main()
