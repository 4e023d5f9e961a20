// The neighbour table (IP -> MAC) shared by all workers, filled from ARP and
// IPv6 neighbour discovery. Direct mapped with a per-slot sequence lock:
// readers never wait (a read racing a write is a miss), writers never wait
// (a writer that finds the slot busy skips the update; ARP/ND repeat). A
// colliding address evicts the previous one. Not resizable; sized by config.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/config.h"

namespace isogate::dataplane {

class NeighbourTable {
 public:
  using U128 = unsigned __int128;

  explicit NeighbourTable(uint32_t capacity);

  // The MAC for (v6, ip) if known and fresher than maxAge ticks.
  bool lookup(bool v6, U128 ip, uint64_t now, uint64_t maxAge, MacAddress* mac) const noexcept;
  void learn(bool v6, U128 ip, const uint8_t* mac, uint64_t now) noexcept;
  // Whether the caller should send a resolution request now (at most one per
  // `interval` ticks per address across all workers).
  bool shouldRequest(bool v6, U128 ip, uint64_t now, uint64_t interval) noexcept;

 private:
  struct alignas(64) Slot {
    std::atomic<uint32_t> seq{0};  // odd while written
    std::atomic<uint64_t> hi{0}, lo{0};
    std::atomic<uint64_t> mac{0};  // bit 63: v6, bit 62: valid, low 48 bits MAC
    std::atomic<uint64_t> updated{0};
    std::atomic<uint64_t> lastRequest{0};
    std::atomic<uint64_t> requestFor{0};  // low 64 bits of the address last requested
  };
  Slot& slot(bool v6, U128 ip) const noexcept;

  std::unique_ptr<Slot[]> slots_;
  uint32_t mask_;
};

}  // namespace isogate::dataplane
