// The connection table of one worker lcore: normalised 5-tuple -> flow state,
// so both directions of a flow meet the same entry. One writer (its worker),
// no locks: multi-lcore setups use a symmetric RSS hash so both directions of
// a flow reach the same worker (see README). A hash table of its own (not
// rte_hash): each key lives with its flow state in one 64-byte slot, so a hit
// costs one bucket line and one slot line; buckets overflow into a chain of
// extension buckets, so the table is full only when it really is full; a full
// table denies new flows. Expiry is lazy on lookup plus an incremental sweep.
#pragma once

#include <emmintrin.h>
#include <rte_prefetch.h>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#else
#include <rte_hash_crc.h>
#endif

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#include "dataplane/fast_path_memory.h"
#include "dataplane/packet_meta.h"
#include "dataplane/wire.h"

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
static_assert(sizeof(FlowEntry) == 24);

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

// An IPv4 key as its three 64-bit words (memory order 0, 2 and 4: the lower address, the
// higher address, then ports, protocol and family) that can be nonzero: makeFlowKey zeroes
// words 1 and 3 of every IPv4 key (an address takes 4 of its 16 bytes).
struct Ipv4KeyWords {
  uint64_t lo, hi, rest;
};

// Whether a stored key is this IPv4 key: three words compared, since equal last words mean
// the same family, and an IPv4 key's words 1 and 3 are zero.
inline bool sameIpv4Key(const FlowKey& a, const Ipv4KeyWords& k) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(&a);
  uint64_t w0, w2, w4;  // word by word: one copy of all five went through the stack
  std::memcpy(&w0, p, 8);
  std::memcpy(&w2, p + 16, 8);
  std::memcpy(&w4, p + 32, 8);
  return ((w0 ^ k.lo) | (w2 ^ k.hi) | (w4 ^ k.rest)) == 0;
}

// Whether two keys are the same, all 40 bytes. In registers: two 16-byte and one 8-byte
// compare (copies to arrays went through the stack).
inline bool sameFlowKey(const FlowKey& a, const FlowKey& b) noexcept {
  const auto* x = reinterpret_cast<const __m128i*>(&a);
  const auto* y = reinterpret_cast<const __m128i*>(&b);
  const __m128i d = _mm_or_si128(_mm_xor_si128(_mm_loadu_si128(x), _mm_loadu_si128(y)),
                                 _mm_xor_si128(_mm_loadu_si128(x + 1), _mm_loadu_si128(y + 1)));
  uint64_t ta, tb;
  std::memcpy(&ta, reinterpret_cast<const unsigned char*>(&a) + 32, sizeof ta);
  std::memcpy(&tb, reinterpret_cast<const unsigned char*>(&b) + 32, sizeof tb);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xffff && ta == tb;
}

class FlowTable {
 public:
  FlowTable() = default;
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  ~FlowTable();

  // `name` only names the table in error messages.
  bool init(const std::string& name, uint32_t capacity, int socket, std::string* error);

  // Positions of the keys (-1 = absent). n <= kBurstSize. Hashes the whole burst and
  // prefetches its buckets, then matches signatures and prefetches the slots, then compares
  // (the chain walked only where the first matching way may not be the answer).
  void lookupBulk(const FlowKey* const* keys, uint32_t n, int32_t* positions) const noexcept;
  // For a caller that looks further ahead (the fast lane), the lookup of an IPv4 key in two
  // halves: probeSlot(), once the key's bucket is cached, names the slot of the first way
  // whose signature matches (kNone: none) and prefetches it; matchIpv4(), later, compares
  // the key there. Slots named stay exact while changes() stays the same.
  uint32_t probeSlot(uint32_t h) const noexcept;  // inline, below
  // The position of an IPv4 key from its probeSlot() alone, when that slot holds it; else
  // -1: the key is absent or elsewhere in its bucket's chain (find() would say).
  int32_t matchIpv4(uint32_t slot, const Ipv4KeyWords& key) const noexcept {
    if (slot == kNone || !sameIpv4Key(slots_[slot].key, key)) return -1;
    return static_cast<int32_t>(slot);
  }
  // Counts the inserts and erases so far (owning lcore only).
  uint64_t changes() const noexcept { return changes_; }
  // The hash of a key given as its five 64-bit words (memory order): a caller that builds
  // the key in registers hashes it without storing and reloading it first.
  uint32_t hashWords(const uint64_t* w) const noexcept;  // inline, below
  uint32_t hashOf(const FlowKey& key) const noexcept;    // the same from the key's bytes
  void prefetchBucket(uint32_t h) const noexcept { rte_prefetch0(&buckets_[h & mask_]); }
  int32_t lookup(const FlowKey& key) const noexcept;
  // Position of a new (or the existing) entry; -1 when the table is full.
  int32_t insert(const FlowKey& key) noexcept;
  void erase(const FlowKey& key) noexcept;
  FlowEntry& entry(int32_t pos) noexcept { return slots_[pos].entry; }
  const FlowEntry& entry(int32_t pos) const noexcept { return slots_[pos].entry; }
  // Readable from another thread (the control thread's totals).
  uint32_t size() const noexcept { return count_.load(std::memory_order_relaxed); }
  uint32_t capacity() const noexcept { return capacity_; }

