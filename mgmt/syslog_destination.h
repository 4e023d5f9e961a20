// One syslog destination (UDP, TCP with RFC 6587 octet counting, or a unix
// socket: datagram, else stream) with its own sender thread and a bounded queue,
// so a slow or dead destination never stalls the daemon or the others.
// Reconnects with exponential back-off; what does not fit in the queue is
// counted, and the loss is reported (callback -> `fault` event) once the
// destination accepts messages again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "mgmt/syslog_url.h"

namespace isogate::mgmt {

struct DestinationLimits {
  size_t maxMessages = 10000;
  size_t maxBytes = 8u << 20;
  std::chrono::milliseconds backoffInitial{250};
  std::chrono::milliseconds backoffMax{30000};
  std::chrono::milliseconds ioTimeout{2000};    // one connect or one send
  std::chrono::milliseconds drainOnStop{2000};  // how long stop() keeps sending
};

struct DestinationStats {
  std::string url;
  bool connected = false;
  uint64_t sent = 0;
  uint64_t dropped = 0;  // refused because the queue was full (total)
  uint64_t reconnects = 0;
  size_t queued = 0;
  size_t queuedBytes = 0;
  std::string lastError;
};

class SyslogDestination {
 public:
  // Called from the sender thread with the number of messages lost since the
  // last report, once a message goes through again.
  using LossCallback = std::function<void(const std::string& url, uint64_t lost)>;

  SyslogDestination(SyslogUrl url, DestinationLimits limits, LossCallback onLoss);
  ~SyslogDestination();
  SyslogDestination(const SyslogDestination&) = delete;
  SyslogDestination& operator=(const SyslogDestination&) = delete;

  void start();
  void stop();  // sends what it can within drainOnStop, then closes

  // Never blocks. false (and counted) when the queue is full.
  bool enqueue(std::string message);

  DestinationStats stats() const;
  const SyslogUrl& url() const { return url_; }

 private:
  void run();
  bool connectNow(std::string& error);
  bool sendNow(const std::string& message, std::string& error);
  bool peerClosed();
  void closeSocket();

  SyslogUrl url_;
  DestinationLimits limits_;
  LossCallback onLoss_;
  bool stream_ = false;  // framing: octet counting on streams
  int fd_ = -1;          // sender thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queuedBytes_ = 0;
  bool stopping_ = false;
  uint64_t sent_ = 0, dropped_ = 0, unreported_ = 0, reconnects_ = 0;
  bool connected_ = false;
  std::string lastError_;
  std::thread thread_;
};

}  // namespace isogate::mgmt
