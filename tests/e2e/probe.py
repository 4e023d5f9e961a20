"""Real clients for the e2e probes, run inside a host namespace.

Reads a JSON list of probes on stdin ({"id", "proto": tcp|udp|icmp, "dst", "port", "timeout"}),
runs them all at once, prints a JSON object id -> {"reply": bool, "detail": str}.
TCP: a connect plus one echoed line; UDP: one datagram and its echo; ICMP: `ping -c 1`;
with "retry" (probes expected to pass) UDP and ICMP resend once a second until the timeout;
"arp": one broadcast who-has for `dst` (never expects a reply; the wire logs tell).
With "src" set (spoofing tests), sends one forged packet with scapy instead and never
expects a reply.
"""

import json
import socket
import subprocess
import sys
import threading
import time


def tcp_probe(p):
    family = socket.AF_INET6 if ":" in p["dst"] else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(p["timeout"])
    try:
        s.connect((p["dst"], p["port"]))
        s.sendall(b"probe\n")
        data = s.recv(64)
        return data == b"probe\n", f"echo {data!r}"
    except OSError as e:
        return False, str(e)
    finally:
        s.close()


def udp_probe(p):
    family = socket.AF_INET6 if ":" in p["dst"] else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    # With "retry", like a resolver: resend every second until the deadline (a datagram can be
    # lost while a neighbour entry is still being resolved; TCP retransmits by itself).
    # Without, exactly one datagram (the blocked probes: one packet, one violation).
    deadline = time.monotonic() + p["timeout"]
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False, "timed out"
            s.settimeout(min(1.0, left) if p.get("retry") else left)
            s.sendto(b"probe", (p["dst"], p["port"]))
            try:
                data, _ = s.recvfrom(64)
                return data == b"probe", f"echo {data!r}"
            except socket.timeout:
                continue
    except OSError as e:
        return False, str(e)
    finally:
        s.close()


def icmp_probe(p):
    # With "retry", -w: one echo per second until a reply or the deadline (like the UDP
    # probe's resends); without, exactly one echo request.
    wait = "-w" if p.get("retry") else "-W"
    cmd = ["ping", "-n", "-c", "1", wait, str(max(1, int(p["timeout"]))), p["dst"]]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0, r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""


def spoof_probe(p):
    from scapy.all import ICMP, IP, TCP, ICMPv6EchoRequest, IPv6, conf, send  # noqa: slow import
    conf.verb = 0
    v6 = ":" in p["dst"]
    ip = IPv6(src=p["src"], dst=p["dst"]) if v6 else IP(src=p["src"], dst=p["dst"])
    if p["proto"] == "tcp":
        pkt = ip / TCP(sport=40000, dport=p["port"], flags="S")
    else:
        pkt = ip / (ICMPv6EchoRequest(id=77) if v6 else ICMP(id=77))
    send(pkt)
    return False, "sent forged"


def arp_probe(p):
    from scapy.all import ARP, Ether, conf, get_if_hwaddr, sendp  # noqa: slow import
    conf.verb = 0
    mac = get_if_hwaddr("eth0")
    sendp(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=p.get("from", "0.0.0.0"), pdst=p["dst"]),
          iface="eth0")
    return False, "sent who-has"


def run_one(p, results):
    if p["proto"] == "arp":
        fn = arp_probe
    elif p.get("src"):
        fn = spoof_probe
    else:
        fn = {"tcp": tcp_probe, "udp": udp_probe, "icmp": icmp_probe}[p["proto"]]
    try:
        ok, detail = fn(p)
    except Exception as e:  # a probe error is a result, not a crash of the batch
        ok, detail = False, f"error: {e}"
    results[p["id"]] = {"reply": ok, "detail": detail}


def main():
    probes = json.load(sys.stdin)
    results = {}
    threads = [threading.Thread(target=run_one, args=(p, results)) for p in probes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
