// Fragment tracking for one worker: (src, dst, id, proto) of first fragments
// that were allowed, so that the later fragments of the same datagram (which
// carry no ports) pass as part of that flow and every other non-first fragment
// is dropped as an orphan. Direct mapped, fixed size, one writer; a colliding
// datagram evicts the older one (its remaining fragments then drop).
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/packet_meta.h"

namespace isogate::dataplane {

struct FragVerdict {
  uint32_t rule = 0xffffffff;
  uint16_t fromZone = 0, toZone = 0;  // zones of this datagram's direction
};

class FragTable {
 public:
  explicit FragTable(uint32_t capacity);
  void remember(bool v6, const PacketMeta& md, const FragVerdict& v, uint64_t expires) noexcept;
  // The verdict of the datagram's first fragment, if it was allowed and is not stale.
  bool find(bool v6, const PacketMeta& md, uint64_t now, FragVerdict* v) const noexcept;

 private:
  struct Entry {
    U128 src = 0, dst = 0;
    uint32_t id = 0;
    uint8_t proto = 0, family = 0;
    uint64_t expires = 0;
    FragVerdict verdict;
  };
  const Entry& slot(bool v6, const PacketMeta& md) const noexcept;
  std::unique_ptr<Entry[]> entries_;
  uint32_t mask_;
};

}  // namespace isogate::dataplane
