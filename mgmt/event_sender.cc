// EventSender: an unconnected non-blocking SOCK_DGRAM socket, so a restarted
// daemon (new socket inode at the same path) is reached again without any
// reconnect logic, and a dead one costs one failed sendto().
#include "mgmt/event_sender.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "mgmt/event_wire.h"

namespace isogate::mgmt {

EventSender::EventSender(std::string socketPath) : path_(std::move(socketPath)) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

EventSender::~EventSender() {
  if (fd_ >= 0) ::close(fd_);
}

bool EventSender::sendRaw(const std::string& datagram, uint64_t lostIfRefused) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd_ < 0 || path_.size() >= sizeof(addr.sun_path)) {
    dropped_.fetch_add(lostIfRefused);
    return false;
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  ssize_t n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  if (n != static_cast<ssize_t>(datagram.size())) {
    dropped_.fetch_add(lostIfRefused);
    return false;
  }
  sent_.fetch_add(1);
  return true;
}

void EventSender::reportDrops() {
  uint64_t dropped = dropped_.load();
  uint64_t reported = reported_.load();
  if (dropped == reported) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = lastReportNs_.load();
  if (last != 0 && now - last < 1'000'000'000) return;  // one report a second at most
  if (!lastReportNs_.compare_exchange_strong(last, now)) return;
  // Claim the range first so two threads do not report the same drops.
  if (!reported_.compare_exchange_strong(reported, dropped)) return;
  Event f;
  f.type = EventType::Fault;
  f.set("component", "event-sender");
  f.set("lost", std::to_string(dropped - reported));
  f.message = std::to_string(dropped - reported) +
              " events lost between the gateway and isogate-mgmtd (daemon down or queue full)";
  // A report that does not fit is not itself counted as a lost event: it is repeated.
  if (!sendRaw(toWire(f), /*lostIfRefused=*/0)) reported_.fetch_sub(dropped - reported);
}

bool EventSender::send(const Event& e) {
  // An aggregated event carries the occurrences it stands for; losing it loses them all.
  if (!sendRaw(toWire(e), e.count > 1 ? e.count : 1)) return false;
  reportDrops();
  return true;
}

bool EventSender::trySend(const Event& e) {
  if (!sendRaw(toWire(e), /*lostIfRefused=*/0)) return false;
  reportDrops();
  return true;
}

bool EventSender::sendFlows(const FlowSnapshot& s) {
  const uint64_t id = ++flowSnapshots_;
  for (const auto& part : toWireParts(s, id))
    if (!sendRaw(part, /*lostIfRefused=*/0)) return false;
  return true;
}

bool EventSender::sendStats(const GatewayStats& s) {
  // A snapshot is state, not an event: one that does not fit is replaced by the next one
  // and is not counted as a lost event.
  if (!sendRaw(toWire(s), /*lostIfRefused=*/0)) return false;
  reportDrops();
  return true;
}

}  // namespace isogate::mgmt
