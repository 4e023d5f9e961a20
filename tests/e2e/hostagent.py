"""Runs inside one host namespace of the e2e topology: the servers and the wire witness.

- TCP echo servers (dual stack) on the probe ports, UDP echo on 53: an allowed probe gets a
  reply from a real server.
- An AF_PACKET sniffer on eth0 that appends every packet arriving from the wire to a JSON
  lines file (src, dst, proto, dport or icmp type, tcp flags): the proof of what did or did
  not get through, independent of whether the client saw a reply.

Usage: hostagent.py LOGFILE TCPPORT...   (prints "ready" when listening)
"""

import json
import socket
import struct
import sys
import threading

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def parse(frame):
    if len(frame) < 14:
        return None
    ethertype = struct.unpack("!H", frame[12:14])[0]
    p = frame[14:]
    if ethertype == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 0x0F) * 4
        proto = p[9]
        rec = {"src": socket.inet_ntop(socket.AF_INET, p[12:16]), "dst": socket.inet_ntop(socket.AF_INET, p[16:20])}
        l4 = p[ihl:]
    elif ethertype == 0x86DD and len(p) >= 40:
        proto = p[6]
        rec = {"src": socket.inet_ntop(socket.AF_INET6, p[8:24]), "dst": socket.inet_ntop(socket.AF_INET6, p[24:40])}
        l4 = p[40:]
    elif ethertype == 0x0806:
        return {"arp": True}
    else:
        return {"ethertype": ethertype}
    names = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
    rec["proto"] = names.get(proto, str(proto))
    if proto in (6, 17) and len(l4) >= 4:
        rec["sport"], rec["dport"] = struct.unpack("!HH", l4[:4])
        if proto == 6 and len(l4) >= 14:
            rec["flags"] = l4[13]
    elif proto in (1, 58) and len(l4) >= 1:
        rec["icmp_type"] = l4[0]
    return rec


def sniff(path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("eth0", 0))
    with open(path, "a", buffering=1) as out:
        while True:
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            rec = parse(frame)
            if rec is not None:
                out.write(json.dumps(rec) + "\n")


def echo_conn(conn):
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass
    finally:
        conn.close()


def tcp_server(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(128)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=echo_conn, args=(conn,), daemon=True).start()


def udp_server(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        data, addr = s.recvfrom(4096)
        s.sendto(data, addr)


def main():
    log = sys.argv[1]
    ports = [int(p) for p in sys.argv[2:]]
    threading.Thread(target=sniff, args=(log,), daemon=True).start()
    for port in ports:
        threading.Thread(target=tcp_server, args=(port,), daemon=True).start()
    threading.Thread(target=udp_server, args=(53,), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
