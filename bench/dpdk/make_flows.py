#!/usr/bin/python3
"""Writes the benchmark captures: FLOWS.pcap with one 64-byte UDP frame (60 bytes + FCS on
the wire) per flow, from N Internet sources (198.18.0.0/15 and on, one port each) to the
portal host 172.16.30.10:5000, and ARP.pcap with the portal host's ARP reply, so the
gateway knows the next hop's MAC. Raw pcap writer: fast enough for a million flows.
Usage: make_flows.py FLOWS.pcap ARP.pcap N"""
import struct
import sys


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def frame(i):
    src = (198 << 24 | 18 << 16) + 1 + (i % 60000) * 8 + (i // 60000)  # distinct (src, sport) per flow
    sport = 10000 + (i * 7919) % 50000
    payload = b"\x00" * 18
    udp = struct.pack("!HHHH", sport, 5000, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, struct.pack("!I", src),
                     bytes([172, 16, 30, 10]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000001") + bytes.fromhex("020000000002") + b"\x08\x00"
    return eth + ip + udp


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1764150000 + n // 1000000, n % 1000000, len(fr), len(fr)))
            f.write(fr)


def main():
    flows_path, arp_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    write(flows_path, (frame(i) for i in range(n)))
    host_mac = bytes.fromhex("0200000000aa")
    arp = (b"\xff" * 6 + host_mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + host_mac +
           bytes([172, 16, 30, 10]) + b"\x02\x70\x63\x61\x70\x00" + bytes([172, 16, 30, 1]))
    write(arp_path, [arp + b"\x00" * (60 - len(arp))])


if __name__ == "__main__":
    main()
