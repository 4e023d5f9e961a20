// The gateway's side of the event intake: sends one event (or a stats
// snapshot) per datagram to isogate-mgmtd's unix socket. Never waits: when the
// daemon is down or its queue is full the datagram is dropped and counted, and
// the count is reported as a `fault` event with the next datagram that gets through.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "mgmt/event.h"
#include "mgmt/flow_snapshot.h"
#include "mgmt/gateway_stats.h"

namespace isogate::mgmt {

inline constexpr const char* kDefaultEventSocket = "/run/isogate/events.sock";

class EventSender {
 public:
  explicit EventSender(std::string socketPath = kDefaultEventSocket);
  ~EventSender();
  EventSender(const EventSender&) = delete;
  EventSender& operator=(const EventSender&) = delete;

  // Thread-safe; never blocks. false when the datagram was dropped. A dropped event counts
  // as its `count` occurrences (an aggregated violation stands for that many), so `lost`
  // in the loss report is what is missing downstream, whatever the gateway aggregated.
  bool send(const Event& e);
  bool sendStats(const GatewayStats& s);
  // Every part of a flow snapshot; false when one was dropped (the next period sends a new
  // snapshot, so nothing is counted as lost: the table is state, not an event).
  bool sendFlows(const FlowSnapshot& s);
  // Like send(), but a datagram that does not fit is not counted as lost: the caller keeps
  // what it had to say and says it again later (the gateway's own loss reports).
  bool trySend(const Event& e);

  // Reports drops no report has covered yet; at most one report a second (a storm that
  // overflows the daemon's queue would otherwise add a fault message per burst). Call it
  // periodically so a loss at the end of a burst does not wait for the next event.
  void reportPendingDrops() { reportDrops(); }

  uint64_t sent() const { return sent_.load(); }
  uint64_t dropped() const { return dropped_.load(); }
  const std::string& path() const { return path_; }

 private:
  // `lostIfRefused`: what a refused datagram adds to dropped() (0: not counted).
  bool sendRaw(const std::string& datagram, uint64_t lostIfRefused);
  void reportDrops();

  std::string path_;
  int fd_ = -1;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> reported_{0};  // drops already announced in a fault event
  std::atomic<int64_t> lastReportNs_{0};  // steady clock of the last report; 0 = none yet
  std::atomic<uint64_t> flowSnapshots_{0};  // ids of the flow snapshots sent
};

}  // namespace isogate::mgmt
