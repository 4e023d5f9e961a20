// isogate-report-cost-bench [--rules N[,N...]] [--conntrack N[,N...]] [--reps R] [--seed S]
// [--flows-only 1] What the kernel backend's periodic reports cost the gateway loop: in a network
// namespace it creates (and deletes), applies each generated policy through the real NftBackend and
// netlink sink, then times what the loop does every period: the counter dump, the stats
// report built from it and sent, and the conntrack dump for `isogatectl flows` with the
// table filled to each size through ctnetlink. Prints Markdown tables for docs/PERFORMANCE.md.
// --counters-only N[,N...] compares reading N counters by one dump and by name.
// --flows-only 1 skips the ruleset and counters (the flow dump needs only the compiled policy;
// applying 100k rules takes minutes).
// Needs root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/policy/policy_generator.h"
#include "gateway/conntrack_flows.h"
#include "gateway/nft_backend.h"
#include "gateway/nft_netlink.h"
#include "gateway/nft_netlink_sink.h"
#include "gateway/stats_report.h"
#include "mgmt/event_sender.h"
#include "mgmt/event_wire.h"
#include "mgmt/flow_wire.h"
#include "policy/pipeline.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The thread's CPU time includes the kernel's work for our netlink dumps: a dump's next
// message is produced inside our recvmsg.
double threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Sample {
  std::vector<double> wall, cpu;
  template <typename F>
  void time(F&& f) {
    const auto t = Clock::now();
    const double c = threadCpu();
    f();
    cpu.push_back(threadCpu() - c);
    wall.push_back(since(t));
  }
  static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
  }
  std::string text() const {
    char b[96];
    std::snprintf(b, sizeof b, "%.1f / %.1f ms", median(wall) * 1e3, median(cpu) * 1e3);
    return b;
  }
};

int run(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The namespace is deleted however the bench ends; the process lives in it after enter().
struct Netns {
  std::string name = "isogate-cpcost-" + std::to_string(getpid());
  bool ok = run("ip netns add " + name) == 0;
  ~Netns() {
    if (ok) run("ip netns del " + name);
  }
  bool enter() const {
    const int fd = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    const bool in = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
    if (fd >= 0) close(fd);
    return in;
  }
};

// A unix datagram socket standing in for isogate-mgmtd's intake: drained after each send so
// the report never meets a full queue.
struct Receiver {
  std::string path = "/tmp/isogate-cpcost-" + std::to_string(getpid()) + ".sock";
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  Receiver() {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ::unlink(path.c_str());
    const int size = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fd = -1;
  }
  ~Receiver() {
    if (fd >= 0) close(fd);
    ::unlink(path.c_str());
  }
  size_t drain() {
    static char buf[1 << 17];
    size_t n = 0;
    while (recv(fd, buf, sizeof buf, 0) > 0) ++n;
    return n;
  }
};

// Sends ctnetlink requests in chunks and waits for each one's acknowledgement.
class Ctnetlink {
 public:
  Ctnetlink() {
    nl_ = mnl_socket_open(NETLINK_NETFILTER);
    if (nl_ && mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      mnl_socket_close(nl_);
      nl_ = nullptr;
    }
    if (!nl_) return;
    // Acknowledgements without the request copied in, and room for a chunk's worth of them.
    const int on = 1, size = 4 << 20;
    setsockopt(mnl_socket_get_fd(nl_), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  ~Ctnetlink() {
    if (nl_) mnl_socket_close(nl_);
  }
  bool ok() const { return nl_ != nullptr; }

  // Empties the namespace's connection table.
  std::string flush() {
    std::vector<char> buf(4096);
    nlmsghdr* nlh = header(buf.data(), IPCTNL_MSG_CT_DELETE, NLM_F_REQUEST | NLM_F_ACK, AF_UNSPEC);
    return sendAndAck(buf.data(), nlh->nlmsg_len, 1);
  }

  // `count` UDP entries src:sport -> dst:53 (sport and src vary), as if replied, an hour to live.
  std::string addUdp(uint32_t srcBase, uint32_t srcHosts, uint32_t dst, size_t first,
                     size_t count) {
    std::vector<char> buf(1 << 16);
    size_t i = first;
    while (i < first + count) {
      size_t used = 0, inChunk = 0;
      while (i < first + count && inChunk < 100) {
        nlmsghdr* nlh = header(buf.data() + used, IPCTNL_MSG_CT_NEW,
                               NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, AF_INET);
        const uint32_t src = srcBase + 1 + static_cast<uint32_t>(i / 50000) % srcHosts;
        const uint16_t sport = static_cast<uint16_t>(1024 + i % 50000);
        tuple(nlh, CTA_TUPLE_ORIG, src, dst, sport, 53);
        tuple(nlh, CTA_TUPLE_REPLY, dst, src, 53, sport);
        mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(3600));
        used += NLMSG_ALIGN(nlh->nlmsg_len);
        ++inChunk;
        ++i;
      }
      const std::string err = sendAndAck(buf.data(), used, inChunk);
      if (!err.empty()) return err;
    }
    return "";
  }

 private:
  nlmsghdr* header(char* at, uint8_t type, uint16_t flags, uint8_t family) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(at);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = ++seq_;
    auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
    nfg->nfgen_family = family;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = 0;
    return nlh;
  }

  static void tuple(nlmsghdr* nlh, uint16_t which, uint32_t src, uint32_t dst, uint16_t sport,
                    uint16_t dport) {
    nlattr* t = mnl_attr_nest_start(nlh, which);
    nlattr* ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
    mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, htonl(src));
    mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(dst));
    mnl_attr_nest_end(nlh, ip);
    nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
    mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 17);
    mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
    mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
    mnl_attr_nest_end(nlh, proto);
    mnl_attr_nest_end(nlh, t);
  }

  std::string sendAndAck(const char* data, size_t len, size_t acks) {
    if (mnl_socket_sendto(nl_, data, len) < 0)
      return std::string("ctnetlink send: ") + std::strerror(errno);
    std::vector<char> buf(1 << 18);
    size_t got = 0;
    while (got < acks) {
      const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
      if (n < 0) return std::string("ctnetlink receive: ") + std::strerror(errno);
      int left = static_cast<int>(n);
      for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, left);
           m = mnl_nlmsg_next(m, &left)) {
        if (m->nlmsg_type != NLMSG_ERROR) continue;
        const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
        if (e->error != 0) return std::string("ctnetlink: ") + std::strerror(-e->error);
        ++got;
      }
    }
    return "";
  }

  mnl_socket* nl_ = nullptr;
  uint32_t seq_ = static_cast<uint32_t>(time(nullptr));
};

