// A worker's connection table copied out for `isogatectl flows` without racing its only
// writer: the control thread asks (request()), the worker copies at most `capacity` live
// entries between bursts (serve(), from Worker::expireFlows) into a buffer allocated once,
// and publishes it (release); the control thread reads it once ready() (acquire).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/flow_table.h"

namespace isogate::dataplane {

inline constexpr uint32_t kFlowExportCapacity = 1000;

struct ExportedFlow {
  FlowKey key;
  FlowEntry entry;
};

class FlowExport {
 public:
  explicit FlowExport(uint32_t capacity = kFlowExportCapacity);

  // Control thread. request(): ask for a fresh copy (a pending request stays pending).
  void request() noexcept;
  bool ready() const noexcept { return state_.load(std::memory_order_acquire) == kReady; }
  // Valid while ready() and until the next request().
  const ExportedFlow* flows() const noexcept { return buf_.get(); }
  uint32_t count() const noexcept { return count_; }
  // Entries in the table when copied: exact when all fit, else the table's size (which may
  // still hold expired entries the sweep has not reached).
  uint64_t total() const noexcept { return total_; }
  uint64_t tsc() const noexcept { return tsc_; }  // when it was copied

  // Worker thread, between bursts. One atomic load when nothing is asked.
  bool pending() const noexcept { return state_.load(std::memory_order_acquire) == kRequested; }
  void serve(const FlowTable& table, uint64_t now) noexcept;

 private:
  static constexpr uint8_t kIdle = 0, kRequested = 1, kReady = 2;
  std::atomic<uint8_t> state_{kIdle};
  std::unique_ptr<ExportedFlow[]> buf_;
  uint32_t capacity_;
  uint32_t count_ = 0;
  uint64_t total_ = 0, tsc_ = 0;
};

}  // namespace isogate::dataplane
