"""A long-running TCP client for the reload tests: connects once, then sends a numbered
line every 50 ms and waits for its echo. Prints "ok N" per echo, "timeout N" when an echo
did not come within a second, "closed"/"error ..." when the connection ends. Never
reconnects: the same flow has to survive (or not) the reloads.

Usage: stream.py DST PORT
"""

import socket
import sys
import time


def main():
    dst, port = sys.argv[1], int(sys.argv[2])
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((dst, port))
    print("connected", flush=True)
    s.settimeout(1)
    n = 0
    pending = b""
    while True:
        n += 1
        try:
            s.sendall(b"%d\n" % n)
            while b"\n" not in pending:
                data = s.recv(4096)
                if not data:
                    print("closed", flush=True)
                    return
                pending += data
            line, pending = pending.split(b"\n", 1)
            print(f"ok {int(line)}", flush=True)
        except socket.timeout:
            print(f"timeout {n}", flush=True)
        except OSError as e:
            print(f"error {e}", flush=True)
            return
        time.sleep(0.05)


if __name__ == "__main__":
    main()
