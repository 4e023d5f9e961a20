// The connection table of one worker lcore: normalised 5-tuple -> flow state,
// so both directions of a flow meet the same entry. One writer (its worker),
// no locks: multi-lcore setups use a symmetric RSS hash so both directions of
// a flow reach the same worker (see README). rte_hash (cuckoo with extendable
// buckets) keeps it full only when it really is full; a full table denies new
// flows. Expiry is lazy on lookup plus an incremental sweep.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/packet_meta.h"
#include "dataplane/wire.h"

struct rte_hash;

namespace isogate::dataplane {

struct FlowKey {
  uint8_t lo[16];  // the lower (address, port) end, network byte order
  uint8_t hi[16];
  uint16_t portLo, portHi;
  uint8_t proto, family;
  uint8_t pad[2];
};
static_assert(sizeof(FlowKey) == 40);

enum class TcpState : uint8_t { None, SynSent, SynReceived, Established, Closing, Closed };

struct FlowEntry {
  uint64_t expires = 0;     // TSC
  uint32_t generation = 0;  // PolicyTables generation that last judged the flow
  uint32_t rule = 0xffffffff;
  uint16_t fromZone = 0, toZone = 0;  // of the initiator -> responder direction
  TcpState tcp = TcpState::None;
  bool initiatorIsLo = false;
  bool replied = false;
  uint8_t finSeen = 0;  // bit 0: from initiator, bit 1: from responder
};

// Builds the normalised key of a packet's own 5-tuple; *srcIsLo tells which end the source is.
// Inline: built for every tracked packet in the worker's per-packet pass.
inline void makeFlowKey(bool v6, uint8_t proto, U128 src, U128 dst, uint16_t sport,
                        uint16_t dport, FlowKey* key, bool* srcIsLo) noexcept {
  const bool lo = src < dst || (src == dst && sport <= dport);
  *srcIsLo = lo;
  wire::addrBytes(key->lo, lo ? src : dst, v6);
  wire::addrBytes(key->hi, lo ? dst : src, v6);
  key->portLo = lo ? sport : dport;
  key->portHi = lo ? dport : sport;
  key->proto = proto;
  key->family = v6 ? 6 : 4;
  key->pad[0] = key->pad[1] = 0;
}

class FlowTable {
 public:
  FlowTable() = default;
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  ~FlowTable();

  bool init(const std::string& name, uint32_t capacity, int socket, std::string* error);

  // Positions of the keys (-1 = absent). n <= kBurstSize.
  void lookupBulk(const FlowKey* const* keys, uint32_t n, int32_t* positions) const noexcept;
  int32_t lookup(const FlowKey& key) const noexcept;
  // Position of a new (or the existing) entry; -1 when the table is full.
  int32_t insert(const FlowKey& key) noexcept;
  void erase(const FlowKey& key) noexcept;
  FlowEntry& entry(int32_t pos) noexcept { return entries_[pos]; }
  const FlowEntry& entry(int32_t pos) const noexcept { return entries_[pos]; }
  uint32_t size() const noexcept;
  uint32_t capacity() const noexcept { return capacity_; }

  // Removes up to `budget` expired entries, resuming where the last call ended. Returns removed.
  uint32_t expire(uint64_t now, uint32_t budget) noexcept;
  // Calls f(key, entry) for each live entry (control-plane use from the owning lcore).
  template <class F>
  void forEach(F&& f) const;
  // The same while f returns true.
  template <class F>
  void forEachUntil(F&& f) const;

 private:
  bool next(uint32_t* cursor, const FlowKey** key, int32_t* pos) const noexcept;
  rte_hash* hash_ = nullptr;
  std::unique_ptr<FlowEntry[]> entries_;
  uint32_t capacity_ = 0;
  uint32_t cursor_ = 0;
};

template <class F>
void FlowTable::forEach(F&& f) const {
  uint32_t cursor = 0;
  const FlowKey* key;
  int32_t pos;
  while (next(&cursor, &key, &pos)) f(*key, entries_[pos]);
}

template <class F>
void FlowTable::forEachUntil(F&& f) const {
  uint32_t cursor = 0;
  const FlowKey* key;
  int32_t pos;
  while (next(&cursor, &key, &pos))
    if (!f(*key, entries_[pos])) return;
}

}  // namespace isogate::dataplane
