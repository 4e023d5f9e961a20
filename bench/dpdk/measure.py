#!/usr/bin/python3
"""Measures a running DPDK process (dpdk-testpmd or isogate-gw) the same way for both, from
outside: port counters through the EAL telemetry socket (/ethdev/stats), and the CPU time the
worker lcores really got (/proc/PID/task/TID/schedstat, nanoseconds on a CPU), so a figure
per CPU-second stays meaningful on a shared, loaded machine where wall-clock rates mostly
measure preemption.

Waits until the TX port has transmitted packets, lets it warm up, then samples over a window and
prints one JSON object. Optionally sends SIGHUP every HUP_EVERY seconds inside the window
(isogate-gw reloads its policy; before each, RELOAD_CMD is run, e.g. to swap the policy file).

Usage: measure.py --prefix FILE_PREFIX --pid PID [--rx-port 0] [--tx-port 1] [--warmup 2]
                  [--seconds 5] [--start-timeout 180] [--hup-every S --reload-cmd CMD]"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time


class Telemetry:
    def __init__(self, prefix, timeout):
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise SystemExit("measure: no telemetry socket at %s" % path)
                time.sleep(0.2)
        json.loads(self.sock.recv(16384))  # greeting

    def query(self, cmd):
        self.sock.send(cmd.encode())
        return json.loads(self.sock.recv(1 << 20))


def worker_threads(pid):
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().startswith(("rte-worker-", "lcore-worker")):
                    out.append(tid)
        except OSError:
            pass
    return out


def cpu_ns(pid, tids):
    total = 0
    for tid in tids:
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            total += int(f.read().split()[0])
    return total


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sample(tel, args, tids):
    rx = tel.query("/ethdev/stats,%d" % args.rx_port)["/ethdev/stats"]
    tx = tel.query("/ethdev/stats,%d" % args.tx_port)["/ethdev/stats"]
    return {"t": time.monotonic(), "rx": rx["ipackets"], "tx": tx["opackets"],
            "oerrors": tx["oerrors"], "cpu": cpu_ns(args.pid, tids)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--rx-port", type=int, default=0)
    ap.add_argument("--tx-port", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--start-timeout", type=float, default=180)
    ap.add_argument("--hup-every", type=float, default=0)
    ap.add_argument("--reload-cmd", default="")
    args = ap.parse_args()

    tel = Telemetry(args.prefix, args.start_timeout)
    deadline = time.monotonic() + args.start_timeout
    # Forwarding has started once the sink transmitted something (the RX counter of a net_pcap
    # with infinite_rx may move while the application is still setting up).
    while tel.query("/ethdev/stats,%d" % args.tx_port)["/ethdev/stats"]["opackets"] == 0:
        if time.monotonic() > deadline:
            raise SystemExit("measure: no packet received within %.0f s" % args.start_timeout)
        time.sleep(0.1)
    started = time.monotonic()
    time.sleep(args.warmup)
    tids = worker_threads(args.pid)
    a = sample(tel, args, tids)
    hups = 0
    if args.hup_every > 0:
        end = a["t"] + args.seconds
        while time.monotonic() + args.hup_every < end:
            time.sleep(args.hup_every)
            if args.reload_cmd:
                subprocess.run(args.reload_cmd, shell=True, check=True)
            os.kill(args.pid, signal.SIGHUP)
            hups += 1
        time.sleep(max(0.0, end - time.monotonic()))
    else:
        time.sleep(args.seconds)
    b = sample(tel, args, tids)
    wall = b["t"] - a["t"]
    cpu = (b["cpu"] - a["cpu"]) / 1e9
    rx, tx = b["rx"] - a["rx"], b["tx"] - a["tx"]
    print(json.dumps({
        "workers": len(tids), "wall_s": round(wall, 3), "worker_cpu_s": round(cpu, 3),
        "rx": rx, "tx": tx, "tx_oerrors": b["oerrors"] - a["oerrors"],
        "rx_mpps": round(rx / wall / 1e6, 3), "tx_mpps": round(tx / wall / 1e6, 3),
        # per second of CPU time of one worker: what a dedicated, never preempted core would do
        "tx_mpps_per_cpu_s": round(tx / cpu / 1e6, 3) if cpu > 0 else 0,
        "cpu_share": round(cpu / wall / max(1, len(tids)), 3),
        "hups": hups, "rss_mib": round(rss_kib(args.pid) / 1024, 1),
        "first_tx_after_s": round(started - deadline + args.start_timeout, 1)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
