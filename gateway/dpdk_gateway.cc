#include "gateway/dpdk_gateway.h"

#include <poll.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "gateway/dpdk_backend.h"
#include "gateway/dpdk_bench_env.h"
#include "gateway/dpdk_eal.h"
#include "gateway/dpdk_flows.h"
#include "gateway/dpdk_summary.h"
#include "gateway/stats_reporter.h"
#include "gateway/event_output.h"
#include "gateway/policy_loader.h"
#include "mgmt/aggregator.h"
#include "mgmt/rfc5424.h"

namespace isogate::gateway {

namespace {

constexpr size_t kExamplesPerType = 2;
// Violations per second passed on one by one, like the kernel backend's NFLOG path (the
// management daemon aggregates for syslog); above that a flood is summed per key by the
// aggregator, one message per interval with its count, so the event path keeps up.
constexpr uint64_t kDirectEventsPerSecond = 2000;
// Records are turned into events a chunk at a time: in a storm the rings refill as fast as
// they are read, and a whole pass held as events at once (up to kRecordsPerPass, ~1 KiB
// each with their strings) would cost tens of MiB of heap the allocator keeps.
constexpr size_t kRecordsPerChunk = 256;
constexpr size_t kRecordsPerPass = 1 << 16;

mgmt::Event fault(const std::string& what) {
  mgmt::Event e;
  e.type = mgmt::EventType::Fault;
  e.set("backend", "dpdk");
  e.set("error", what);
  e.message = what;
  return e;
}

// The control thread's state: events out through the aggregator, examples kept for the demo.
class ControlLoop {
 public:
  ControlLoop(const policy::GatewayConfig& config, DpdkBackend& backend, PolicyLoader& loader, EventOutput& events)
      : config_(config),
        backend_(backend),
        loader_(loader),
        events_(events),
        aggregator_({std::chrono::milliseconds(1000LL * config.events.aggregateIntervalSeconds), 4096}) {}

  void emit(const mgmt::Event& e) {
    events_.emit(e);
    ++emitted_;
    auto& n = examplesByType_[static_cast<int>(e.type)];
    if (mgmt::isViolation(e.type) && n < kExamplesPerType) {
      ++n;
      mgmt::SyslogIdentity id;
      id.hostname = config_.name;
      id.facility = config_.events.facilityCode;
      examples_.push_back(mgmt::encodeRfc5424(e, id));
    }
  }

  // Records -> events -> aggregator -> output.
  void drain() {
    std::vector<mgmt::Event> in, out;
    in.reserve(kRecordsPerChunk);
    for (size_t pass = 0; pass < kRecordsPerPass;) {
      in.clear();
      out.clear();
      const size_t n = backend_.drainRecords(in, kRecordsPerChunk);
      const auto now = std::chrono::steady_clock::now();
      for (auto& e : in) {
        if (!mgmt::isViolation(e.type) || directThisSecond_ < kDirectEventsPerSecond) {
          ++directThisSecond_;
          emit(e);
        } else {
          aggregator_.offer(std::move(e), now, out);
        }
      }
      for (const auto& e : out) emit(e);
      pass += n;
      if (n < kRecordsPerChunk) break;
    }
  }

  // Records a worker could not queue (its event ring was full): the packets were dropped and
  // counted, only their events are missing. Counted as reported only once isogate-mgmtd took
  // the report: in a storm its queue is full most of the time, and a lost report would hide
  // the loss it reports (and be counted by the sender as one event, not as what it reported).
  void reportRingLoss() {
    const uint64_t lost = backend_.dataplane().totals().eventsLost;
    if (lost == lostReported_) return;
    mgmt::Event f = fault(std::to_string(lost - lostReported_) +
                          " violation records lost: the event ring of a worker was full");
    f.set("component", "event-ring");
    f.set("lost", std::to_string(lost - lostReported_));
    if (!events_.emitReport(f)) return;  // repeated with the then total on the next tick
    lostReported_ = lost;
    ++emitted_;
  }

  // About once a second: aggregated counts, schedules, lost records.
  void housekeeping() {
    directThisSecond_ = 0;
    std::vector<mgmt::Event> out;
    aggregator_.flush(std::chrono::steady_clock::now(), out);
    for (const auto& e : out) emit(e);
    backend_.tick();
    stats_.tick(backend_, events_);
    reportRingLoss();
    events_.tick();  // the sender's pending loss report, even when no event follows a burst
  }

  // `isogatectl flows`: every few seconds ask the workers for their tables, send the
  // snapshot once all answered (they do between bursts, within ~10 ms). Never waits.
  void exportFlows() {
    if (!events_.hasManagement()) return;
    const auto now = std::chrono::steady_clock::now();
    if (!flowsAsked_) {
      if (now - flowsAskedAt_ < std::chrono::seconds(mgmt::kFlowSnapshotPeriodSeconds)) return;
      requestFlows(backend_.dataplane());
      flowsAsked_ = true;
      flowsAskedAt_ = now;
      return;
    }
    mgmt::FlowSnapshot s;
    if (collectFlows(backend_.dataplane(), mgmt::kMaxSnapshotFlows, s)) {
      events_.sendFlows(s);
      flowsAsked_ = false;
    } else if (now - flowsAskedAt_ > std::chrono::seconds(1)) {
      flowsAsked_ = false;  // a worker stuck or stopped: ask again next period; mgmtd calls it stale
    }
  }

  void finish() {
    drain();
    std::vector<mgmt::Event> out;
    aggregator_.flushAll(out);
    for (const auto& e : out) emit(e);
  }

