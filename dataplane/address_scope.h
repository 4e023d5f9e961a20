// Address scopes a router must not forward or treat as zone members:
// multicast, broadcast, link-local, loopback, unspecified. Shared by the zone
// stage (never forward them) and the monitor stage (they prove no link).
#pragma once

#include <cstdint>

namespace isogate::dataplane {

template <bool kV6>
bool routableUnicast(unsigned __int128 a) noexcept {
  if constexpr (kV6) {
    const auto top16 = static_cast<uint16_t>(a >> 112);
    return (top16 >> 8) != 0xff && (top16 & 0xffc0) != 0xfe80 && a > 1;
  } else {
    const auto v = static_cast<uint32_t>(a);
    return (v >> 28) < 0xe && (v >> 24) != 0 && (v >> 24) != 127;
  }
}

// Sources that can never be real senders (multicast, broadcast, loopback).
template <bool kV6>
bool impossibleSource(unsigned __int128 a) noexcept {
  if constexpr (kV6) {
    return (a >> 120) == 0xff || a == 1;
  } else {
    const auto v = static_cast<uint32_t>(a);
    return (v >> 28) >= 0xe || (v >> 24) == 127;
  }
}

}  // namespace isogate::dataplane
