// isogate-nft-apply-bench [--rules N[,N...]] [--reps R] [--seed S]
// For each size: generates a policy (bench/policy generator), compiles it,
// builds the nftables model, then in a throwaway network namespace replaces
// table inet isogate alternately through netlink (encode + commit + readback)
// and through `nft -f` of the rendered script. Prints medians as a Markdown
// table for docs/PERFORMANCE.md. Needs root.
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/policy/policy_generator.h"
#include "gateway/nft_netlink.h"
#include "policy/nft_ruleset.h"
#include "policy/nft_text.h"
#include "policy/pipeline.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time, robust to a busy shared machine: this thread (netlink: the
// kernel processes the batch inside our sendmsg, so it is our system time)
// and the children (nft -f, including its kernel time).
double threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double childrenCpu() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int run(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The namespace is deleted however the bench ends (RAII).
struct Netns {
  std::string name = "isogate-nftbench-" + std::to_string(getpid());
  bool ok = run("ip netns add " + name) == 0;
  ~Netns() {
    if (ok) run("ip netns del " + name);
  }
};

bool openIn(const Netns& ns, isogate::gateway::NftNetlink& nl, std::string* error) {
  const int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(("/run/netns/" + ns.name).c_str(), O_RDONLY | O_CLOEXEC);
  bool ok = self >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0;
  if (ok) {
    ok = nl.open(error);
    if (setns(self, CLONE_NEWNET) != 0) std::abort();
  }
  if (self >= 0) close(self);
  if (target >= 0) close(target);
  return ok;
}

std::vector<size_t> parseSizes(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoul(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {1000, 10000, 100000};
  int reps = 5;
  uint64_t seed = 1;
  const char* usage = "usage: isogate-nft-apply-bench [--rules N[,N...]] [--reps R] [--seed S]\n";
  // Every option takes a value: a lone or unknown word (e.g. --help) prints the usage
  // instead of starting a run that takes minutes at the default sizes.
  for (int i = 1; i < argc; i += 2) {
    const std::string a = argv[i];
    const bool known = a == "--rules" || a == "--reps" || a == "--seed";
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (!known || i + 1 >= argc) {
      std::cerr << usage;
      return 2;
    }
    try {
      if (a == "--rules") sizes = parseSizes(argv[i + 1]);
      else if (a == "--reps") reps = std::stoi(argv[i + 1]);
      else seed = std::stoull(argv[i + 1]);
    } catch (const std::exception&) {
      std::cerr << "isogate-nft-apply-bench: bad value for " << a << ": " << argv[i + 1] << "\n" << usage;
      return 2;
    }
    if (sizes.empty() || reps < 1) {
      std::cerr << usage;
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::cerr << "isogate-nft-apply-bench: needs root (network namespace, nftables)\n";
    return 2;
  }
  Netns ns;
  if (!ns.ok) {
    std::cerr << "cannot create namespace " << ns.name << "\n";
    return 1;
  }
  isogate::gateway::NftNetlink nl;
  std::string err;
  if (!openIn(ns, nl, &err)) {
    std::cerr << err << "\n";
    return 1;
  }
  std::printf("| policy rules | nft rules | netlink msgs / MB | encode (wall) | commit (wall) | readback (wall) | netlink total wall / CPU | `nft -f` wall / CPU | speed-up wall / CPU |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t n : sizes) {
    isogate::bench::GeneratorOptions go;
    go.rules = n;
    go.seed = seed;
    const auto yaml = isogate::bench::writePolicyYaml(isogate::bench::generatePolicyModel(go));
    auto build = isogate::policy::buildPolicyText(yaml, "generated.yaml");
    if (!build.ok()) {
      std::cerr << "generated policy of " << n << " rules does not compile\n";
      return 1;
    }
    const auto rs = isogate::policy::buildNftRuleset(*build.compiled);
    const std::string path = "/tmp/isogate-nftbench-" + std::to_string(getpid()) + ".nft";
    {
      std::ofstream out(path);
      out << isogate::policy::renderNftText(rs);
    }
    std::vector<double> enc, commit, verify, total, text, totalCpu, textCpu;
    size_t msgs = 0, bytes = 0;
    for (int r = 0; r < reps; ++r) {
      // Alternate, each replacing the table the other loaded.
      const auto t0 = Clock::now();
      const double c0 = threadCpu();
      const auto res = nl.apply(rs);
      const double t = since(t0);
      totalCpu.push_back(threadCpu() - c0);
      if (!res.ok) {
        std::cerr << "netlink apply failed: " << res.error << "\n";
        return 1;
      }
      enc.push_back(res.encodeSeconds);
      commit.push_back(res.commitSeconds);
      verify.push_back(res.verifySeconds);
      total.push_back(t);
      msgs = res.messages;
      bytes = res.bytes;
      const auto t1 = Clock::now();
      const double c1 = childrenCpu();
      if (run("ip netns exec " + ns.name + " nft -f " + path) != 0) {
        std::cerr << "nft -f failed\n";
        return 1;
      }
      text.push_back(since(t1));
      textCpu.push_back(childrenCpu() - c1);
    }
    std::remove(path.c_str());
    std::printf("| %zu | %zu | %zu / %.1f | %.3f s | %.3f s | %.3f s | **%.3f s** / %.3f s | %.3f s / %.3f s | %.1fx / %.1fx |\n", n,
                rs.ruleCount(), msgs, static_cast<double>(bytes) / 1e6, median(enc), median(commit), median(verify),
                median(total), median(totalCpu), median(text), median(textCpu), median(text) / median(total),
                median(textCpu) / median(totalCpu));
    std::fflush(stdout);
  }
  return 0;
}
