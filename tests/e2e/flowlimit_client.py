"""Long-lived TCP connections for the flow-limit test (test_flowlimit.py), driven line by line
on stdin from the test; one reply line each on stdout.

  open SPORT        connect from source port SPORT to DST:PORT (3 s); "ok SPORT" or "fail SPORT <why>"
  ping              one numbered line over every open connection, each waits for its echo (2 s);
                    "ping N ok" when all N answered, else "ping N fail SPORT,..." (and those are closed)
  close SPORT       orderly close (FIN, then the server's FIN); "closed SPORT"
  count             "count N": open connections

Usage: flowlimit_client.py DST PORT
"""

import socket
import sys


def main():
    dst, port = sys.argv[1], int(sys.argv[2])
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    conns = {}
    seq = 0
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        if cmd == "open":
            sport = int(words[1])
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", sport))
            s.settimeout(3)
            try:
                s.connect((dst, port))
                conns[sport] = s
                print(f"ok {sport}", flush=True)
            except OSError as e:
                s.close()
                print(f"fail {sport} {e}", flush=True)
        elif cmd == "ping":
            failed = []
            for sport, s in list(conns.items()):
                seq += 1
                try:
                    s.settimeout(2)
                    s.sendall(b"%d\n" % seq)
                    got = b""
                    while b"\n" not in got:
                        data = s.recv(4096)
                        if not data:
                            raise OSError("closed by the peer")
                        got += data
                    if int(got.split(b"\n")[0]) != seq:
                        raise OSError("wrong echo")
                except (OSError, ValueError):
                    failed.append(sport)
                    s.close()
                    del conns[sport]
            n = len(conns) + len(failed)
            print(f"ping {n} ok" if not failed else f"ping {n} fail {','.join(map(str, failed))}", flush=True)
        elif cmd == "close":
            sport = int(words[1])
            s = conns.pop(sport, None)
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_WR)
                    s.settimeout(2)
                    while s.recv(4096):
                        pass
                except OSError:
                    pass
                s.close()
            print(f"closed {sport}", flush=True)
        elif cmd == "count":
            print(f"count {len(conns)}", flush=True)


if __name__ == "__main__":
    main()