std::vector<size_t> parseSizes(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

// Two IPv4 zone prefixes of a logical pair (flows there are evaluated against the rules).
bool pickLogicalPair(const isogate::policy::CompiledPolicy& p, isogate::policy::Prefix& from,
                     isogate::policy::Prefix& to) {
  for (const auto& a : p.prefixes4)
    for (const auto& b : p.prefixes4)
      if (a.zone != b.zone && p.pair(a.zone, b.zone) == isogate::policy::PairKind::Logical &&
          a.prefix.length <= 28 && b.prefix.length <= 30) {
        from = a.prefix;
        to = b.prefix;
        return true;
      }
  return false;
}

// --counters-only N[,N...]: a table of N counter objects and nothing else (the dump's cost
// depends on the objects, not the rules; loading it takes seconds, not minutes), read by the
// one dump and by name in batches.
int countersOnlyRun(const std::vector<size_t>& sizes, int reps) {
  using namespace isogate;
  gateway::NftNetlink nl;
  std::string err;
  if (!nl.open(&err)) {
    std::cerr << err << "\n";
    return 1;
  }
  std::printf(
      "| named counters | dump wall / CPU | by name wall / CPU | same values "
      "|\n|---:|---:|---:|---|\n");
  for (size_t n : sizes) {
    policy::NftRuleset rs = gateway::failClosedRuleset();
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) {
      names.push_back("rule_bench_" + std::to_string(i));
      rs.counters.push_back({names.back()});
    }
    const auto r = nl.apply(rs);
    if (!r.ok) {
      std::cerr << "apply of " << n << " counters: " << r.error << "\n";
      return 1;
    }
    Sample dump, byName;
    bool same = true;
    for (int i = 0; i < reps; ++i) {
      std::optional<std::map<std::string, gateway::NftNetlink::CounterValue>> a, b;
      dump.time([&] { a = nl.counters(&err); });
      byName.time([&] { b = nl.countersByName(names, &err); });
      if (!a || !b) {
        std::cerr << err << "\n";
        return 1;
      }
      same = same && a->size() == n && b->size() == n;
      for (const auto& [k, v] : *a) same = same && b->count(k) && b->at(k).packets == v.packets;
    }
    std::printf("| %zu | %s | %s | %s |\n", n, dump.text().c_str(), byName.text().c_str(),
                same ? "yes" : "NO");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace isogate;
  std::vector<size_t> sizes = {1000, 10000};
  std::vector<size_t> tables = {0, 10000, 100000};
  int reps = 5;
  uint64_t seed = 1;
  bool flowsOnly = false;
  std::vector<size_t> countersOnly;
  const char* usage =
      "usage: isogate-report-cost-bench [--rules N[,N...]] [--conntrack N[,N...]] [--reps R] "
      "[--seed S] "
      "[--flows-only 1] [--counters-only N[,N...]]\n";
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    const bool known = a == "--rules" || a == "--conntrack" || a == "--reps" || a == "--seed" ||
                       a == "--flows-only" || a == "--counters-only";
    if (!known || i + 1 >= argc) {
      std::cerr << usage;
      return 2;
    }
    try {
      if (a == "--rules")
        sizes = parseSizes(argv[i + 1]);
      else if (a == "--conntrack")
        tables = parseSizes(argv[i + 1]);
      else if (a == "--reps")
        reps = std::stoi(argv[i + 1]);
      else if (a == "--flows-only")
        flowsOnly = std::stoi(argv[i + 1]) != 0;
      else if (a == "--counters-only")
        countersOnly = parseSizes(argv[i + 1]);
      else
        seed = std::stoull(argv[i + 1]);
    } catch (const std::exception&) {
      std::cerr << "isogate-report-cost-bench: bad value for " << a << ": " << argv[i + 1] << "\n"
                << usage;
      return 2;
    }
    if (sizes.empty() || reps < 1) {
      std::cerr << usage;
      return 2;
    }
  }
  std::sort(tables.begin(), tables.end());
  if (geteuid() != 0) {
    std::cerr << "isogate-report-cost-bench: needs root (network namespace, nftables, ctnetlink)\n";
    return 2;
  }
  Netns ns;
  if (!ns.ok || !ns.enter()) {
    std::cerr << "cannot create or enter namespace " << ns.name << "\n";
    return 1;
  }
  if (!countersOnly.empty()) return countersOnlyRun(countersOnly, reps);
  Receiver receiver;
  if (receiver.fd < 0) {
    std::cerr << "cannot bind " << receiver.path << "\n";
    return 1;
  }
  mgmt::EventSender sender(receiver.path);
  Ctnetlink ct;
  if (!ct.ok()) {
    std::cerr << "cannot open ctnetlink\n";
    return 1;
  }
  auto sink = gateway::makeKernelRulesetSink();
  gateway::NftBackend backend(
      *sink, {},
      [](const policy::CompiledPolicy&, const std::vector<policy::IpAddress>&,
         const policy::LocalTime&) {});
  std::string err;
  if (!backend.start(err)) {
    std::cerr << "backend start: " << err << "\n";
    return 1;
  }

  std::string countersTable =
      "| policy rules | nft rules | named counters | apply (wall) | counter dump wall / CPU | "
      "stats() = dump + report, wall / CPU | "
      "report rows / bytes | every counter non-zero: build wall / CPU, rows / bytes | send |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  std::string flowsTable =
      "| policy rules | conntrack entries | flowSnapshot() wall / CPU | total / shown / with rule "
      "| flows datagrams / bytes | send |\n"
      "|---:|---:|---:|---:|---:|---:|\n";
  for (size_t n : sizes) {
    bench::GeneratorOptions go;
    go.rules = n;
    go.seed = seed;
    auto build = policy::buildPolicyText(bench::writePolicyYaml(bench::generatePolicyModel(go)),
                                         "generated.yaml");
    if (!build.ok()) {
      std::cerr << "generated policy of " << n << " rules does not compile\n";
      return 1;
    }
    const policy::CompiledPolicy& compiled = *build.compiled;
    char line[512];
    if (!flowsOnly) {
      const auto t0 = Clock::now();
      const auto applied = backend.apply(compiled, {});
      const double applySeconds = since(t0);
      if (!applied.ok) {
        std::cerr << "apply of " << n << " rules failed: " << applied.error << "\n";
        return 1;
      }
      std::map<std::string, gateway::PacketBytesCount> counters;
      if (!sink->counters(counters, err)) {
        std::cerr << err << "\n";
        return 1;
      }

      Sample dump, stats, worst, send;
      mgmt::GatewayStats report;
      for (int r = 0; r < reps; ++r) {
        std::map<std::string, gateway::PacketBytesCount> c;
        dump.time([&] { sink->counters(c, err); });
        stats.time([&] { backend.stats(report, err); });
      }
      const size_t rowsAsRead = report.pairs.size();
      const size_t bytesAsRead = mgmt::toWire(report).size();
      // The worst case for the report: every rule and pair saw packets, so it folds to 300 rows.
      uint64_t k = 0;
      for (auto& [name, v] : counters) v = {++k, k * 100};
      for (int r = 0; r < reps; ++r) {
        worst.time([&] { report = gateway::statsFromNftCounters(compiled, counters); });
        send.time([&] { sender.sendStats(report); });
        receiver.drain();
      }
      std::snprintf(line, sizeof line,
                    "| %zu | %zu | %zu | %.1f s | %s | %s | %zu / %zu | %s, %zu / %zu | %s |\n", n,
                    backend.lastApplied().ruleCount(), counters.size(), applySeconds,
                    dump.text().c_str(), stats.text().c_str(), rowsAsRead, bytesAsRead,
                    worst.text().c_str(), report.pairs.size(), mgmt::toWire(report).size(),
                    send.text().c_str());
      countersTable += line;
      std::fprintf(stderr, "%s", line);
    }

    // The connection table, refilled for this policy's zones.
    policy::Prefix from, to;
    if (!pickLogicalPair(compiled, from, to)) {
      std::cerr << "no IPv4 logical zone pair in the generated policy\n";
      return 1;
    }
    if (const auto e = ct.flush(); !e.empty()) {
      std::cerr << "conntrack flush: " << e << "\n";
      return 1;
    }
    const auto srcBase = static_cast<uint32_t>(from.base);
    const uint32_t srcHosts = (1u << (32 - from.length)) - 2;
    const uint32_t dst = static_cast<uint32_t>(to.base) + 1;
    size_t filled = 0;
    for (size_t want : tables) {
      if (want > filled) {
        if (const auto e = ct.addUdp(srcBase, srcHosts, dst, filled, want - filled); !e.empty()) {
          std::cerr << "conntrack insert: " << e << " (after " << filled << " entries)\n";
          return 1;
        }
        filled = want;
      }
      Sample snap, fsend;
      mgmt::FlowSnapshot s;
      for (int r = 0; r < reps; ++r) {
        // What NftBackend::flowSnapshot() does for the running policy (no local addresses here).
        snap.time([&] {
          if (!gateway::snapshotConntrack(compiled, {}, policy::localTimeNow(),
                                          mgmt::kMaxSnapshotFlows, s, err))
            std::cerr << "flowSnapshot: " << err << "\n";
        });
        fsend.time([&] { sender.sendFlows(s); });
        receiver.drain();
      }
      size_t withRule = 0, bytes = 0;
      for (const auto& f : s.flows) withRule += f.rule.empty() ? 0 : 1;
      const auto parts = mgmt::toWireParts(s, 1);
      for (const auto& p : parts) bytes += p.size();
      std::snprintf(line, sizeof line, "| %zu | %zu | %s | %llu / %zu / %zu | %zu / %zu | %s |\n",
                    n, want, snap.text().c_str(), static_cast<unsigned long long>(s.total),
                    s.flows.size(), withRule, parts.size(), bytes, fsend.text().c_str());
      flowsTable += line;
      std::fprintf(stderr, "%s", line);
    }
    if (const auto e = ct.flush(); !e.empty()) std::cerr << "conntrack flush: " << e << "\n";
  }
  std::printf(
      "Counters and stats report (medians of %d):\n\n%s\nConnection table (medians of %d):\n\n%s",
      reps, countersTable.c_str(), reps, flowsTable.c_str());
  return 0;
}
