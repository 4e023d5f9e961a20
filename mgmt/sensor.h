// A sensor on a `monitor: true` interface (SPEC §2): a live libpcap capture in
// its own thread, every frame handed to an inspector; a finding becomes an
// `isolation-breach` event (critical). The inspector is injected (in mgmtd:
// policy::SegmentAuditor for the interface's zone), so tests need no NIC.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "mgmt/event.h"

namespace isogate::mgmt {

// Returns the event for a frame that proves a breach, nullopt for a clean one.
using FrameInspector =
    std::function<std::optional<Event>(int linkType, const uint8_t* data, size_t len)>;
using EventSink = std::function<void(Event)>;

struct SensorStats {
  uint64_t frames = 0, breaches = 0, errors = 0;
};

class Sensor {
 public:
  Sensor(std::string interface, FrameInspector inspect, EventSink sink);
  ~Sensor();
  Sensor(const Sensor&) = delete;
  Sensor& operator=(const Sensor&) = delete;

  // Opens the capture (promiscuous, immediate mode, non-blocking) and starts the thread.
  bool start(std::string& error);
  void stop();

  // One frame through the inspector (the capture thread's per-frame step; tests).
  void handleFrame(int linkType, const uint8_t* data, size_t len);

  SensorStats stats() const;
  const std::string& interface() const { return interface_; }

 private:
  void run();

  std::string interface_;
  FrameInspector inspect_;
  EventSink sink_;
  void* pcap_ = nullptr;  // pcap_t*, kept out of the header
  int linkType_ = 1;
  int stopFd_ = -1;
  std::thread thread_;
  std::atomic<uint64_t> frames_{0}, breaches_{0}, errors_{0};
};

}  // namespace isogate::mgmt
