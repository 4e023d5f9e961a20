#!/usr/bin/env bash
# isogate-gw (backend: dpdk) against the dpdk-testpmd io-forward ceiling over the same
# virtual devices (../shared/BENCH-NOTES.md): 64-byte UDP frames of FLOWS concurrent flows
# replayed by net_pcap (infinite_rx=1) into the internet port, forwarded to the portal port,
# a net_null sink (no-rx=1); connection tracking on; a generated policy of RULES rules
# (isogate-policy-gen, seed 1) plus the rule that allows the flows. The portal host's MAC
# is given by ISOGATE_DPDK_NEIGHBOURS (a net_null never answers ARP).
#
# Per rule count and lcore count it alternates ceiling and gateway ROUNDS times; each run is
# measured from outside the same way (bench/dpdk/measure.py: port counters by telemetry, CPU
# time of the worker threads from /proc) after WARMUP s, over SECS s. With RELOAD=1 it adds
# gateway runs that reload the policy (SIGHUP, alternating two generated policies of the same
# size) every RELOAD_EVERY s at full rate and report the packets dropped over the whole run.
# Prints one line per run, then medians. With several build folders (an A/B of changes) each
# round runs the ceiling once, then the gateway of every build in turn, and the medians come
# per build. Usage (as root):
#   bench/dpdk/run_bench.sh BUILD_DIR [BUILD_DIR...]
# Environment: RULES="10000" FLOWS=100000 ROUNDS=2 LCORES="1" WARMUP=3 SECS=5 RELOAD=0
#   RELOAD_EVERY=2 START_TIMEOUT=300 (s until forwarding starts: policy load) MEM=2048 (EAL -m, MiB;
#   a reload holds two ACL sets) GW_MEM=$MEM (the gateway's -m alone: 100k rules need more) KEEP=0 (keep the work folder)
#   FLOWS_MAX= (the gateway config's flows.max; unset: the default table of 262144 per worker)
#   HUGE=0 (1: both programs in 2 MiB hugepages instead of --no-huge; reserve them first, e.g.
#   echo 1100 > /proc/sys/vm/nr_hugepages, with hugetlbfs mounted on /dev/hugepages)
#   ORDER=created (mixed: each flow sent a second time per replay in a random order, as on a
#   real link; created replays them in the order they began, which a connection table that
#   fills its entries in that order reads in order: make_flows.py)
set -eu
builds=(); for b in "$@"; do builds+=("$(realpath "$b")"); done
build=${builds[0]}  # its isogate-policy-gen writes the policies
rules_list=${RULES:-10000}; flows=${FLOWS:-100000}; order=${ORDER:-created}; rounds=${ROUNDS:-2}; lcores_list=${LCORES:-1}
warmup=${WARMUP:-3}; secs=${SECS:-5}; start_timeout=${START_TIMEOUT:-300}; reload=${RELOAD:-0}; reload_every=${RELOAD_EVERY:-2}; mem=${MEM:-2048}
here=$(cd "$(dirname "$0")" && pwd)
# Memory: anonymous 4 KiB pages (--no-huge, the reference ceiling's), or hugepages whose files
# are unlinked at once (--huge-unlink), so that no run leaves any behind.
if [ "${HUGE:-0}" = 1 ]; then
  huge_free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
  need=$(( (${GW_MEM:-$mem} > mem ? ${GW_MEM:-$mem} : mem) / 2 ))
  if [ "$huge_free" -lt "$need" ] || ! mountpoint -q /dev/hugepages; then
    echo "HUGE=1 needs $need free 2 MiB hugepages ($huge_free free) and hugetlbfs on /dev/hugepages" >&2
    exit 2
  fi
  mem_arg=--huge-unlink
else
  mem_arg=--no-huge
fi
work=$(mktemp -d /tmp/isogate-dpdk-bench.XXXXXX)
# The EAL runtime folders of our file prefixes go in any case; the work folder unless KEEP=1.
trap 'rm -rf /var/run/dpdk/dpbc$$ /var/run/dpdk/dpbg$$; [ "${KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
gen="$build/bench/policy/isogate-policy-gen"
measure="/usr/bin/python3 $here/measure.py"
hz=$(awk '/^cpu MHz/ {print $4 * 1e6; exit}' /proc/cpuinfo)
export ISOGATE_DPDK_NEIGHBOURS="172.16.30.10=02:00:00:00:00:aa"

