// isogate-gw --config GATEWAY.yaml [--events-file PATH] [--mgmt-socket PATH] [--pidfile PATH]
//            [--user NAME] [--check-only]
// Wires the parts together: config, backend, policy loader, NFLOG events, signal loop,
// the pidfile isogate-mgmtd signals for a reload. Exit codes: 0 stopped by a signal (rules
// stay in force), 1 bad config or backend failure, 2 usage.
#include <linux/capability.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#ifdef ISOGATE_HAVE_DPDK_BACKEND
#include "gateway/dpdk_gateway.h"
#endif
#include "gateway/gateway_loop.h"
#include "gateway/monitor_port.h"
#include "gateway/nft_backend.h"
#include "gateway/nft_netlink_sink.h"
#include "gateway/nflog_reader.h"
#include "gateway/policy_loader.h"
#include "mgmt/privileges.h"
#include "policy/gateway_config.h"
#include "policy/nft_ruleset.h"
#include "policy/pipeline.h"

namespace {

using namespace isogate;

constexpr const char* kDefaultPidfile = "/run/isogate/isogate-gw.pid";

struct Args {
  std::string config, eventsFile, mgmtSocket;
  std::string pidfile = kDefaultPidfile;
  std::string user;  // --user: switch to it once the root-only set-up is done
  bool checkOnly = false;
  bool untilIdle = false;  // dpdk: replay the configured captures to their end, print a summary, exit
};

constexpr const char* kUsage =
    "usage: isogate-gw --config GATEWAY.yaml [--events-file PATH] [--mgmt-socket PATH]\n"
    "                  [--pidfile PATH] [--user NAME] [--check-only] [--until-idle]\n";

int usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

int help() {
  // Laid out for help2man (Usage:/Options:); signals and exit status are in isogate-gw(8).
  std::fputs(
      "Usage: isogate-gw --config GATEWAY.yaml [OPTION]...\n"
      "\n"
      "The isogate gateway: loads the zone policy named by the gateway config, enforces it\n"
      "through the configured backend (nftables or dpdk) and reports violations.\n"
      "SIGHUP reloads the policy; SIGTERM stops the daemon (kernel rules stay in force).\n"
      "\n"
      "Options:\n"
      "  --config GATEWAY.yaml  the gateway config; required\n"
      "  --events-file PATH     also append every event as an RFC 5424 line to PATH\n"
      "  --mgmt-socket PATH     send events to isogate-mgmtd's event socket (unix datagram)\n"
      "  --pidfile PATH         where to write the pid isogate-mgmtd signals for a reload\n"
      "                         (default /run/isogate/isogate-gw.pid)\n"
      "  --user NAME            started as root: once the ruleset, netlink and NFLOG sockets\n"
      "                         are set up, run as user NAME (its groups) keeping only\n"
      "                         CAP_NET_ADMIN (dpdk backend: once the EAL and the ports are\n"
      "                         up, no capability; needs --no-huge or --legacy-mem). The\n"
      "                         policy file must be readable by NAME. Failing to switch\n"
      "                         exits with 1 before the policy is loaded\n"
      "  --check-only           load and check config and policy, print the result, exit\n"
      "  --until-idle           dpdk on net_pcap ports: replay the captures to their end,\n"
      "                         print the per-zone-pair summary and exit\n"
      "  --help                 this text\n"
      "\n"
      "Exit status 0 when stopped by a signal or the check passed, 1 for a bad config,\n"
      "policy or backend, 2 for bad usage. More in isogate-gw(8).\n",
      stdout);
  return 0;
}

bool parseArgs(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (k == "--config") {
      if (!value(a.config)) return false;
    } else if (k == "--events-file") {
      if (!value(a.eventsFile)) return false;
    } else if (k == "--mgmt-socket") {
      if (!value(a.mgmtSocket)) return false;
    } else if (k == "--pidfile") {
      if (!value(a.pidfile) || a.pidfile.empty()) return false;
    } else if (k == "--user") {
      if (!value(a.user) || a.user.empty()) return false;
    } else if (k == "--check-only") {
      a.checkOnly = true;
    } else if (k == "--until-idle") {
      a.untilIdle = true;
    } else {
      return false;
    }
  }
  return !a.config.empty();
}

void printDiagnostics(const policy::Diagnostics& d) {
  for (const auto& x : d.sorted()) std::fprintf(stderr, "%s\n", policy::formatDiagnostic(x).c_str());
}

mgmt::Event fault(const std::string& what) {
  mgmt::Event e;
  e.type = mgmt::EventType::Fault;
  e.set("error", what);
  e.message = what;
  return e;
}

