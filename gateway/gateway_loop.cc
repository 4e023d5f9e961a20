#include "gateway/gateway_loop.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace isogate::gateway {

GatewayLoop::GatewayLoop(PolicyLoader& loader, Backend& backend, EventOutput& events, NflogReader* nflog)
    : loader_(loader), backend_(backend), events_(events), nflog_(nflog) {}

GatewayLoop::~GatewayLoop() {
  if (signalFd_ >= 0) ::close(signalFd_);
}

bool GatewayLoop::prepare(std::string& error) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    error = std::string("sigprocmask: ") + std::strerror(errno);
    return false;
  }
  signalFd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signalFd_ < 0) {
    error = std::string("signalfd: ") + std::strerror(errno);
    return false;
  }
  return true;
}

void GatewayLoop::reportLostEvents() {
  if (events_.lostLines() != lostLinesReported_) {
    mgmt::Event f;
    f.type = mgmt::EventType::Fault;
    f.set("lost_lines", std::to_string(events_.lostLines() - lostLinesReported_));
    f.message = "event lines could not be written";
    lostLinesReported_ = events_.lostLines();
    events_.emit(f);
  }
  events_.tick();  // the sender's pending loss report, even when no event follows a burst
  if (!nflog_) return;
  const uint64_t drops = nflog_->kernelDrops();
  if (drops == dropsReported_ && nflog_->lost() == lostReported_) return;
  // At most one report a second: in a storm this runs on every wake-up, and a report per
  // wake-up would itself flood syslog. The loop wakes at least once a second, so the last
  // loss of a burst is reported within a second.
  const auto now = std::chrono::steady_clock::now();
  if (lastNflogReport_ != std::chrono::steady_clock::time_point{} &&
      now - lastNflogReport_ < std::chrono::seconds(1))
    return;
  lastNflogReport_ = now;
  mgmt::Event f;
  f.type = mgmt::EventType::Fault;
  f.set("component", "nflog");
  f.set("lost", std::to_string(drops - dropsReported_));
  f.set("lost_batches", std::to_string(nflog_->lost() - lostReported_));
  f.message = std::to_string(drops - dropsReported_) +
              " violation log messages dropped by the kernel (NFLOG socket full)";
  // Counted as reported only once isogate-mgmtd took it: in a storm its queue is full most of
  // the time, and a lost report would hide the loss it reports.
  if (!events_.emitReport(f)) return;
  lostReported_ = nflog_->lost();
  dropsReported_ = drops;
}

void GatewayLoop::exportFlows() {
  if (!events_.hasManagement()) return;
  const auto start = std::chrono::steady_clock::now();
  if (!flowSchedule_.due(start)) return;
  mgmt::FlowSnapshot s;
  std::string error;
  const bool ok = backend_.flowSnapshot(s, mgmt::kMaxSnapshotFlows, error);
  if (ok) events_.sendFlows(s);
  const auto end = std::chrono::steady_clock::now();
  flowSchedule_.ran(start, end);
  if (const auto p = flowSchedule_.takeNotableChange()) {
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(end - start);
    std::fprintf(stderr, "isogate-gw: flow table reports every %.1f s (the last one took %lld ms, %llu flows)\n",
                 static_cast<double>(p->count()) / 1000, static_cast<long long>(took.count()),
                 static_cast<unsigned long long>(s.total));
  }
  if (!ok) {
    // isogate-mgmtd then calls the table stale, which is what the operator sees.
    if (error != lastFlowError_) std::fprintf(stderr, "isogate-gw: flow table not reported: %s\n", error.c_str());
    lastFlowError_ = error;
    return;
  }
  lastFlowError_.clear();
}

int GatewayLoop::run() {
  for (;;) {
    pollfd fds[2] = {{signalFd_, POLLIN, 0}, {nflog_ ? nflog_->fd() : -1, POLLIN, 0}};
    int n = poll(fds, 2, 1000);
    if (n < 0 && errno != EINTR) return 0;
    if (fds[1].revents & POLLIN) nflog_->drain();
    reportLostEvents();
    backend_.tick();
    exportFlows();
    stats_.tick(backend_, events_);
    conntrackDrops_.tick(events_);
    if (!(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo info;
    while (read(signalFd_, &info, sizeof info) == sizeof info) {
      if (info.ssi_signo == SIGHUP) {
        // Log what is queued under the policy that produced it, then reload.
        if (nflog_) nflog_->drain();
        loader_.load();
      } else {
        if (nflog_) nflog_->drain();
        return static_cast<int>(info.ssi_signo);
      }
    }
  }
}

}  // namespace isogate::gateway
