// Micro benchmark of the in-process data plane pipeline (no NIC, no PMD):
// 64-byte TCP frames of F concurrent flows through Worker::processBurst in
// calls of up to 128 packets (as the gateway receives them), with a policy of R rules in the
// flows' zone pair (the allowing rule last). Reports the established-flow rate (connection table
// hit), the new-flow rate (classifier + insert), cycles per packet, the ACL build time, and the
// memory of a 1M-flow table. Usage:
//   isogate-dataplane-bench [--rules 100,10000,100000] [--flows 100000] [--seconds 2]
//                           [--fast-lane on|off]   (off: every burst through the full pipeline)
//                           [--call N]             (packets per processBurst call, default 128)
//                           [--new-flow-seconds S] (the new-flow timing, default 0.05; 0 skips
//                                                   it, so that under callgrind every lane
//                                                   instruction counted is an established one)
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/wire.h"

using namespace isogate;
using namespace isogate::dataplane;

namespace {

policy::Prefix pfx(const char* s) { return *policy::parsePrefix(s); }

std::shared_ptr<const policy::CompiledPolicy> makePolicy(size_t rules) {
  auto p = std::make_shared<policy::CompiledPolicy>();
  p->name = "bench";
  p->zones = {{"portal", policy::Level::Public, false, true},
              {"internet", policy::Level::Public, true, true}};
  p->prefixes4 = {{pfx("172.16.30.0/24"), 0}};
  p->anyZone = 1;
  p->matrix = {policy::PairKind::Intra, policy::PairKind::Logical, policy::PairKind::Logical,
               policy::PairKind::Intra};
  for (size_t i = 0; i + 1 < rules; ++i) {  // rules that never match the benchmark's flows
    policy::CompiledRule r;
    r.id = static_cast<uint32_t>(i);
    char name[32];
    std::snprintf(name, sizeof name, "r%zu", i);
    r.name = name;
    r.fromZone = 1;
    r.toZone = 0;
    const uint32_t host = 0x64400000u + static_cast<uint32_t>(i);  // 100.64.0.0/10 hosts
    r.src = {policy::Prefix{policy::Family::V4, host, 32}};
    policy::MatchTerm t;
    t.protoFirst = t.protoLast = 6;
    t.portFirst = t.portLast = static_cast<uint16_t>(1000 + i % 7000);
    r.terms = {t};
    r.action = i % 3 ? policy::Action::Allow : policy::Action::Deny;
    p->rules.push_back(r);
  }
  policy::CompiledRule last;
  last.id = static_cast<uint32_t>(p->rules.size());
  last.name = "https";
  last.fromZone = 1;
  last.toZone = 0;
  policy::MatchTerm t;
  t.protoFirst = t.protoLast = 6;
  t.portFirst = t.portLast = 443;
  last.terms = {t};
  last.action = policy::Action::Allow;
  p->rules.push_back(last);
  return p;
}

bool fastLane = true;
uint16_t callSize = kLaneDepth;

DataplaneConfig makeConfig(uint32_t flowCapacity) {
  DataplaneConfig c;
  c.fastLane = fastLane;
  c.ports.push_back({"inet0",
                     "internet",
                     false,
                     {2, 0, 0, 0, 0, 1},
                     {{*policy::parseAddress("198.18.0.1"), 15}}});
  c.ports.push_back({"portal0",
                     "portal",
                     false,
                     {2, 0, 0, 0, 0, 2},
                     {{*policy::parseAddress("172.16.30.1"), 24}}});
  c.flowCapacity = flowCapacity;
  return c;
}

// A 64-byte frame (60 + FCS on the wire): Ethernet + IPv4 + TCP + 6 bytes payload.
std::vector<uint8_t> frame(uint32_t src, uint16_t sport, uint8_t flags) {
  using namespace wire;
  std::vector<uint8_t> f(60, 0);
  const uint8_t gw[6] = {2, 0, 0, 0, 0, 1}, host[6] = {2, 0, 0, 0, 0, 9};
  std::memcpy(f.data(), gw, 6);
  std::memcpy(f.data() + 6, host, 6);
  wr16(f.data() + 12, kEtherIpv4);
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  wr16(ip + 2, 46);
  ip[8] = 64;
  ip[9] = 6;
  wr32(ip + 12, src);
  wr32(ip + 16, 0xac101e0a);
  wr16(ip + 10, checksum(ip, 20));
  uint8_t* tcp = ip + 20;
  wr16(tcp, sport);
  wr16(tcp + 2, 443);
  tcp[12] = 0x50;
  tcp[13] = flags;
  return f;
}

struct Result {
  double mpps = 0,
         cycles = 0;   // wall clock (TSC): what a dedicated core would see if never preempted
  double cpuMpps = 0;  // per second of this thread's CPU time: robust on a shared, loaded machine
};

double threadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// Runs `frames` (one per flow, shuffled) through worker 0 for about `seconds`, or until about
// `maxPackets` went through.
Result run(Dataplane& dp, rte_mempool* pool, const std::vector<std::vector<uint8_t>>& frames,
           double seconds, bool pipeline, uint64_t* forwardedOut,
           uint64_t maxPackets = UINT64_MAX) {
  // Like a PMD, recycle a small set of mbufs (cache resident); the frames cycle over all flows.
  const size_t n = frames.size();
  std::vector<rte_mbuf*> mbufs(std::min<size_t>(n, 1024));
  for (auto& m : mbufs) {
    m = rte_pktmbuf_alloc(pool);
    rte_pktmbuf_append(m, 60);
  }
  size_t slot = 0;
  TxBuffer tx;
  Worker& w = dp.worker(0);
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t before = dp.totals().forwarded;
  w.enterLoop();
  uint64_t packets = 0;
  const double cpu0 = threadCpuSeconds();
  const uint64_t start = rte_rdtsc();
  const uint64_t end = start + static_cast<uint64_t>(seconds * hz);
  size_t at = 0;
  uint64_t now = start;
  while (now < end && packets < maxPackets) {
    for (int round = 0; round < 64; ++round) {
      rte_mbuf* burst[kLaneDepth];
      for (uint16_t k = 0; k < callSize; ++k) {
        const size_t idx = at;
        rte_mbuf* m = mbufs[slot];
        slot = slot + 1 == mbufs.size() ? 0 : slot + 1;
        at = at + 1 == n ? 0 : at + 1;
        // Restore the frame the last pass rewrote (MACs, TTL), as a PMD would deliver a fresh one.
        m->data_off = RTE_PKTMBUF_HEADROOM;
        m->data_len = m->pkt_len = 60;
        rte_mbuf_refcnt_set(m, 2);  // a drop frees nothing we still use
        std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), frames[idx].data(), 60);
        burst[k] = m;
      }
      if (pipeline) w.processBurst(0, burst, callSize, tx, now);
      tx.clear();
      packets += callSize;
    }
    now = rte_rdtsc();
  }
  const uint64_t cycles = rte_rdtsc() - start;
  const double cpu = threadCpuSeconds() - cpu0;
  w.leaveLoop();
  for (auto* m : mbufs) {
    rte_mbuf_refcnt_set(m, 1);
    rte_pktmbuf_free(m);
  }
  if (forwardedOut) *forwardedOut = dp.totals().forwarded - before;
  Result r;
  r.mpps = packets / (static_cast<double>(cycles) / hz) / 1e6;
  r.cycles = static_cast<double>(cycles) / packets;
  r.cpuMpps = packets / cpu / 1e6;
  return r;
}