// The pidfile isogate-mgmtd reads to SIGHUP this gateway (mgmt/gateway_reload.h). Written
// whole to a temporary name and renamed, so a reader never sees a partial pid.
bool writePidfile(const std::string& path, std::string& error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ::getpid() << "\n";
    out.close();
    if (!out) {
      error = "cannot write pidfile " + tmp + ": " + std::strerror(errno ? errno : EIO);
      ::unlink(tmp.c_str());
      return false;
    }
  }
  ::chmod(tmp.c_str(), 0644);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write pidfile " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

// Removed only while it still names this process: a second gateway started later (a test,
// an operator mistake) owns it now, and taking it away would cut that one's reload hook.
void removePidfile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in && std::getline(in, line) && line == std::to_string(::getpid())) ::unlink(path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return help();
  if (!parseArgs(argc, argv, args)) return usage();
  mgmt::DropTarget dropTo;
  if (!args.user.empty() && !args.checkOnly) {
    std::string error;
    if (!mgmt::resolveDropTarget(args.user, dropTo, error)) {
      std::fprintf(stderr, "isogate-gw: --user: %s\n", error.c_str());
      return 2;
    }
  }

  // Signals first: a SIGHUP during start-up must queue a reload, not kill the daemon.
  sigset_t handled;
  sigemptyset(&handled);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&handled, s);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  std::unique_ptr<gateway::GatewayLoop> loop;
  policy::Diagnostics diags;
  policy::GatewayConfig config = policy::loadGatewayConfigFile(args.config, diags);
  if (!diags.hasErrors()) {
    policy::PolicyBuild build = policy::buildPolicyFile(config.policyPath);
    if (build.ok()) policy::checkGatewayConfig(config, build.model, diags);
    if (args.checkOnly) {
      for (const auto& x : build.diags.sorted()) std::fprintf(stderr, "%s\n", policy::formatDiagnostic(x).c_str());
      printDiagnostics(diags);
      return diags.hasErrors() || !build.ok() ? 1 : 0;
    }
  }
  printDiagnostics(diags);
  if (diags.hasErrors()) {
    // Nothing the config says can be trusted, but a box meant to be a kernel gateway must
    // not be left forwarding: close the forward path unless rules are already in force.
    if (config.backend == policy::Backend::Nftables) {
      auto sink = gateway::makeKernelRulesetSink();
      gateway::NftBackend closed(*sink, {}, [](const auto&, const auto&, const auto&) {});
      std::string error;
      if (!closed.start(error)) std::fprintf(stderr, "isogate-gw: cannot close the forward path: %s\n", error.c_str());
    }
    return 1;
  }
  if (config.backend == policy::Backend::Dpdk) {
#ifdef ISOGATE_HAVE_DPDK_BACKEND
    gateway::DpdkRunOptions runOptions{args.eventsFile, args.mgmtSocket, args.untilIdle, 0.5, {}};
    if (!args.user.empty()) {
      // No capability is kept: once the EAL and the ports are up, the PMDs in use
      // (net_af_packet, net_pcap, net_null, vfio-bound NICs) read and write what they opened.
      // Memory must all be reserved at EAL start: a later hugepage mapping would need root.
      bool fixedMemory = false;
      for (const auto& a : config.dpdkEal) fixedMemory = fixedMemory || a == "--no-huge" || a == "--legacy-mem";
      std::string error;
      if (!fixedMemory) {
        std::fprintf(stderr,
                     "isogate-gw: --user with the dpdk backend needs --legacy-mem or --no-huge in dpdk.eal "
                     "(hugepages mapped after the switch would need root)\n");
        return 1;
      }
      // Cut before rte_eal_init starts its threads: the bounding set is per thread.
      if (!mgmt::limitCapabilityBound(0, error)) {
        std::fprintf(stderr, "isogate-gw: --user: %s\n", error.c_str());
        return 1;
      }
      runOptions.dropPrivileges = [&](std::string& e) {
        if (!mgmt::dropPrivileges(dropTo, 0, e)) {
          e = "cannot switch to user " + args.user + ": " + e;
          return false;
        }
        std::fprintf(stderr, "isogate-gw: running as user %s (uid %u) with no capabilities\n", args.user.c_str(),
                     static_cast<unsigned>(dropTo.uid));
        return true;
      };
    }
    // The DPDK backend applies its policy inside runDpdkGateway; a SIGHUP sent as soon as the
    // pidfile exists stays pending (blocked above) until its signal loop reads it.
    std::string pidError;
    bool pidWritten = !args.untilIdle && writePidfile(args.pidfile, pidError);
    if (!args.untilIdle && !pidWritten) std::fprintf(stderr, "isogate-gw: %s\n", pidError.c_str());
    int rc = gateway::runDpdkGateway(config, runOptions);
    if (pidWritten) removePidfile(args.pidfile);
    return rc;
#else
    std::fprintf(stderr, "isogate-gw: dpdk backend not built in this binary\n");
    return 1;
#endif
  }
  if (args.untilIdle) return usage();

  gateway::EventOutput events({args.eventsFile, args.mgmtSocket, config.name});
  std::string error;
  if (!events.open(error)) {
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }

  std::vector<gateway::BackendInterface> interfaces;
  std::vector<policy::IpAddress> local;
  for (const auto& i : config.interfaces) {
    interfaces.push_back({i.name, i.zone, i.monitor, -1});
    for (const auto& a : i.addresses) local.push_back(a.value.address);
  }
  auto sink = gateway::makeKernelRulesetSink();
  gateway::NftBackend backend(*sink, local);
  backend.setFlowLimit(config.flows.max);
  gateway::PolicyLoader loader(backend, events, config.policyPath, interfaces, &config);
  gateway::NflogReader nflog([&](const gateway::LogTag& tag, const gateway::PacketSummary& pkt, const std::string& in) {
    auto running = loader.current();  // names from the policy that is in force
    events.emit(gateway::violationEvent(tag, pkt, running.get(), in));
  });
  loop = std::make_unique<gateway::GatewayLoop>(loader, backend, events, &nflog);
  if (!loop->prepare(error)) {
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }

  // Fail closed before anything else touches the kernel.
  if (!backend.start(error)) {
    events.emit(fault("cannot install the fail-closed ruleset: " + error));
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  for (const auto& i : interfaces) {
    if (i.monitor && !gateway::silenceMonitorPort(i.name, error)) {
      events.emit(fault("monitor port " + i.name + " may transmit: " + error));
    }
  }
  // Bind the log groups before the policy that logs to them goes in, so no drop goes unseen.
  if (!nflog.open({policy::kNflogPhysicalIsolation, policy::kNflogIsolationBreach, policy::kNflogLogicalIsolation,
                   policy::kNflogSpoofedSource, policy::kNflogMalformed, policy::kNflogFlowAllowed,
                   policy::kNflogFault},
                  error)) {
    events.emit(fault("violation events unavailable: " + error));  // enforcement goes on regardless
  }
  bool pidWritten = false;
  if (!args.user.empty()) {
    // Everything that needs root is done: the fail-closed ruleset, the netlink and NFLOG
    // sockets, the monitor ports' sysctls. Loads, reloads and conntrack sweeps need
    // CAP_NET_ADMIN only. The pidfile goes first: its directory is root's (/run/isogate).
    // A failed switch exits before any policy goes in: the forward path stays closed.
    pidWritten = writePidfile(args.pidfile, error);
    std::string dropError;
    if (!mgmt::dropPrivileges(dropTo, mgmt::capabilityBit(CAP_NET_ADMIN), dropError)) {
      events.emit(fault("cannot switch to user " + args.user + ": " + dropError));
      std::fprintf(stderr, "isogate-gw: cannot switch to user %s: %s\n", args.user.c_str(), dropError.c_str());
      if (pidWritten) removePidfile(args.pidfile);
      return 1;
    }
    std::fprintf(stderr, "isogate-gw: running as user %s (uid %u) with %s\n", args.user.c_str(),
                 static_cast<unsigned>(dropTo.uid),
                 mgmt::describeCapabilities(mgmt::capabilityBit(CAP_NET_ADMIN)).c_str());
    // Events go to isogate-mgmtd by sendto() on its socket file, each time: say now if this
    // user may not (isogate-mgmtd --user gives the socket to its user).
    if (!args.mgmtSocket.empty() && ::access(args.mgmtSocket.c_str(), W_OK) != 0 && errno != ENOENT) {
      std::string why = args.mgmtSocket + " is not writable by user " + args.user + ": " + std::strerror(errno) +
                        " (events to isogate-mgmtd are lost)";
      std::fprintf(stderr, "isogate-gw: %s\n", why.c_str());
      events.emit(fault(why));
    }
  }
  loader.load();  // a rejected policy leaves the forward path closed; SIGHUP retries
  // Written after the first load, also a rejected one: a reload from isogate-mgmtd (a fixed
  // policy, a rollback) is exactly what a gateway with a rejected policy needs.
  if (args.user.empty()) pidWritten = writePidfile(args.pidfile, error);
  if (!pidWritten) {
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    events.emit(fault(error + " (isogate-mgmtd cannot signal reloads; enforcement goes on)"));
  }

  int sig = loop->run();
  if (pidWritten) removePidfile(args.pidfile);
  std::fprintf(stderr, "isogate-gw: stopping on signal %d; the rules stay in force\n", sig);
  return 0;
}
