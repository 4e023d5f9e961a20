#include "dataplane/neighbour_table.h"

#include <rte_hash_crc.h>

namespace isogate::dataplane {

namespace {
constexpr uint64_t kV6Bit = uint64_t{1} << 63;
constexpr uint64_t kValidBit = uint64_t{1} << 62;
constexpr uint64_t kMacMask = (uint64_t{1} << 48) - 1;
}  // namespace

NeighbourTable::NeighbourTable(uint32_t capacity) {
  uint32_t n = 64;
  while (n < capacity) n <<= 1;
  slots_ = std::make_unique<Slot[]>(n);
  mask_ = n - 1;
}

NeighbourTable::Slot& NeighbourTable::slot(bool v6, U128 ip) const noexcept {
  const uint64_t lo = static_cast<uint64_t>(ip), hi = static_cast<uint64_t>(ip >> 64);
  const uint32_t h = rte_hash_crc_8byte(lo, rte_hash_crc_8byte(hi, v6 ? 6 : 4));
  return slots_[h & mask_];
}

bool NeighbourTable::lookup(bool v6, U128 ip, uint64_t now, uint64_t maxAge,
                            MacAddress* mac) const noexcept {
  const Slot& s = slot(v6, ip);
  const uint32_t before = s.seq.load(std::memory_order_acquire);
  if (before & 1) return false;
  const uint64_t hi = s.hi.load(std::memory_order_relaxed),
                 lo = s.lo.load(std::memory_order_relaxed);
  const uint64_t m = s.mac.load(std::memory_order_relaxed);
  const uint64_t updated = s.updated.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (s.seq.load(std::memory_order_relaxed) != before) return false;
  if (!(m & kValidBit) || ((m & kV6Bit) != 0) != v6) return false;
  if (hi != static_cast<uint64_t>(ip >> 64) || lo != static_cast<uint64_t>(ip)) return false;
  if (now > updated && now - updated > maxAge) return false;
  for (int i = 0; i < 6; ++i) (*mac)[i] = static_cast<uint8_t>(m >> (8 * (5 - i)));
  return true;
}

void NeighbourTable::learn(bool v6, U128 ip, const uint8_t* mac, uint64_t now) noexcept {
  Slot& s = slot(v6, ip);
  uint32_t seq = s.seq.load(std::memory_order_relaxed);
  if ((seq & 1) || !s.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acquire)) return;
  uint64_t m = kValidBit | (v6 ? kV6Bit : 0);
  for (int i = 0; i < 6; ++i) m |= uint64_t{mac[i]} << (8 * (5 - i));
  s.hi.store(static_cast<uint64_t>(ip >> 64), std::memory_order_relaxed);
  s.lo.store(static_cast<uint64_t>(ip), std::memory_order_relaxed);
  s.mac.store(m & (kMacMask | kValidBit | kV6Bit), std::memory_order_relaxed);
  s.updated.store(now, std::memory_order_relaxed);
  s.seq.store(seq + 2, std::memory_order_release);
}

bool NeighbourTable::shouldRequest(bool v6, U128 ip, uint64_t now, uint64_t interval) noexcept {
  Slot& s = slot(v6, ip);
  const uint64_t tag = static_cast<uint64_t>(ip) ^ (v6 ? kV6Bit : 0);
  uint64_t last = s.lastRequest.load(std::memory_order_relaxed);
  if (s.requestFor.load(std::memory_order_relaxed) == tag && last != 0 && now - last < interval)
    return false;
  if (!s.lastRequest.compare_exchange_strong(last, now == 0 ? 1 : now, std::memory_order_relaxed))
    return false;
  s.requestFor.store(tag, std::memory_order_relaxed);
  return true;
}

}  // namespace isogate::dataplane
