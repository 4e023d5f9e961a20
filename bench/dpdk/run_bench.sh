#!/usr/bin/env bash
# The DPDK gateway against the dpdk-testpmd io-forward ceiling over the same virtual
# devices (BENCH-NOTES): 64-byte UDP frames of FLOWS flows replayed by net_pcap
# (infinite_rx=1) into the internet port, forwarded to the portal port; one worker lcore,
# connection tracking on. Alternates ceiling and gateway ROUNDS times per rule count and
# prints one line per run, then the medians. Usage (as root):
#   bench/dpdk/run_bench.sh BUILD_DIR [RULES="100 10000 100000"] [FLOWS=100000] [ROUNDS=3] [SECONDS=6]
set -eu
build=$(realpath "$1"); rules_list=${2:-"100 10000 100000"}; flows=${3:-100000}; rounds=${4:-3}; secs=${5:-6}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/isogate-dpdk-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
gen=$(ls "$build"/bench/policy/isogate-policy-gen)
gw="$build/gateway/isogate-gw"
/usr/bin/python3 "$here/make_flows.py" "$work/flows.pcap" "$work/arp.pcap" "$flows"
rx="net_pcap0,rx_pcap=$work/flows.pcap,infinite_rx=1"
tx="net_pcap1,rx_pcap=$work/arp.pcap,tx_pcap=/dev/null"
hz=$(awk '/^cpu MHz/ {print $4 * 1e6; exit}' /proc/cpuinfo)

ceiling() {
  timeout -s INT "$secs" dpdk-testpmd -l 0-1 --no-huge -m 512 --no-pci --no-shconf --file-prefix "ceil$$" \
    --vdev="$rx" --vdev="$tx" --log-level=3 -- --total-num-mbufs=163840 --forward-mode=io --stats-period=1 \
    2>/dev/null | { awk '/Rx-pps:/ {n++; if (n % 2 == 1 && n > 2) print $2}' | sort -g |
    awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)] / 1e6}'; }
}

gateway() {  # $1 policy file
  cat > "$work/gw.yaml" <<YAML
version: 1
name: gw-bench
policy: $1
backend: dpdk
interfaces:
  - {name: inet0, zone: internet, address: [198.51.100.1/24], device: "$rx"}
  - {name: portal0, zone: portal, address: [172.16.30.1/24], device: "$tx"}
dpdk:
  eal: [--no-huge, -m, "512", --no-pci, --no-shconf, -l, "0-1", --file-prefix, "gwb$$", --log-level, "3"]
YAML
  timeout -s TERM "$secs" "$gw" --config "$work/gw.yaml" --events-file /dev/null 2>&1 >/dev/null |
    sed -n 's/.*stopping.*received, \([0-9]*\) forwarded.*(\([0-9.]*\) Mpps received).*/\2 \1/p' || true
}

for n in $rules_list; do
  "$gen" --rules "$n" -o "$work/policy-$n.yaml"
  cat >> "$work/policy-$n.yaml" <<YAML
  - name: bench-flows
    from: internet
    to: {zone: portal, networks: [172.16.30.10/32]}
    services: [{udp: [5000]}]
    action: allow
YAML
  cs=(); gs=()
  for r in $(seq "$rounds"); do
    c=$(ceiling); g=$(gateway "$work/policy-$n.yaml")
    echo "rules=$n round=$r ceiling_mpps=$c gateway_mpps_forwarded=${g}"
    cs+=("$c"); gs+=("${g%% *}")
  done
  cm=$(printf '%s\n' "${cs[@]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  gm=$(printf '%s\n' "${gs[@]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  awk -v n="$n" -v c="$cm" -v g="$gm" -v hz="$hz" 'BEGIN {printf "MEDIAN rules=%s ceiling=%.2f Mpps gateway=%.2f Mpps ratio=%.2f cycles/packet=%.0f\n", n, c, g, g / c, hz / (g * 1e6)}'
done
