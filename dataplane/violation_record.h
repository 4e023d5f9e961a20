// The fixed-size record a worker lcore pushes into its event ring for each
// violation (and each new flow of a `log: true` rule). Plain old data shared
// with the gateway's control thread, which turns records into mgmt::Events
// (zone and rule names come from the CompiledPolicy of `policyGeneration`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dataplane/drop_reason.h"

namespace isogate::dataplane {

inline constexpr uint16_t kNoZone = 0xffff;
inline constexpr uint32_t kNoRule = 0xffffffff;

struct ViolationRecord {
  uint64_t unixNs;  // wall clock of the packet (from the TSC), ns since the epoch
  uint8_t src[16];  // network byte order; IPv4 in the first 4 bytes
  uint8_t dst[16];
  uint32_t rule;              // index of the deciding rule in the CompiledPolicy, or kNoRule
  uint32_t policyGeneration;  // Dataplane generation whose policy decided (names come from it)
  uint16_t fromZone;          // zone ids of that policy, or kNoZone
  uint16_t toZone;
  uint16_t sport, dport;  // TCP/UDP only (host order), else 0
  uint16_t ingressPort;   // the data plane's port index
  uint8_t type;           // mgmt::EventType value
  uint8_t family;         // 4 or 6, 0 when the packet had no IP header
  uint8_t proto;          // IP protocol (after IPv6 extension headers)
  uint8_t icmpType;       // valid when hasIcmpType
  uint8_t hasIcmpType;
  uint8_t reason;  // DropReason (None for flow-allowed)
};

static_assert(std::is_trivially_copyable_v<ViolationRecord>);
static_assert(std::is_standard_layout_v<ViolationRecord>);
static_assert(sizeof(ViolationRecord) == 64,
              "one cache line; rte_ring elements must be 4-byte multiples");
static_assert(offsetof(ViolationRecord, src) == 8);
static_assert(offsetof(ViolationRecord, rule) == 40);
static_assert(offsetof(ViolationRecord, ingressPort) == 56);

}  // namespace isogate::dataplane
