// The RSS key that makes a NIC's Toeplitz hash symmetric, and that hash computed
// in software. Each worker owns its connection table, so both directions of a
// flow must reach the same worker: with this key (a,b) and (b,a) hash alike.
#pragma once

#include <cstdint>

#include "dataplane/packet_meta.h"

namespace isogate::dataplane {

// 0x6d5a repeated: the key's period (16 bits) divides the width of every swapped
// field (addresses, ports), so swapping source and destination leaves the hash as is.
inline constexpr uint8_t kSymmetricRssKey[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

// The Toeplitz hash a NIC configured with kSymmetricRssKey gives a packet: over
// addresses and ports for TCP/UDP (withPorts), over the addresses alone otherwise.
// Addresses in host order, IPv4 in the low 32 bits.
uint32_t symmetricRssHash(bool v6, U128 src, U128 dst, bool withPorts, uint16_t sport,
                          uint16_t dport) noexcept;

}  // namespace isogate::dataplane
