// Frames the gateway itself sends, written into an mbuf it already holds (the
// request it answers, or the packet that could not be delivered yet), so no
// allocation happens on the fast path: ARP replies and requests, IPv6 neighbour
// advertisements and solicitations, ICMP / ICMPv6 echo replies.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/config.h"
#include "dataplane/packet_meta.h"

namespace isogate::dataplane {

// In place: the ARP request in m (parsed into md) becomes the reply for `mac`.
void makeArpReply(rte_mbuf* m, const PacketMeta& md, const MacAddress& mac) noexcept;
// In place: the NS in m becomes a solicited NA for md's target; `to` is the requester's MAC.
void makeNeighbourAdvert(rte_mbuf* m, const PacketMeta& md, U128 target, const uint8_t* to,
                         const MacAddress& mac) noexcept;
// In place: an echo request to the gateway becomes the reply (addresses and MACs swapped).
template <bool kV6>
void makeEchoReply(rte_mbuf* m, const PacketMeta& md, const MacAddress& mac) noexcept;

// Rewrites m (any single-segment mbuf with room) into an ARP request / NS for
// `target` from (mac, own). False when the buffer is too small.
bool makeArpRequest(rte_mbuf* m, uint32_t own, uint32_t target, const MacAddress& mac) noexcept;
bool makeNeighbourSolicit(rte_mbuf* m, U128 own, U128 target, const MacAddress& mac) noexcept;

// The ICMPv6 checksum for a payload at p of len bytes between src and dst.
uint16_t icmpv6Checksum(U128 src, U128 dst, const uint8_t* p, uint32_t len) noexcept;

}  // namespace isogate::dataplane
