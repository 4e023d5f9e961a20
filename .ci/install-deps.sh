#!/usr/bin/env bash
# Installs every Debian 12 package isogate needs to build, test and run (idempotent).
set -euo pipefail
packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config clang clang-format git ca-certificates help2man systemd
  # libFuzzer and the sanitizer runtimes of clang-14 (tests/fuzz, bench/fuzz)
  libclang-rt-14-dev
  # libraries
  libdpdk-dev dpdk libnftnl-dev libmnl-dev libnetfilter-log-dev libpcap-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libgraphviz-dev graphviz libssl-dev nlohmann-json3-dev
  # runtime and end-to-end tests
  nftables iproute2 iputils-ping netcat-openbsd python3 python3-scapy tcpdump tcpreplay rsyslog procps ethtool
  # benchmarks: dpdk-testpmd (the ceiling the DPDK gateway is measured against)
  dpdk-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
