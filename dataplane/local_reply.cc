#include "dataplane/local_reply.h"

#include <cstring>

#include "dataplane/wire.h"

namespace isogate::dataplane {

using namespace wire;

namespace {

void setEther(uint8_t* p, const uint8_t* dst, const MacAddress& src) {
  std::memcpy(p, dst, 6);
  std::memcpy(p + 6, src.data(), 6);
}

// Resets m to an empty frame of len bytes at the default headroom.
uint8_t* resetFrame(rte_mbuf* m, uint16_t len) {
  if (m->nb_segs != 1 || m->buf_len < RTE_PKTMBUF_HEADROOM + len) return nullptr;
  m->data_off = RTE_PKTMBUF_HEADROOM;
  m->data_len = len;
  m->pkt_len = len;
  m->vlan_tci = 0;
  m->ol_flags &= ~(RTE_MBUF_F_TX_OFFLOAD_MASK);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memset(p, 0, len);
  return p;
}

}  // namespace

uint16_t icmpv6Checksum(U128 src, U128 dst, const uint8_t* p, uint32_t len) noexcept {
  uint8_t ph[40];
  wr128(ph, src);
  wr128(ph + 16, dst);
  wr32(ph + 32, len);
  wr32(ph + 36, kProtoIcmpv6);
  return checksum(p, len, sum16(ph, 40));
}

void makeArpReply(rte_mbuf* m, const PacketMeta& md, const MacAddress& mac) noexcept {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* a = p + md.l2Len;
  uint8_t requester[6];
  std::memcpy(requester, a + 8, 6);
  setEther(p, requester, mac);
  wr16(a + 6, 2);
  std::memcpy(a + 18, requester, 6);            // tha
  wr32(a + 24, static_cast<uint32_t>(md.src));  // tpa = requester's address
  std::memcpy(a + 8, mac.data(), 6);            // sha
  wr32(a + 14, static_cast<uint32_t>(md.dst));  // spa = the address asked for
}

void makeNeighbourAdvert(rte_mbuf* m, const PacketMeta& md, U128 target, const uint8_t* to,
                         const MacAddress& mac) noexcept {
  uint8_t dstMac[6];
  std::memcpy(dstMac, to, 6);
  const uint16_t l2 = md.l2Len;
  const uint16_t len = static_cast<uint16_t>(l2 + 40 + 32);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  if (m->buf_len < m->data_off + len) return;
  setEther(p, dstMac, mac);  // VLAN tags of the request (if any) stay in place
  m->data_len = m->pkt_len = len;
  uint8_t* ip = p + l2;
  wr32(ip, 0x60000000);
  wr16(ip + 4, 32);
  ip[6] = kProtoIcmpv6;
  ip[7] = 255;
  wr128(ip + 8, target);
  wr128(ip + 24, md.src);
  uint8_t* icmp = ip + 40;
  std::memset(icmp, 0, 32);
  icmp[0] = 136;
  wr32(icmp + 4, 0xe0000000);  // router, solicited, override
  wr128(icmp + 8, target);
  icmp[24] = 2;  // target link-layer address option
  icmp[25] = 1;
  std::memcpy(icmp + 26, mac.data(), 6);
  wr16(icmp + 2, icmpv6Checksum(target, md.src, icmp, 32));
}

template <bool kV6>
void makeEchoReply(rte_mbuf* m, const PacketMeta& md, const MacAddress& mac) noexcept {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t requester[6];
  std::memcpy(requester, p + 6, 6);
  setEther(p, requester, mac);
  uint8_t* ip = p + md.l2Len;
  uint8_t* icmp = ip + md.l3Len;
  const uint32_t icmpLen = md.ipLen - md.l3Len;
  if constexpr (kV6) {
    wr128(ip + 8, md.dst);
    wr128(ip + 24, md.src);
    ip[7] = 64;
    icmp[0] = 129;
    wr16(icmp + 2, 0);
    wr16(icmp + 2, icmpv6Checksum(md.dst, md.src, icmp, icmpLen));
  } else {
    wr32(ip + 12, static_cast<uint32_t>(md.dst));
    wr32(ip + 16, static_cast<uint32_t>(md.src));
    ip[8] = 64;
    wr16(ip + 10, 0);
    wr16(ip + 10, checksum(ip, md.l3Len));
    icmp[0] = 0;
    wr16(icmp + 2, 0);
    wr16(icmp + 2, checksum(icmp, icmpLen));
  }
}

template void makeEchoReply<false>(rte_mbuf*, const PacketMeta&, const MacAddress&) noexcept;
template void makeEchoReply<true>(rte_mbuf*, const PacketMeta&, const MacAddress&) noexcept;

bool makeArpRequest(rte_mbuf* m, uint32_t own, uint32_t target, const MacAddress& mac) noexcept {
  uint8_t* p = resetFrame(m, 60);  // 42 bytes padded to the Ethernet minimum
  if (!p) return false;
  static const uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  setEther(p, kBroadcast, mac);
  wr16(p + 12, kEtherArp);
  uint8_t* a = p + 14;
  wr16(a, 1);
  wr16(a + 2, kEtherIpv4);
  a[4] = 6;
  a[5] = 4;
  wr16(a + 6, 1);
  std::memcpy(a + 8, mac.data(), 6);
  wr32(a + 14, own);
  wr32(a + 24, target);
  return true;
}

bool makeNeighbourSolicit(rte_mbuf* m, U128 own, U128 target, const MacAddress& mac) noexcept {
  uint8_t* p = resetFrame(m, 14 + 40 + 32);
  if (!p) return false;
  const uint32_t low24 = static_cast<uint32_t>(target) & 0xffffff;
  const uint8_t dstMac[6] = {0x33,
                             0x33,
                             0xff,
                             static_cast<uint8_t>(low24 >> 16),
                             static_cast<uint8_t>(low24 >> 8),
                             static_cast<uint8_t>(low24)};
  setEther(p, dstMac, mac);
  wr16(p + 12, kEtherIpv6);
  const U128 solicited =
      (U128{0xff02000000000000ull} << 64) | (U128{0x00000001ff000000ull}) | low24;
  uint8_t* ip = p + 14;
  wr32(ip, 0x60000000);
  wr16(ip + 4, 32);
  ip[6] = kProtoIcmpv6;
  ip[7] = 255;
  wr128(ip + 8, own);
  wr128(ip + 24, solicited);
  uint8_t* icmp = ip + 40;
  icmp[0] = 135;
  wr128(icmp + 8, target);
  icmp[24] = 1;  // source link-layer address option
  icmp[25] = 1;
  std::memcpy(icmp + 26, mac.data(), 6);
  wr16(icmp + 2, icmpv6Checksum(own, solicited, icmp, 32));
  return true;
}

}  // namespace isogate::dataplane