  // Looks at up to `budget` live entries (and at most kSweepSlotsPerEntry * budget slots),
  // resuming where the last call ended, and removes the expired ones. Returns removed.
  static constexpr uint32_t kSweepSlotsPerEntry = 16;
  uint32_t expire(uint64_t now, uint32_t budget) noexcept;
  // Calls f(key, entry) for each live entry (control-plane use from the owning lcore).
  template <class F>
  void forEach(F&& f) const;
  // The same while f returns true.
  template <class F>
  void forEachUntil(F&& f) const;

 private:
  static constexpr int kWays = 8;
  static constexpr uint32_t kNone = 0xffffffffu;
  // One cache line: the key and its flow state.
  struct alignas(64) Slot {
    FlowKey key;
    FlowEntry entry;
  };
  static_assert(sizeof(Slot) == 64);
  // One cache line: 16-bit signatures (0 = free way) and slot numbers of 8 ways, and the
  // next extension bucket of the chain (kNone = end).
  struct alignas(64) Bucket {
    uint16_t sig[kWays];
    uint32_t slot[kWays];
    uint32_t next;
    uint32_t pad[3];
  };
  static_assert(sizeof(Bucket) == 64);

  static uint16_t sigOf(uint32_t h) noexcept {
    // Zero (a free way) becomes 1 by an or of the compare, in scalar registers: GCC made
    // `s ? s : 1` a vector max that went through the stack.
    const uint32_t s = h >> 16;
    return static_cast<uint16_t>(s | (s == 0));
  }
  // Bit pair w set: way w's signature is sig.
  static uint32_t sigMatches(const Bucket& b, uint16_t sig) noexcept {
    const __m128i sigs = _mm_load_si128(reinterpret_cast<const __m128i*>(b.sig));
    const __m128i eq = _mm_cmpeq_epi16(sigs, _mm_set1_epi16(static_cast<short>(sig)));
    return static_cast<uint32_t>(_mm_movemask_epi8(eq));
  }
  Bucket& bucketAt(uint32_t ref) const noexcept {  // ref < nBuckets_: home; else extension
    return ref < nBuckets_ ? buckets_[ref] : ext_[ref - nBuckets_];
  }
  int32_t find(const FlowKey& key, uint32_t h) const noexcept;  // the whole chain
  // The first live slot in [*cursor, end) (end <= capacity_); *cursor moves past it, or to end.
  bool next(uint32_t* cursor, uint32_t end, const FlowKey** key, int32_t* pos) const noexcept;
  void release() noexcept;

  // The lines a lookup reads at random, in one FastPathMemory (huge pages without an EAL in
  // hugepages): home buckets, nBuckets_ (a power of two); extension buckets; capacity_ slots.
  FastPathMemory lines_;
  Bucket* buckets_ = nullptr;
  Bucket* ext_ = nullptr;
  Slot* slots_ = nullptr;
  uint8_t* used_ = nullptr;    // capacity_: 1 = slot holds a live key (for iteration)
  uint32_t* freeSlots_ = nullptr;  // stack of free slot numbers
  uint32_t* freeExt_ = nullptr;    // stack of free extension bucket numbers
  uint32_t nFreeSlots_ = 0, nFreeExt_ = 0;
  uint32_t nBuckets_ = 0, mask_ = 0, nExt_ = 0;
  uint32_t seed_ = 0;
  uint32_t capacity_ = 0;
  uint32_t cursor_ = 0;
  uint64_t changes_ = 0;
  std::atomic<uint32_t> count_{0};
};

inline uint32_t FlowTable::probeSlot(uint32_t h) const noexcept {
  const Bucket& b = buckets_[h & mask_];
  const uint32_t m = sigMatches(b, sigOf(h));
  if (!m) return kNone;
  const uint32_t s = b.slot[__builtin_ctz(m) >> 1];
  rte_prefetch0(&slots_[s]);
  return s;
}

inline uint32_t FlowTable::hashWords(const uint64_t* w) const noexcept {
#ifdef __SSE4_2__
  // Two independent CRC32-C chains (shorter latency), mixed at the end. An IPv4 key's words
  // 1 and 3 are zero (its addresses take 4 of their 16 bytes), so they are left out: for a
  // caller that builds the key in registers the family is a constant and the branch goes.
  uint64_t a = _mm_crc32_u64(seed_, w[0]);
  uint64_t b = _mm_crc32_u64(~seed_, w[2]);
  if ((w[4] >> 40 & 0xff) != 4) {
    a = _mm_crc32_u64(a, w[1]);
    b = _mm_crc32_u64(b, w[3]);
  }
  a = _mm_crc32_u64(a, w[4]);
  const uint32_t h = static_cast<uint32_t>(a) ^ (static_cast<uint32_t>(b) * 0x9e3779b1u);
  return h ^ (h >> 15);
#else
  return rte_hash_crc(w, 5 * sizeof(uint64_t), seed_);
#endif
}

template <class F>
void FlowTable::forEach(F&& f) const {
  uint32_t cursor = 0;
  const FlowKey* key;
  int32_t pos;
  while (next(&cursor, capacity_, &key, &pos)) f(*key, slots_[pos].entry);
}

template <class F>
void FlowTable::forEachUntil(F&& f) const {
  uint32_t cursor = 0;
  const FlowKey* key;
  int32_t pos;
  while (next(&cursor, capacity_, &key, &pos))
    if (!f(*key, slots_[pos].entry)) return;
}

}  // namespace isogate::dataplane
