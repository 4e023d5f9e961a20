#include "gateway/conntrack_drop_reporter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace isogate::gateway {

bool ConntrackDropReporter::read(ConntrackDrops& drops, std::string& error) const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errno == ENOENT ? std::string() : path_ + ": " + std::strerror(errno);
    return false;
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path_ + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  ConntrackStatTotals totals;
  if (!parseConntrackStat(text, totals, error) || !conntrackDrops(totals, drops, error)) {
    error = path_ + ": " + error;
    return false;
  }
  return true;
}

void ConntrackDropReporter::tick(EventOutput& events, std::chrono::steady_clock::time_point now) {
  // The loop wakes on every NFLOG message; the file is read at most once a second, which
  // also makes the fault at most one a second.
  if (!schedule_.due(now)) return;
  schedule_.ran(now, now);
  ConntrackDrops drops;
  std::string error;
  if (!read(drops, error)) {
    if (!error.empty() && error != lastError_)
      std::fprintf(stderr, "isogate-gw: kernel conntrack table not watched: %s\n", error.c_str());
    lastError_ = error;
    return;
  }
  lastError_.clear();
  const auto d = decideConntrackDrops(baseline_, drops);
  if (d.action == ConntrackDropDecision::Action::Report) {
    mgmt::Event f;
    f.type = mgmt::EventType::Fault;
    f.set("component", "conntrack");
    f.set("reason", "table-full");
    f.set("dropped", std::to_string(d.dropped));
    if (d.earlyDropped != 0) f.set("early_drop", std::to_string(d.earlyDropped));
    f.message = std::to_string(d.dropped) +
                " new packets dropped by the kernel before the ruleset: its connection tracking table is full "
                "(nf_conntrack_max)";
    // Counted as reported only once taken (as the nflog loss): a report isogate-mgmtd could
    // not take now is repeated with the larger count at the next read.
    if (!events.emitReport(f)) return;
  }
  baseline_ = drops;
}

}  // namespace isogate::gateway
