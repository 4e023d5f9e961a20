#!/usr/bin/python3
"""Writes the benchmark capture: FLOWS.pcap with one 64-byte UDP frame (60 bytes + FCS on
the wire) per flow, from N Internet sources (198.18.0.0/15 and on, one port each) to the
portal host 172.16.30.10:5000. With QUEUES > 1 it also writes FLOWS-q0.pcap .. FLOWS-q{Q-1}.pcap,
flow i in file i % Q, one per RX queue (net_pcap has no RSS: each flow must stay on one
queue, i.e. one worker). Raw pcap writer: fast enough for a million flows.
ORDER "created" (the default) sends the flows in the order they were created, again and
again, so a table that hands out its entries in creation order is read in order; "mixed"
sends every flow twice per replay, once in creation order and once in a random (seeded)
order, as on a real link, where packets of flows do not come in the order the flows began.
Usage: make_flows.py FLOWS.pcap N [QUEUES [ORDER]]"""
import random
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
    flows_path, n = sys.argv[1], int(sys.argv[2])
    queues = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    order = sys.argv[4] if len(sys.argv) > 4 else "created"
    if order not in ("created", "mixed"):
        sys.exit("make_flows.py: ORDER must be created or mixed, not %r" % order)
    flows = list(range(n))
    if order == "mixed":
        again = list(range(n))
        random.Random(1).shuffle(again)
        flows += again
    frames = [frame(i) for i in range(n)]
    write(flows_path, [frames[i] for i in flows])
    if queues > 1:
        stem = flows_path[:-5] if flows_path.endswith(".pcap") else flows_path
        for q in range(queues):
            write("%s-q%d.pcap" % (stem, q), [frames[i] for i in flows if i % queues == q])


if __name__ == "__main__":
    main()
