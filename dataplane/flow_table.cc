#include "dataplane/flow_table.h"

#include <rte_malloc.h>
#include <rte_random.h>

#include <algorithm>

namespace isogate::dataplane {

namespace {

template <class T>
T* allocate(const std::string& name, size_t count, int socket) {
  return static_cast<T*>(rte_zmalloc_socket(name.c_str(), count * sizeof(T), 64, socket));
}

}  // namespace

FlowTable::~FlowTable() { release(); }

void FlowTable::release() noexcept {
  lines_.release();
  rte_free(used_);
  rte_free(freeSlots_);
  rte_free(freeExt_);
  buckets_ = ext_ = nullptr;
  slots_ = nullptr;
  used_ = nullptr;
  freeSlots_ = freeExt_ = nullptr;
}

bool FlowTable::init(const std::string& name, uint32_t capacity, int socket, std::string* error) {
  release();
  capacity_ = capacity ? capacity : 1;  // exactly what was asked (rte_hash took at least 64)
  // On average at most 4 keys per 8-way home bucket: chains stay rare unless keys collide.
  nBuckets_ = 16;
  while (nBuckets_ < capacity_ / 4) nBuckets_ *= 2;
  mask_ = nBuckets_ - 1;
  // Every bucket of a chain but its last is full (erase() moves the chain's last key into the
  // hole), so a chain of k > 8 keys uses ceil((k - 8) / 8) extension buckets: at most
  // capacity/8 + capacity/9 + 1 in all; capacity/4 + 2 covers it.
  nExt_ = capacity_ / 4 + 2;
  const size_t lineBytes =
      (size_t{nBuckets_} + nExt_) * sizeof(Bucket) + size_t{capacity_} * sizeof(Slot);
  if (!lines_.allocate("flow table " + name, lineBytes, socket, error)) return false;
  buckets_ = static_cast<Bucket*>(lines_.data());
  ext_ = buckets_ + nBuckets_;
  slots_ = reinterpret_cast<Slot*>(ext_ + nExt_);
  // The rest is read in order or at the top of a stack: the DPDK heap.
  used_ = allocate<uint8_t>(name + "-used", capacity_, socket);
  freeSlots_ = allocate<uint32_t>(name + "-free", capacity_, socket);
  freeExt_ = allocate<uint32_t>(name + "-free-ext", nExt_, socket);
  if (!used_ || !freeSlots_ || !freeExt_) {
    const size_t bytes = size_t{capacity_} * 5 + size_t{nExt_} * 4;
    *error = "flow table " + name + ": cannot allocate " + std::to_string(bytes) +
             " bytes from the DPDK heap (raise -m)";
    release();
    return false;
  }
  for (uint32_t b = 0; b < nBuckets_; ++b) buckets_[b].next = kNone;
  // Slots are handed out in ascending order (the free stack's top is slot 0).
  for (uint32_t s = 0; s < capacity_; ++s) freeSlots_[s] = capacity_ - 1 - s;
  nFreeSlots_ = capacity_;
  for (uint32_t e = 0; e < nExt_; ++e) freeExt_[e] = nExt_ - 1 - e;
  nFreeExt_ = nExt_;
  // A per-table random seed: which keys share a bucket cannot be predicted from outside.
  seed_ = static_cast<uint32_t>(rte_rand());
  cursor_ = 0;
  count_.store(0, std::memory_order_relaxed);
  ++changes_;
  return true;
}

uint32_t FlowTable::hashOf(const FlowKey& key) const noexcept {
  uint64_t w[5];
  std::memcpy(w, &key, sizeof w);
  return hashWords(w);
}

int32_t FlowTable::find(const FlowKey& key, uint32_t h) const noexcept {
  const uint16_t sig = sigOf(h);
  uint32_t ref = h & mask_;
  for (;;) {
    const Bucket& b = bucketAt(ref);
    for (uint32_t m = sigMatches(b, sig); m; m &= m - 1) {
      const int w = __builtin_ctz(m) >> 1;
      m &= m - 1;  // the way's second bit
      if (sameFlowKey(slots_[b.slot[w]].key, key)) return static_cast<int32_t>(b.slot[w]);
    }
    if (b.next == kNone) return -1;
    ref = b.next;
  }
}

void FlowTable::lookupBulk(const FlowKey* const* keys, uint32_t n,
                           int32_t* positions) const noexcept {
  uint32_t h[kBurstSize];
  for (uint32_t k = 0; k < n; ++k) {
    h[k] = hashOf(*keys[k]);
    prefetchBucket(h[k]);
  }
  uint32_t slot[kBurstSize];
  bool slow[kBurstSize];
  for (uint32_t k = 0; k < n; ++k) {
    const Bucket& b = buckets_[h[k] & mask_];
    // More than one way matched, or a chain follows: the full walk if the first way is not it.
    slow[k] = __builtin_popcount(sigMatches(b, sigOf(h[k]))) > 2 || b.next != kNone;
    slot[k] = probeSlot(h[k]);
  }
  for (uint32_t k = 0; k < n; ++k) {
    if (slot[k] != kNone && sameFlowKey(slots_[slot[k]].key, *keys[k])) {
      positions[k] = static_cast<int32_t>(slot[k]);
    } else {
      positions[k] = slow[k] ? find(*keys[k], h[k]) : -1;
    }
  }
}

int32_t FlowTable::lookup(const FlowKey& key) const noexcept { return find(key, hashOf(key)); }

int32_t FlowTable::insert(const FlowKey& key) noexcept {
  const uint32_t h = hashOf(key);
  const int32_t existing = find(key, h);
  if (existing >= 0 || count_.load(std::memory_order_relaxed) >= capacity_) return existing;
  // The chain's first free way; only its last bucket can have one.
  Bucket* b = &buckets_[h & mask_];
  uint32_t freeWays = sigMatches(*b, 0);
  while (!freeWays && b->next != kNone) {
    b = &bucketAt(b->next);
    freeWays = sigMatches(*b, 0);
  }
  int w;
  if (freeWays) {
    w = __builtin_ctz(freeWays) >> 1;
  } else {
    if (nFreeExt_ == 0) return -1;  // cannot happen (see init), but never write out of bounds
    const uint32_t e = freeExt_[--nFreeExt_];
    Bucket& nb = ext_[e];
    std::memset(nb.sig, 0, sizeof nb.sig);
    nb.next = kNone;
    b->next = nBuckets_ + e;
    b = &nb;
    w = 0;
  }
  const uint32_t s = freeSlots_[--nFreeSlots_];
  slots_[s].key = key;
  slots_[s].entry = FlowEntry{};
  used_[s] = 1;
  b->sig[w] = sigOf(h);
  b->slot[w] = s;
  count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  ++changes_;
  return static_cast<int32_t>(s);
}

void FlowTable::erase(const FlowKey& key) noexcept {
  const uint32_t h = hashOf(key);
  const uint16_t sig = sigOf(h);
  uint32_t ref = h & mask_;
  Bucket* hit = nullptr;
  int hitWay = 0;
  // Find the key, then the chain's last bucket (and the one before it).
  uint32_t prevRef = kNone;
  for (;;) {
    Bucket& b = bucketAt(ref);
    if (!hit) {
      for (uint32_t m = sigMatches(b, sig); m; m &= m - 1) {
        const int w = __builtin_ctz(m) >> 1;
        m &= m - 1;
        if (sameFlowKey(slots_[b.slot[w]].key, key)) {
          hit = &b;
          hitWay = w;
          break;
        }
      }
    }
    if (b.next == kNone) break;
    prevRef = ref;
    ref = b.next;
  }
  if (!hit) return;
  const uint32_t s = hit->slot[hitWay];
  used_[s] = 0;
  freeSlots_[nFreeSlots_++] = s;
  count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  ++changes_;
  // Keep every bucket but the chain's last full: its last used way fills the hole.
  Bucket& last = bucketAt(ref);
  const uint32_t usedWays = ~sigMatches(last, 0) & 0xffffu;  // not empty: it holds a key
  const int lastWay = (31 - __builtin_clz(usedWays)) >> 1;
  hit->sig[hitWay] = last.sig[lastWay];
  hit->slot[hitWay] = last.slot[lastWay];
  last.sig[lastWay] = 0;
  if (ref >= nBuckets_ && sigMatches(last, 0) == 0xffffu) {  // an extension bucket now empty
    bucketAt(prevRef).next = kNone;
    freeExt_[nFreeExt_++] = ref - nBuckets_;
  }
}

bool FlowTable::next(uint32_t* cursor, uint32_t end, const FlowKey** key,
                     int32_t* pos) const noexcept {
  for (uint32_t i = *cursor; i < end; ++i) {
    if (used_[i]) {
      *cursor = i + 1;
      *key = &slots_[i].key;
      *pos = static_cast<int32_t>(i);
      return true;
    }
  }
  *cursor = end;
  return false;
}

uint32_t FlowTable::expire(uint64_t now, uint32_t budget) noexcept {
  // At most `budget` live entries and kSweepSlotsPerEntry times as many slots per call: in a
  // sparse table (a quiet gateway's) a call used to read up to the whole used_ array to find
  // its entries: 256 KiB every 10 ms for an empty default table, 3 % of the worker (perf).
  const uint64_t stretch = uint64_t{budget} * kSweepSlotsPerEntry;
  const auto end = static_cast<uint32_t>(std::min<uint64_t>(capacity_, cursor_ + stretch));
  uint32_t removed = 0;
  const FlowKey* key;
  int32_t pos;
  for (uint32_t seen = 0; seen < budget && next(&cursor_, end, &key, &pos); ++seen) {
    if (slots_[pos].entry.expires <= now) {
      const FlowKey copy = *key;
      erase(copy);
      ++removed;
    }
  }
  if (cursor_ >= capacity_) cursor_ = 0;  // the whole table swept: the next call starts over
  return removed;
}

}  // namespace isogate::dataplane
