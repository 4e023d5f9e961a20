// L3 forwarding of allowed packets: next hop from the route table (connected
// networks and configured routes), the egress port must belong to the
// destination's zone, TTL / hop limit decrement (expired: drop), incremental
// IPv4 header checksum, Ethernet rewrite (VLAN tags are not carried over).
// An unresolved next hop parks the packet in the worker's hold queue and sends
// an ARP request / neighbour solicitation (rate limited per address) in a new mbuf;
// releaseHeld() sends it once the neighbour is known or drops it at its deadline.
#pragma once

#include <cstring>

#include "dataplane/tx_buffer.h"
#include "dataplane/wire.h"
#include "dataplane/worker_context.h"

namespace isogate::dataplane {

class PolicyTables;

// The last step of forwarding but the addresses, shared by the resolved path and held
// packets: TTL / hop limit decrement (with the IPv4 checksum update), VLAN tags removed.
// Returns the frame's start, where the caller writes the Ethernet addresses. The caller
// checked the TTL is above 1.
inline uint8_t* rewriteForForward(rte_mbuf* m, bool v6, uint16_t l2Len) noexcept {
  using namespace wire;
  // The frame's start taken once: the byte stores below may alias the mbuf's fields, so the
  // compiler would load them again for each later rte_pktmbuf_mtod().
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* ip = eth + l2Len;
  if (v6) {
    --ip[7];
  } else {
    // RFC 1624: HC' = ~(~HC + ~m + m') for the word m holding TTL and protocol. The TTL is
    // above 1, so m' = m - 0x0100 without a borrow, and ~m + m' is always 0xfeff. Summed in
    // the header's own byte order (a ones' complement sum commutes with swapping the bytes
    // of every word, RFC 1071), where it is 0xfffe; ~HC + 0xfffe is at most 0x1fffd, so one
    // fold leaves at most 0xfffe and a second would change nothing.
    --ip[8];
    uint16_t hc;
    std::memcpy(&hc, ip + 10, 2);
    uint32_t sum = static_cast<uint16_t>(~hc) + 0xfffeu;
    sum = (sum & 0xffff) + (sum >> 16);
    hc = static_cast<uint16_t>(~sum);
    std::memcpy(ip + 10, &hc, 2);
  }
  // Egress is untagged. An untagged frame's type is already the IP one; a tagged one loses its
  // tags and gets the type after the addresses.
  if (l2Len != 14) {
    rte_pktmbuf_adj(m, static_cast<uint16_t>(l2Len - 14));
    eth = ip - 14;
    wr16(eth + 12, v6 ? kEtherIpv6 : kEtherIpv4);
  }
  return eth;
}

// rewriteForForward, then the Ethernet header from `from` to `to`.
inline void finishForward(rte_mbuf* m, bool v6, uint16_t l2Len, const MacAddress& to,
                          const MacAddress& from) noexcept {
  uint8_t* eth = rewriteForForward(m, v6, l2Len);
  std::memcpy(eth, to.data(), 6);
  std::memcpy(eth + 6, from.data(), 6);
}

// The last next hop resolved in a burst (packets of a burst mostly share few destinations):
// the route walk and the neighbour table's hash and sequence-lock read are done once for
// them. Valid for one burst only (one `now`, one policy). Kept by the forward stage and, for
// its own pass, by the fast lane.
struct LastHop {
  // Validity, family and zone in one word, so that a match is two compares, not four.
  uint32_t tag = 0;  // 0: none
  U128 dst = 0;
  uint16_t port = 0;
  // The frame's first 12 bytes: the next hop's address, then the egress port's own (copied
  // as one 8- and one 4-byte word).
  uint8_t addrs[12] = {};
  static uint32_t tagOf(bool v6, uint16_t zone) noexcept {
    return 1u << 31 | uint32_t{v6} << 16 | zone;
  }
  bool matches(bool isV6, U128 to, uint16_t toZone) const noexcept {
    return tag == tagOf(isV6, toZone) && dst == to;
  }
  void set(bool isV6, U128 to, uint16_t toZone, uint16_t egress, const MacAddress& next,
           const MacAddress& own) noexcept {
    tag = tagOf(isV6, toZone);
    dst = to;
    port = egress;
    std::memcpy(addrs, next.data(), 6);
    std::memcpy(addrs + 6, own.data(), 6);
  }
  void clear() noexcept { tag = 0; }
  // rewriteForForward, then the Ethernet header to this hop.
  void finish(rte_mbuf* m, bool v6, uint16_t l2Len) const noexcept {
    std::memcpy(rewriteForForward(m, v6, l2Len), addrs, 12);
  }
};

class ForwardStage {
 public:
  explicit ForwardStage(WorkerContext& ctx) : ctx_(ctx) {}
  void process(Burst& b) noexcept;
  // begin() once per burst, then forwardOne() for each live packet (the worker fuses it with
  // the accounting of the same packet).
  void begin() noexcept { last_.clear(); }
  void forwardOne(Burst& b, int i) noexcept {
    PacketMeta& md = b.meta[i];
    const bool v6 = b.isV6(i);
    if (last_.matches(v6, md.dst, md.dstZone)) {
      rte_mbuf* m = b.pkts[i];
      if (rte_pktmbuf_mtod(m, const uint8_t*)[md.l2Len + (v6 ? 7 : 8)] <= 1) [[unlikely]] {
        b.drop(i, DropReason::TtlExpired);
        return;
      }
      last_.finish(m, v6, md.l2Len);
      md.l2Len = 14;
      md.action = Action::Transmit;
      md.outPort = last_.port;
      return;
    }
    forwardResolving(b, i);
  }
  // Held packets whose neighbour is now known go to tx (stay held while their
  // queue is full); those past their deadline are freed and counted
  // neighbour-unresolved. With tx null only the expired ones are handled.
  void releaseHeld(TxBuffer* tx, uint64_t now) noexcept;
  // Whether an IPv4 packet to dst in zone dstZone would be forwarded at once (no hold, no
  // request): *nh and *mac are then its next hop and that hop's MAC. Reads only.
  bool resolvedIpv4(uint32_t dst, uint16_t dstZone, const PolicyTables& t, uint64_t now,
                    NextHop* nh, MacAddress* mac) const noexcept;

 private:
  // The route toward dst, if its egress port belongs to dst's zone.
  template <bool kV6>
  bool routeTo(U128 dst, uint16_t dstZone, const PolicyTables& t, NextHop* nh) const noexcept;
  // A packet whose destination is not the cached one: route, neighbour, hold queue.
  void forwardResolving(Burst& b, int i) noexcept;
  template <bool kV6>
  void forward(Burst& b, int i) noexcept;
  template <bool kV6>
  bool makeRequest(rte_mbuf* m, U128 own, U128 target, uint16_t port) noexcept;
  WorkerContext& ctx_;
  LastHop last_;  // filled only on the fully resolved path
};

}  // namespace isogate::dataplane
