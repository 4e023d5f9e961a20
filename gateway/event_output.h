// Where the gateway's events go: RFC 5424 lines to a file or stdout (the record an operator
// can read before isogate-mgmtd runs) and, when configured, one datagram each to
// isogate-mgmtd. Emitting never blocks on the management daemon (SPEC §4).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mgmt/event.h"
#include "mgmt/flow_snapshot.h"
#include "mgmt/gateway_stats.h"
#include "mgmt/rfc5424.h"

namespace isogate::mgmt {
class EventSender;
}

namespace isogate::gateway {

struct EventOutputOptions {
  std::string linesPath;    // RFC 5424 lines appended here; empty = stdout, "-" = none
  std::string mgmtSocket;   // isogate-mgmtd's event socket; empty = not used
  std::string hostname;     // the gateway's `name`
};

class EventOutput {
 public:
  explicit EventOutput(const EventOutputOptions& options);
  ~EventOutput();
  EventOutput(const EventOutput&) = delete;
  EventOutput& operator=(const EventOutput&) = delete;

  // false when the lines file cannot be opened (the caller reports and exits).
  bool open(std::string& error);
  // The policy every following event names (digest "sha256:..." and policy name).
  void setPolicy(const std::string& digest, const std::string& name);
  void emit(const mgmt::Event& e);
  // For reports that must reach isogate-mgmtd (the gateway's loss counts): false, and nothing
  // written nor counted as lost, when the daemon cannot take it now; the caller repeats it.
  bool emitReport(const mgmt::Event& e);
  // Called from the loop at least once a second: reports events lost on the way to
  // isogate-mgmtd that no later event has reported yet (the end of a burst).
  void tick();
  // Whether isogate-mgmtd is configured at all (flow snapshots are only for it).
  bool hasManagement() const { return sender_ != nullptr; }
  // The connection table for `isogatectl flows`; never blocks, false when a part was dropped.
  bool sendFlows(const mgmt::FlowSnapshot& s);
  // The backend's counters to isogate-mgmtd (never blocks; false when not sent: no daemon
  // configured, or its queue is full; the next period sends a fresh snapshot).
  bool sendStats(const mgmt::GatewayStats& stats);

  uint64_t emitted() const { return emitted_; }
  uint64_t lostLines() const { return lostLines_; }

 private:
  mgmt::Event withPolicy(const mgmt::Event& e) const;
  void writeLine(const mgmt::Event& e);

  EventOutputOptions options_;
  mgmt::SyslogIdentity identity_;
  int fd_ = -1;
  bool ownFd_ = false;
  std::unique_ptr<mgmt::EventSender> sender_;
  uint64_t emitted_ = 0;
  uint64_t lostLines_ = 0;
};

}  // namespace isogate::gateway
