// FlowExport. The copy stops at `capacity`, so the worker's pause is bounded by the scan
// to that many live entries (the same kind of walk as the expiry sweep), whatever the
// table's size; it happens only when the control thread asked, every few seconds.
#include "dataplane/flow_export.h"

namespace isogate::dataplane {

FlowExport::FlowExport(uint32_t capacity)
    : buf_(std::make_unique<ExportedFlow[]>(capacity)), capacity_(capacity) {}

void FlowExport::request() noexcept {
  uint8_t s = state_.load(std::memory_order_acquire);
  if (s != kRequested) state_.store(kRequested, std::memory_order_release);
}

void FlowExport::serve(const FlowTable& table, uint64_t now) noexcept {
  uint32_t n = 0;
  uint64_t live = 0;
  bool cut = false;
  table.forEachUntil([&](const FlowKey& key, const FlowEntry& e) {
    if (e.expires <= now) return true;  // ended, not swept yet
    if (n == capacity_) {
      cut = true;
      return false;
    }
    buf_[n].key = key;
    buf_[n].entry = e;
    ++n;
    ++live;
    return true;
  });
  count_ = n;
  total_ = cut ? table.size() : live;
  tsc_ = now;
  state_.store(kReady, std::memory_order_release);
}

}  // namespace isogate::dataplane
