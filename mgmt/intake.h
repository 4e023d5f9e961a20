// isogate-mgmtd's end of the event intake: a unix SOCK_DGRAM socket (default
// /run/isogate/events.sock, docs/event-intake.md) that the gateway sends one
// wire message per datagram to. Malformed datagrams are counted and dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "mgmt/event_wire.h"

namespace isogate::mgmt {

struct IntakeStats {
  uint64_t received = 0;  // datagrams
  uint64_t events = 0;
  uint64_t stats = 0;
  uint64_t flows = 0;      // flow snapshot parts
  uint64_t malformed = 0;  // refused by fromWire (or truncated)
  std::string lastError;   // the reason of the last malformed datagram
};

class Intake {
 public:
  using Handler = std::function<void(WireMessage&)>;

  Intake() = default;
  ~Intake();
  Intake(const Intake&) = delete;
  Intake& operator=(const Intake&) = delete;

  // Binds the socket (a stale socket file at `path` is replaced), mode `mode`.
  bool open(const std::string& path, unsigned mode, std::string& error);
  int fd() const { return fd_; }

  // Reads every queued datagram without blocking; calls `handler` for each valid one.
  // Returns the number of datagrams read. At most `maxBatch` per call, so one
  // flooding sender cannot starve the control socket.
  size_t drain(const Handler& handler, size_t maxBatch = 4096);

  const IntakeStats& stats() const { return stats_; }

 private:
  int fd_ = -1;
  std::string path_;
  IntakeStats stats_;
};

}  // namespace isogate::mgmt