echo "# $(date -u '+%F %T UTC') $(uname -n), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "# flows=$flows order=$order rules=[$rules_list] lcores=[$lcores_list] rounds=$rounds warmup=${warmup}s window=${secs}s memory=$mem_arg${FLOWS_MAX:+ flows.max=$FLOWS_MAX}"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$here/make_flows.py" "$work/flows.pcap" "$flows" 2 "$order"
# The frames the capture holds, all kept in mbufs by net_pcap's infinite_rx.
frames=$flows; [ "$order" = mixed ] && frames=$((2 * flows))

# The RX vdev for Q queues: one rx_pcap per queue (net_pcap has no RSS).
rx_vdev() {
  if [ "$1" = 1 ]; then echo "net_pcap0,rx_pcap=$work/flows.pcap,infinite_rx=1"; return; fi
  local v="net_pcap0" q
  for q in $(seq 0 $(($1 - 1))); do v="$v,rx_pcap=$work/flows-q$q.pcap"; done
  echo "$v,infinite_rx=1"
}
# EAL lcores: the first runs the main/control thread (mostly asleep), the rest one worker each;
# 2 workers on this 2-CPU machine share CPU 0 with the main thread.
lcores_arg() { if [ "$1" = 1 ]; then echo "-l 0-1"; else echo "--lcores=0@0,1@0,2@1"; fi; }
lcores_yaml() { if [ "$1" = 1 ]; then echo '-l, "0-1"'; else echo '"--lcores=0@0,1@0,2@1"'; fi; }

policy_for() {  # $1 rules, $2 seed, $3 output
  "$gen" --rules "$1" --seed "$2" -o "$3"
  cat >> "$3" <<YAML
  - name: bench-flows
    from: internet
    to: {zone: portal, networks: [172.16.30.10/32]}
    services: [{udp: [5000]}]
    action: allow
YAML
}

ceiling() {  # $1 workers -> JSON line
  local prefix="dpbc$$" pid out
  # shellcheck disable=SC2046
  dpdk-testpmd $(lcores_arg "$1") $mem_arg -m "$mem" --no-pci --no-shconf --file-prefix "$prefix" \
    --vdev="$(rx_vdev "$1")" --vdev=net_null0,no-rx=1 --log-level=3 -- \
    --total-num-mbufs=$((frames + 32768)) --rxq="$1" --txq="$1" --nb-cores="$1" --forward-mode=io --stats-period=5 \
    >"$work/testpmd.log" 2>&1 &
  pid=$!
  out=$($measure --prefix "$prefix" --pid "$pid" --warmup "$warmup" --seconds "$secs" --start-timeout "$start_timeout" || true)
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$out"
}

gateway() {  # $1 workers, $2 policy file, [$3 hup-every, $4 reload command] -> JSON line + stop line
  local prefix="dpbg$$" pid out stop gw="${GW_BIN:-$build/gateway/isogate-gw}"
  cat >"$work/gw.yaml" <<YAML
version: 1
name: gw-bench
policy: $2
backend: dpdk
interfaces:
  - {name: inet0, zone: internet, address: [198.51.100.1/24], device: "$(rx_vdev "$1")"}
  - {name: portal0, zone: portal, address: [172.16.30.1/24], device: "net_null0,no-rx=1"}
${FLOWS_MAX:+flows: {max: $FLOWS_MAX\}}
dpdk:
  eal: [$mem_arg, -m, "${GW_MEM:-$mem}", --no-pci, --no-shconf, $(lcores_yaml "$1"), --file-prefix, $prefix, --log-level, "3"]
YAML
  rm -f "$work/events.log"
  "$gw" --config "$work/gw.yaml" --events-file "$work/events.log" >"$work/gw.out" 2>"$work/gw.log" &
  pid=$!
  if [ -n "${3:-}" ]; then
    out=$($measure --prefix "$prefix" --pid "$pid" --warmup "$warmup" --seconds "$secs" --start-timeout "$start_timeout" --hup-every "$3" \
      --reload-cmd "$4" || true)
  else
    out=$($measure --prefix "$prefix" --pid "$pid" --warmup "$warmup" --seconds "$secs" --start-timeout "$start_timeout" || true)
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  stop=$(sed -n 's/.*forwarding\. \([0-9]*\) packets received, \([0-9]*\) forwarded, \([0-9]*\) transmitted, \([0-9]*\) dropped, \([0-9]*\) refused.*/{"run_rx": \1, "run_forwarded": \2, "run_dropped": \4, "run_refused": \5}/p' "$work/gw.log")
  [ -n "$out" ] || { echo "gateway failed:" >&2; tail -5 "$work/gw.log" >&2; }
  echo "$out ${stop:-{\}}"
}

field() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get(sys.argv[2], "nan"))' "$1" "$2" 2>/dev/null || echo nan; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

for n in $rules_list; do
  policy_for "$n" 1 "$work/policy-$n.yaml"
  for w in $lcores_list; do
    # Per build k: space-separated figures of its rounds (cw, cc: the ceiling of the same round).
    cw=(); cc=(); declare -A gw_=() gc=() rw=() rc=()
    for r in $(seq "$rounds"); do
      c=$(ceiling "$w")
      echo "rules=$n lcores=$w round=$r load=$(cut -d' ' -f1 /proc/loadavg)"
      echo "  testpmd : $c"
      cw+=("$(field "$c" tx_mpps)"); cc+=("$(field "$c" tx_mpps_per_cpu_s)")
      for k in "${!builds[@]}"; do
        g=$(GW_BIN="${builds[$k]}/gateway/isogate-gw" gateway "$w" "$work/policy-$n.yaml")
        gj=${g%% \{*}; gs=${g#"$gj"}
        label="gateway"; [ "${#builds[@]}" = 1 ] || label="gateway ${builds[$k]}"
        echo "  $label : $gj"
        echo "  $label totals over the whole run:$gs"
        a=$(field "$gj" tx_mpps); b=$(field "$gj" tx_mpps_per_cpu_s)
        gw_[$k]+=" $a"; gc[$k]+=" $b"
        rw[$k]+=" $(awk -v a="$a" -v b="${cw[-1]}" 'BEGIN {print (b > 0 ? a / b : 0)}')"
        rc[$k]+=" $(awk -v a="$b" -v b="${cc[-1]}" 'BEGIN {print (b > 0 ? a / b : 0)}')"
      done
    done
    for k in "${!builds[@]}"; do
      label=""; [ "${#builds[@]}" = 1 ] || label=" build=${builds[$k]}"
      # shellcheck disable=SC2086  # the per-build lists split into their figures
      awk -v n="$n" -v w="$w" -v cw="$(median "${cw[@]}")" -v gw="$(median ${gw_[$k]})" -v rw="$(median ${rw[$k]})" \
        -v cc="$(median "${cc[@]}")" -v gc="$(median ${gc[$k]})" -v rc="$(median ${rc[$k]})" -v hz="$hz" -v label="$label" \
        'BEGIN {printf "MEDIAN rules=%s lcores=%s%s | wall: testpmd %.2f Mpps, gateway %.2f Mpps, ratio %.2f | per worker CPU-second: testpmd %.2f Mpps, gateway %.2f Mpps, ratio %.2f, gateway %.0f cycles/packet, testpmd %.0f cycles/packet\n", n, w, label, cw, gw, rw, cc, gc, rc, (gc > 0 ? hz / (gc * 1e6) : 0), (cc > 0 ? hz / (cc * 1e6) : 0)}'
    done
    unset gw_ gc rw rc
  done
  if [ "$reload" = 1 ]; then
    policy_for "$n" 2 "$work/policy-$n-b.yaml"
    cp "$work/policy-$n.yaml" "$work/policy-$n-a.yaml"
    cp "$work/policy-$n.yaml" "$work/policy-live.yaml"
    # Alternate the live policy file between seed 1 and seed 2 before each SIGHUP.
    swap="if cmp -s $work/policy-live.yaml $work/policy-$n-a.yaml; then cp $work/policy-$n-b.yaml $work/policy-live.tmp; else cp $work/policy-$n-a.yaml $work/policy-live.tmp; fi; mv $work/policy-live.tmp $work/policy-live.yaml"
    g=$(gateway 1 "$work/policy-live.yaml" "$reload_every" "$swap")
    gj=${g%% \{*}; gs=${g#"$gj"}
    echo "RELOAD rules=$n lcores=1 every ${reload_every}s: $gj"
    echo "  gateway totals over the whole run:$gs"
    grep -c "policy-loaded" "$work/events.log" 2>/dev/null | sed 's/^/  policy-loaded events (incl. the first): /' || true
    grep -i "reject" "$work/gw.log" | head -3 || true
  fi
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
