// The wire format between the gateway and isogate-mgmtd: one JSON object per
// unix datagram (docs/event-intake.md). Three kinds: "event" (one Event),
// "stats" (a GatewayStats snapshot) and "flows" (a part of a FlowSnapshot, flow_wire.h). Decoding is strict: anything malformed is
// refused with a reason and the caller counts and drops it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mgmt/event.h"
#include "mgmt/flow_wire.h"
#include "mgmt/gateway_stats.h"

namespace isogate::mgmt {

inline constexpr size_t kMaxWireDatagram = 65536;
// The latest `time_ms` any datagram may carry: what system_clock can hold (nanosecond ticks:
// year 2262). The old bound, 2^53 ms, overflowed the conversion (found by the event fuzzer).
inline constexpr uint64_t kMaxWireTimeMs = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::duration::max()).count());
inline constexpr size_t kMaxWireFields = 64;
inline constexpr size_t kMaxWireValue = 1024;
inline constexpr size_t kMaxWireMessage = 4096;
inline constexpr size_t kMaxWirePairs = 4096;

std::string toWire(const Event& e);
std::string toWire(const GatewayStats& s);

struct WireMessage {
  enum class Kind { Event, Stats, Flows } kind = Kind::Event;
  Event event;
  GatewayStats stats;
  FlowSnapshotPart flows;
};

// false + error ("key 'type': unknown event type 'x'") when the datagram is not valid.
bool fromWire(std::string_view datagram, WireMessage& out, std::string& error);

// Field names on the wire: [a-z][a-z0-9_]{0,31} and not one the encoder owns
// (type, count). Values: UTF-8 (checked by the parser), no control characters.
bool isValidFieldName(std::string_view name);
bool isValidFieldValue(std::string_view value, size_t maxLen);

}  // namespace isogate::mgmt