std::vector<size_t> parseList(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoul(item));
  return out;
}

size_t heapInUse() {
  rte_malloc_socket_stats s{};
  size_t total = 0;
  for (int sock = 0; sock < RTE_MAX_NUMA_NODES; ++sock) {
    if (rte_malloc_get_socket_stats(sock, &s) == 0) total += s.heap_allocsz_bytes;
  }
  return total;
}

// The process's resident anonymous memory (RssAnon): where the flow table's own mapping
// shows without hugepages (dataplane/fast_path_memory.h); the --no-huge heap is a memfd (shmem).
size_t rssAnon() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "RssAnon: %zu kB", &kb) == 1) break;
  std::fclose(f);
  return kb * 1024;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> ruleCounts = {100, 10000, 100000};
  size_t flows = 100000;
  double seconds = 2, newFlowSeconds = 0.05;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rules")) ruleCounts = parseList(argv[i + 1]);
    if (!std::strcmp(argv[i], "--flows")) flows = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::stod(argv[i + 1]);
    if (!std::strcmp(argv[i], "--new-flow-seconds")) newFlowSeconds = std::stod(argv[i + 1]);
    if (!std::strcmp(argv[i], "--fast-lane")) fastLane = std::strcmp(argv[i + 1], "off") != 0;
    if (!std::strcmp(argv[i], "--call"))
      callSize = static_cast<uint16_t>(std::clamp(std::stoi(argv[i + 1]), 1, int{kLaneDepth}));
  }
  char prefix[64];
  std::snprintf(prefix, sizeof prefix, "--file-prefix=igbench%d", static_cast<int>(getpid()));
  const char* eal[] = {"bench",       "--no-huge", "-m", "4096", "--no-pci",
                       "--no-shconf", "-l",        "0",  prefix, "--log-level=3"};
  std::vector<char*> ea;
  for (const char* s : eal) ea.push_back(const_cast<char*>(s));
  if (rte_eal_init(static_cast<int>(ea.size()), ea.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 2;
  }
  rte_mempool* pool =
      rte_pktmbuf_pool_create("bench", static_cast<unsigned>(std::max<size_t>(flows, 4096) + 4096),
                              256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!pool) {
    std::fprintf(stderr, "mempool failed\n");
    return 2;
  }
  std::mt19937 rng(7);
  std::vector<std::vector<uint8_t>> syns, acks;
  for (size_t i = 0; i < flows; ++i) {
    const uint32_t src = 0xc6120000u + static_cast<uint32_t>(1 + i / 50000);  // 198.18.x.y
    const uint16_t sport = static_cast<uint16_t>(10000 + i % 50000);
    syns.push_back(frame(src, sport, 0x02));
    acks.push_back(frame(src, sport, 0x10));
  }
  std::vector<size_t> order(flows);
  for (size_t i = 0; i < flows; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::vector<uint8_t>> shuffledAcks;
  for (size_t i : order) shuffledAcks.push_back(acks[i]);

  std::printf(
      "flows=%zu, 64-byte TCP frames, %u packets per call, 1 lcore, TSC %.2f GHz, fast lane %s\n",
      flows, callSize, rte_get_tsc_hz() / 1e9, fastLane ? "on" : "off");
  {
    std::string error;
    auto dp = Dataplane::create(makeConfig(static_cast<uint32_t>(flows * 2)), &error);
    dp->installPolicy(makePolicy(1), {}, &error);
    const Result copy = run(*dp, pool, shuffledAcks, seconds, false, nullptr);
    std::printf(
        "frame restore only (baseline loop): %.1f Mpps wall, %.1f Mpps per CPU-second, %.1f "
        "cycles/packet\n",
        copy.mpps, copy.cpuMpps, copy.cycles);
  }
  std::printf(
      "| rules | ACL build s | established Mpps (wall) | established Mpps (per CPU-s) | cycles/pkt "
      "(wall) "
      "| new-flow Mpps (per CPU-s) | new-flow cycles/pkt (wall) | forwarded "
      "|\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t rules : ruleCounts) {
    std::string error;
    auto dp = Dataplane::create(makeConfig(static_cast<uint32_t>(flows * 2)), &error);
    if (!dp) {
      std::fprintf(stderr, "create: %s\n", error.c_str());
      return 2;
    }
    dp->neighbours().learn(false, 0xac101e0a, std::array<uint8_t, 6>{2, 0, 0, 0, 0, 0x30}.data(),
                           rte_rdtsc() + (1ull << 40));
    const auto t0 = std::chrono::steady_clock::now();
    if (!dp->installPolicy(makePolicy(rules), {}, &error)) {
      std::fprintf(stderr, "install: %s\n", error.c_str());
      return 2;
    }
    const double build =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // New flows: every SYN is a first packet (classifier + insert) into an empty table.
    const Result fresh = run(*dp, pool, syns, std::min(seconds, newFlowSeconds), true, nullptr);
    // The timed pass may not reach every flow (many rules, or none with --new-flow-seconds 0):
    // send each SYN once more (untimed), or the flows never opened would send their ACKs
    // through the pipeline, dropped.
    run(*dp, pool, syns, 1e9, true, nullptr, syns.size());
    uint64_t forwarded = 0;
    const Result est = run(*dp, pool, shuffledAcks, seconds, true, &forwarded);
    std::printf("| %zu | %.2f | %.2f | %.2f | %.0f | %.2f | %.0f | %lu |\n", rules, build, est.mpps,
                est.cpuMpps, est.cycles, fresh.cpuMpps, fresh.cycles,
                static_cast<unsigned long>(forwarded));
  }
  {
    const size_t before = heapInUse(), anonBefore = rssAnon();
    std::string error;
    auto dp = Dataplane::create(makeConfig(1u << 20), &error);
    const size_t after = heapInUse(), anonAfter = rssAnon();
    const size_t entries = (static_cast<size_t>(1) << 20) * sizeof(FlowEntry);
    std::printf(
        "memory for a 1M-flow table: %.1f MiB DPDK heap + %.1f MiB resident anonymous memory "
        "(without hugepages the buckets and the slots holding keys and %.1f MiB of flow "
        "entries are a mapping of their own; the heap holds the free lists)\n",
        (after - before) / 1048576.0, (anonAfter - anonBefore) / 1048576.0, entries / 1048576.0);
  }
  rte_eal_cleanup();
  return 0;
}
