#!/usr/bin/env bash
# The main job on the embedded default, on a fresh Debian 12 machine (as root):
# installs the packages, builds, then runs isogate on the shipped example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)"

policy_cli=build/release/policy/isogate-policy
example=configs/tianjin-egov-boundary.yaml
echo "== isogate-policy check $example"
"$policy_cli" check "$example"
echo
echo "== trace: a citizen on the Internet opens the portal over https"
"$policy_cli" trace "$example" --src 203.0.113.7 --dst 172.16.30.10 --proto tcp --dport 443
echo
echo "== trace: an intranet host tries an extranet file server (physically isolated)"
"$policy_cli" trace "$example" --src 10.10.1.5 --dst 10.20.1.9 --proto tcp --dport 445
echo
out=build/release/tianjin-egov-boundary.nft
"$policy_cli" compile "$example" --target nft -o "$out"
"$policy_cli" compile "$example" --target ir -o "${out%.nft}.ir.json"
echo "== compiled: $out (nftables) and ${out%.nft}.ir.json (IR)"
echo
echo "== the DPDK gateway on net_pcap ports replays configs/demo/captures (no NIC, no hugepages)"
demo_out=build/release/demo
mkdir -p "$demo_out"
build/release/gateway/isogate-gw --config configs/demo/gateway.yaml --until-idle --events-file "$demo_out/events.log"
echo "== what each port transmitted: /tmp/isogate-demo/*.tx.pcap; every event: $demo_out/events.log"