  // Runs until SIGTERM/SIGINT (returns it) or, with idleTicks > 0, until no packet
  // arrived for that many TSC ticks (returns 0).
  int run(int signalFd, uint64_t idleTicks) {
    const uint64_t hz = rte_get_tsc_hz();
    const uint64_t started = rte_rdtsc();
    uint64_t nextHousekeeping = started + hz;
    for (;;) {
      pollfd pfd{signalFd, POLLIN, 0};
      poll(&pfd, 1, 10);
      drain();
      exportFlows();
      const uint64_t now = rte_rdtsc();
      if (now >= nextHousekeeping) {
        housekeeping();
        nextHousekeeping = now + hz;
      }
      if (pfd.revents & POLLIN) {
        signalfd_siginfo info;
        while (read(signalFd, &info, sizeof info) == sizeof info) {
          if (info.ssi_signo == SIGHUP) {
            drain();  // what is queued is reported under the policy that produced it
            loader_.load();
          } else {
            return static_cast<int>(info.ssi_signo);
          }
        }
      }
      if (idleTicks) {
        const uint64_t last = std::max(backend_.lastRxTsc(), started);
        if (rte_rdtsc() - last > idleTicks) return 0;
      }
    }
  }

  const std::vector<std::string>& examples() const { return examples_; }
  uint64_t emitted() const { return emitted_; }

 private:
  const policy::GatewayConfig& config_;
  DpdkBackend& backend_;
  PolicyLoader& loader_;
  EventOutput& events_;
  StatsReporter stats_;
  mgmt::Aggregator aggregator_;
  uint64_t lostReported_ = 0;
  uint64_t emitted_ = 0;
  uint64_t directThisSecond_ = 0;
  std::map<int, size_t> examplesByType_;
  bool flowsAsked_ = false;
  std::chrono::steady_clock::time_point flowsAskedAt_{};
  std::vector<std::string> examples_;
};

}  // namespace

int runDpdkGateway(const policy::GatewayConfig& original, const DpdkRunOptions& options) {
  policy::GatewayConfig config = original;
  std::string error;
  const std::string baseDir = std::filesystem::path(config.file).parent_path().string();
  if (!resolveDevicePaths(config, baseDir, error)) {
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  const std::string eventsPath = options.eventsFile.empty() ? (options.untilIdle ? "-" : "") : options.eventsFile;
  EventOutput events({eventsPath, options.mgmtSocket, config.name});
  if (!events.open(error)) {
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  sigset_t handled;
  sigemptyset(&handled);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&handled, s);
  sigprocmask(SIG_BLOCK, &handled, nullptr);  // before the EAL starts its threads
  const int signalFd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);

  std::vector<BackendInterface> interfaces;
  for (const auto& i : config.interfaces) interfaces.push_back({i.name, i.zone, i.monitor, -1});
  DpdkBackendOptions bo;
  bo.ordered = options.untilIdle;
  DpdkBackend backend(config, bo);
  if (!backend.start(error)) {
    events.emit(fault("cannot start the DPDK data plane: " + error));
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  if (!applyBenchEnvironment(backend.dataplane(), error)) {
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  if (options.dropPrivileges && !options.dropPrivileges(error)) {
    events.emit(fault(error));
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  PolicyLoader loader(backend, events, config.policyPath, interfaces, &config);
  ControlLoop control(config, backend, loader, events);
  // The first policy goes in before the workers poll: nothing is forwarded without one,
  // and a replay judges its first packet by it. A rejected policy leaves every packet
  // dropped (`no-policy`) until a SIGHUP brings a good one.
  loader.load();
  if (!backend.launch(error)) {
    events.emit(fault(error));
    std::fprintf(stderr, "isogate-gw: %s\n", error.c_str());
    return 1;
  }
  const uint64_t idleTicks =
      options.untilIdle ? static_cast<uint64_t>(options.idleSeconds * static_cast<double>(rte_get_tsc_hz())) : 0;
  const uint64_t launchedAt = rte_rdtsc();
  const int sig = control.run(signalFd, idleTicks);
  backend.stopWorkers();
  const double seconds = static_cast<double>(rte_rdtsc() - launchedAt) / static_cast<double>(rte_get_tsc_hz());
  control.finish();
  if (options.untilIdle) {
    DemoReport report;
    report.examples = control.examples();
    report.eventsFile = eventsPath == "-" ? "" : eventsPath;
    report.events = control.emitted();
    auto running = loader.current();
    printSummary(stdout, backend, running.get(), report);
  } else {
    const auto t = backend.dataplane().totals();
    uint64_t dropped = 0;
    for (uint64_t d : t.drops) dropped += d;
    std::fprintf(stderr,
                 "isogate-gw: stopping on signal %d; the DPDK ports stop forwarding. %llu packets received, %llu "
                 "forwarded, %llu transmitted, %llu dropped, %llu refused by a device, in %.3f s (%.3f Mpps received)\n",
                 sig, static_cast<unsigned long long>(t.rx), static_cast<unsigned long long>(t.forwarded),
                 static_cast<unsigned long long>(t.tx), static_cast<unsigned long long>(dropped),
                 static_cast<unsigned long long>(backend.txRefused()), seconds,
                 seconds > 0 ? static_cast<double>(t.rx) / seconds / 1e6 : 0.0);
  }
  backend.shutdown();
  if (signalFd >= 0) close(signalFd);
  return 0;
}

}  // namespace isogate::gateway
