#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets in OUT/<target>/ from the project's
own files and, when present, the public captures under /work/shared/corpus (read
in place, never copied into the repository).

  packet          one frame per file, prefixed with the fuzz target's control byte
                  (ingress port), from configs/demo/captures and the public captures
  policy          policy YAML files (configs/, tests/)
  gateway_config  gateway configs (configs/, tests/policy/fixtures, broken_gateway)
  control_protocol, event   the hand-written seeds in tests/fuzz/seeds/<target>/

Usage: make_seeds.py OUT [--corpus DIR] [--per-capture N]"""
import argparse
import hashlib
import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAX_FRAME = 2048
HOST_MAC = bytes([2, 0, 0, 0, 0, 0x10])
GW_MAC = bytes([2, 0, 0, 0, 0, 1])


def ethernet(linktype, data):
    """The frame as Ethernet, or None for a link type the data plane never sees."""
    if linktype == 1:
        return data
    if linktype in (101, 228, 229, 12, 14) and data:  # raw IPv4/IPv6
        ethertype = b"\x86\xdd" if data[0] >> 4 == 6 else b"\x08\x00"
        return GW_MAC + HOST_MAC + ethertype + data
    if linktype == 113 and len(data) >= 16:  # Linux cooked capture
        return GW_MAC + HOST_MAC + data[14:16] + data[16:]
    return None


def pcap_frames(blob):
    """(linktype, frame) of a classic pcap or a pcapng file; stops quietly at damage."""
    if len(blob) < 24:
        return
    magic = blob[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        yield from pcapng_frames(blob)
        return
    else:
        return
    linktype = struct.unpack(end + "I", blob[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(blob):
        incl = struct.unpack(end + "I", blob[off + 8:off + 12])[0]
        off += 16
        if incl > len(blob) - off:
            return
        yield linktype, blob[off:off + incl]
        off += incl


def pcapng_frames(blob):
    end, off, links = "<", 0, []
    while off + 12 <= len(blob):
        btype = struct.unpack(end + "I", blob[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: byte order from its magic
            end = "<" if blob[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(end + "I", blob[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(blob):
            return
        body = blob[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:
            links.append(struct.unpack(end + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, _, _, cap = struct.unpack(end + "IIII", body[:16])
            if iface < len(links):
                yield links[iface], body[20:20 + cap]
        elif btype == 3 and len(body) >= 4 and links:
            yield links[0], body[4:]
        off += blen


class Writer:
    def __init__(self, out):
        self.out = out
        self.seen = set()
        self.count = 0

    def put(self, data):
        h = hashlib.sha1(data).hexdigest()
        if h in self.seen:
            return
        self.seen.add(h)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / h).write_bytes(data)
        self.count += 1


def packet_seeds(w, captures, per_capture):
    for i, path in enumerate(captures):
        try:
            blob = path.read_bytes()
        except OSError:
            continue
        taken = 0
        for linktype, data in pcap_frames(blob):
            frame = ethernet(linktype, data)
            if frame is None or len(frame) > MAX_FRAME:
                continue
            w.put(bytes([i % 4]) + frame)
            taken += 1
            if taken >= per_capture:
                break


def crafted_packets(w):
    """Frames that reach the deeper stages with the harness of tests/dataplane (ports
    0 ext0 / 1 portal0 / 2 inet0 / 3 tap, its addresses, hosts and rules): local replies,
    allowed and denied flows both ways, fragments, ICMP errors, spoofed sources, tags.
    Needs scapy (python3-scapy); without it the captures alone are the seeds."""
    try:
        from scapy.all import (ARP, Dot1Q, Ether, ICMP, ICMPv6EchoRequest, ICMPv6ND_NS, IP,
                               IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, TCP, UDP, fragment)
    except ImportError:
        print("make_seeds: no scapy, no crafted packets", file=sys.stderr)
        return
    host = "02:00:00:00:00:10"

    def eth(port):
        return Ether(src=host, dst="02:00:00:00:00:%02x" % (port + 1))

    frames = [
        (0, eth(0) / ARP(op=1, psrc="10.20.5.5", pdst="10.20.0.1", hwsrc=host)),
        (0, eth(0) / IP(src="10.20.5.5", dst="10.20.0.1") / ICMP(type=8)),
        (0, eth(0) / IPv6(src="fd20::5", dst="fd20::1") / ICMPv6EchoRequest()),
        (0, eth(0) / IPv6(src="fd20::5", dst="ff02::1:ff00:1") / ICMPv6ND_NS(tgt="fd20::1")),
        (0, eth(0) / IP(src="10.20.5.5", dst="172.16.30.10") / TCP(sport=40000, dport=22, flags="S")),
        (0, eth(0) / IP(src="10.20.5.5", dst="172.16.30.10") / TCP(sport=40001, dport=443, flags="S")),
        (0, eth(0) / IP(src="10.20.9.5", dst="172.16.30.10") / TCP(sport=40002, dport=22, flags="S")),
        (0, eth(0) / IPv6(src="fd20::5", dst="fd30::10") / TCP(sport=40003, dport=22, flags="S")),
        (1, eth(1) / IP(src="172.16.30.10", dst="10.20.5.5") / TCP(sport=22, dport=40000, flags="SA")),
        (0, eth(0) / IP(src="10.20.5.5", dst="172.16.30.10") / TCP(sport=40000, dport=22, flags="A")),
        (0, eth(0) / IP(src="10.20.5.5", dst="172.16.30.10") / TCP(sport=40000, dport=22, flags="FA")),
        (2, eth(2) / IP(src="198.51.100.7", dst="172.16.30.10") / TCP(sport=50000, dport=443, flags="S")),
        (2, eth(2) / IPv6(src="2001:db8:9::7", dst="fd30::10") / TCP(sport=50001, dport=443, flags="S")),
        (0, eth(0) / IP(src="10.20.5.5", dst="8.8.8.8") / UDP(sport=5353, dport=53) / (b"q" * 20)),
        (0, eth(0) / IPv6(src="fd20::5", dst="2001:4860::8888") / UDP(sport=5353, dport=53)),
        (0, eth(0) / IP(src="10.10.1.1", dst="172.16.30.10") / TCP(sport=1, dport=443, flags="S")),
        (0, eth(0) / IP(src="10.20.5.5", dst="10.10.1.1") / ICMP(type=8)),
        (0, eth(0) / IP(src="10.20.5.5", dst="172.16.30.10", ttl=1) / ICMP(type=8)),
        (1, eth(1) / IP(src="172.16.30.10", dst="10.20.5.5") / ICMP(type=3, code=3) /
         IP(src="10.20.5.5", dst="172.16.30.10") / UDP(sport=5000, dport=53)),
        (0, eth(0) / Dot1Q(vlan=7) / IP(src="10.20.5.5", dst="172.16.30.10") / TCP(dport=22, flags="S")),
        (0, eth(0) / Dot1Q(vlan=7) / Dot1Q(vlan=8) / IP(src="10.20.5.5", dst="172.16.30.10") / ICMP()),
        (0, eth(0) / IPv6(src="fd20::5", dst="fd30::10") / IPv6ExtHdrHopByHop() / UDP(dport=53)),
        (0, eth(0) / IPv6(src="fd20::5", dst="fd30::10") / IPv6ExtHdrFragment(id=9, m=1) /
         TCP(dport=22, flags="S")),
        (3, eth(3) / IP(src="10.10.1.1", dst="10.10.1.2") / TCP(dport=80, flags="S")),
    ]
    big = IP(src="10.20.5.5", dst="8.8.8.8") / UDP(sport=5353, dport=53) / (b"x" * 1200)
    frames += [(0, eth(0) / f) for f in fragment(big, fragsize=400)]
    for port, f in frames:
        w.put(bytes([port]) + bytes(f))


def is_gateway_config(path):
    text = path.read_text(errors="replace")
    return "broken_gateway" in path.parts or any(
        line.startswith(("interfaces:", "backend:")) for line in text.splitlines())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--corpus", type=pathlib.Path, default=pathlib.Path("/work/shared/corpus"))
    ap.add_argument("--per-capture", type=int, default=16)
    args = ap.parse_args()

    packet = Writer(args.out / "packet")
    captures = sorted((ROOT / "configs/demo/captures").glob("*.pcap"))
    if args.corpus.is_dir():
        captures += sorted(p for p in args.corpus.rglob("*")
                           if p.suffix in (".pcap", ".pcapng", ".cap") and p.is_file())
    packet_seeds(packet, captures, args.per_capture)
    crafted_packets(packet)

    policy, gateway = Writer(args.out / "policy"), Writer(args.out / "gateway_config")
    for path in sorted(list((ROOT / "configs").rglob("*.yaml")) +
                       list((ROOT / "tests").rglob("*.yaml"))):
        (gateway if is_gateway_config(path) else policy).put(path.read_bytes())

    others = []
    for name in ("control_protocol", "event"):
        w = Writer(args.out / name)
        for path in sorted((ROOT / "tests/fuzz/seeds" / name).glob("*")):
            w.put(path.read_bytes())
        others.append(w)
    for name, w in (("packet", packet), ("policy", policy), ("gateway_config", gateway),
                    ("control_protocol", others[0]), ("event", others[1])):
        print(f"seeds {name}: {w.count}", file=sys.stderr)


if __name__ == "__main__":
    main()
