#include "dataplane/parse.h"

#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/wire.h"

namespace isogate::dataplane {
namespace {

using namespace wire;

// IPv6 extension headers that must not appear (mobility, HIP, shim6, experiments).
bool unknownExtension(uint8_t nh) {
  return nh == 135 || nh == 139 || nh == 140 || nh == 253 || nh == 254;
}

bool isIcmpError(bool v6, uint8_t type) {
  if (v6) return type >= 1 && type <= 4;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool isEcho(bool v6, uint8_t type) {
  return v6 ? (type == 128 || type == 129) : (type == 8 || type == 0);
}

// The packet quoted in an ICMP error: its addresses, protocol and ports. A quote
// that cannot be read leaves icmpError false (the error is then judged on its own).
template <bool kV6>
void parseQuote(const uint8_t* p, uint32_t avail, PacketMeta& md) {
  uint32_t hl;
  uint8_t proto;
  if constexpr (kV6) {
    if (avail < 40 || (p[0] >> 4) != 6) return;
    hl = 40;
    proto = p[6];
    md.innerSrc = rd128(p + 8);
    md.innerDst = rd128(p + 24);
  } else {
    if (avail < 20 || (p[0] >> 4) != 4) return;
    hl = (p[0] & 0xfu) * 4;
    if (hl < 20 || avail < hl) return;
    if ((rd16(p + 6) & 0x1fff) != 0) return;  // a quoted non-first fragment has no ports
    proto = p[9];
    md.innerSrc = rd32(p + 12);
    md.innerDst = rd32(p + 16);
  }
  const uint8_t* l4 = p + hl;
  const uint32_t l4avail = avail - hl;
  md.innerProto = proto;
  if (proto == kProtoTcp || proto == kProtoUdp) {
    if (l4avail < 4) return;
    md.innerSport = rd16(l4);
    md.innerDport = rd16(l4 + 2);
  } else if (proto == (kV6 ? kProtoIcmpv6 : kProtoIcmp)) {
    if (l4avail < 8 || !isEcho(kV6, l4[0])) return;
    md.innerSport = md.innerDport = rd16(l4 + 4);
  } else {
    md.innerSport = md.innerDport = 0;
  }
  md.icmpError = true;
}

// The transport header. `avail` is what the IP header says this packet carries
// beyond the network headers (bounded by the frame). False = malformed.
template <bool kV6>
bool parseL4(const uint8_t* p, uint32_t avail, PacketMeta& md) {
  switch (md.proto) {
    case kProtoTcp: {
      if (avail < 20) return false;
      const uint32_t doff = (p[12] >> 4) * 4u;
      if (doff < 20 || doff > avail) return false;
      md.sport = rd16(p);
      md.dport = rd16(p + 2);
      md.tcpFlags = p[13];
      const uint8_t f = md.tcpFlags & (kTcpFin | kTcpSyn | kTcpRst | kTcpAck);
      if ((f & kTcpSyn) && (f & (kTcpFin | kTcpRst))) return false;  // nonsense combinations
      if ((md.tcpFlags & 0x3f) == 0) return false;                   // a NULL scan
      md.hasPorts = true;
      return true;
    }
    case kProtoUdp: {
      if (avail < 8) return false;
      const uint16_t ulen = rd16(p + 4);
      if (ulen < 8) return false;
      if (md.frag == FragKind::None && ulen > avail) return false;
      md.sport = rd16(p);
      md.dport = rd16(p + 2);
      md.hasPorts = true;
      return true;
    }
    case (kV6 ? kProtoIcmpv6 : kProtoIcmp): {
        if (avail < 8) return false;
        md.icmpType = p[0];
        md.hasIcmp = true;
        if (isEcho(kV6, p[0])) md.sport = md.dport = rd16(p + 4);
        if (isIcmpError(kV6, p[0]) && md.frag == FragKind::None)
          parseQuote<kV6>(p + 8, avail - 8, md);
        return true;
      }
    default:
      return true;  // another protocol: judged by protocol number alone
  }
}

// IPv4 options: well-formed TLVs; source routing is refused.
bool ipv4OptionsOk(const uint8_t* o, uint32_t len) {
  uint32_t i = 0;
  while (i < len) {
    const uint8_t type = o[i];
    if (type == 0) return true;  // end of list
    if (type == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= len) return false;
    const uint8_t olen = o[i + 1];
    if (olen < 2 || i + olen > len) return false;
    if (type == 131 || type == 137) return false;  // LSRR / SSRR
    i += olen;
  }
  return true;
}

bool parseIpv4(const rte_mbuf* m, const uint8_t* p, uint32_t avail, PacketMeta& md) {
  if (avail < 20 || (p[0] >> 4) != 4) return false;
  const uint32_t ihl = (p[0] & 0xfu) * 4;
  if (ihl < 20 || ihl > avail) return false;
  const uint16_t total = rd16(p + 2);
  if (total < ihl || total > avail) return false;
  const uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD) return false;
  if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && !ipv4ChecksumOk(p, ihl)) return false;
  if (ihl > 20 && !ipv4OptionsOk(p + 20, ihl - 20)) return false;
  const uint16_t fo = rd16(p + 6);
  if (fo & 0x8000) return false;  // reserved flag
  const uint16_t offset = fo & 0x1fff;
  const bool more = fo & 0x2000;
  md.l3 = L3Kind::Ipv4;
  md.l3Len = static_cast<uint16_t>(ihl);
  md.ipLen = total;
  md.proto = p[9];
  md.src = rd32(p + 12);
  md.dst = rd32(p + 16);
  md.fragId = rd16(p + 4);
  if (offset != 0) {
    md.frag = FragKind::Later;
    // A TCP fragment at offset 8 could rewrite the flags of the first (RFC 1858).
    return !(offset == 1 && md.proto == kProtoTcp);
  }
  if (more) md.frag = FragKind::First;
  return parseL4<false>(p + ihl, total - ihl, md);
}

bool parseIpv6(const uint8_t* p, uint32_t avail, PacketMeta& md) {
  if (avail < 40 || (p[0] >> 4) != 6) return false;
  const uint32_t plen = rd16(p + 4);
  if (plen == 0 || 40 + plen > avail) return false;  // jumbograms are not supported
  const uint32_t end = 40 + plen;
  md.l3 = L3Kind::Ipv6;
  md.ipLen = static_cast<uint16_t>(end);
  md.src = rd128(p + 8);
  md.dst = rd128(p + 24);
  uint8_t nh = p[6];
  uint32_t off = 40;
  bool sawFragment = false;
  for (int count = 0;; ++count) {
    if (count > 8) return false;
    if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
      if (nh == 0 && off != 40) return false;  // hop-by-hop only right after the header
      if (off + 8 > end) return false;
      const uint32_t hl = nh == 51 ? (p[off + 1] + 2u) * 4 : (p[off + 1] + 1u) * 8;
      if (off + hl > end) return false;
      if (nh == 43 && p[off + 2] == 0) return false;  // type 0 routing header (RFC 5095)
      nh = p[off];
      off += hl;
      continue;
    }
    if (nh == 44) {
      if (sawFragment || off + 8 > end) return false;
      sawFragment = true;
      const uint16_t fo = rd16(p + off + 2);
      const uint16_t offset = fo >> 3;
      const bool more = fo & 1;
      md.fragId = rd32(p + off + 4);
      nh = p[off];
      off += 8;
      if (offset != 0) {
        if (unknownExtension(nh)) return false;
        md.frag = FragKind::Later;
        md.proto = nh;
        md.l3Len = static_cast<uint16_t>(off);
        return true;
      }
      if (more) md.frag = FragKind::First;  // else an atomic fragment: a whole packet
      continue;
    }
    if (unknownExtension(nh)) return false;
    break;
  }
  md.proto = nh;
  md.l3Len = static_cast<uint16_t>(off);
  if (nh == 59) return md.frag == FragKind::None;  // no next header
  return parseL4<true>(p + off, end - off, md);
}

bool parseArp(const uint8_t* p, uint32_t avail, PacketMeta& md) {
  if (avail < 28) return false;
  if (rd16(p) != 1 || rd16(p + 2) != kEtherIpv4 || p[4] != 6 || p[5] != 4) return false;
  const uint16_t op = rd16(p + 6);
  if (op != 1 && op != 2) return false;
  md.l3 = L3Kind::Arp;
  md.proto = static_cast<uint8_t>(op);
  md.src = rd32(p + 14);
  md.dst = rd32(p + 24);
  return true;
}

}  // namespace

// A ready-made blank record: `md = PacketMeta{}` built a temporary on the stack field by
// field and then copied it (~35 cycles a packet, perf in docs/PERFORMANCE.md); copying a
// constant is a few wide moves.
constexpr PacketMeta kBlankMeta{};

void parsePacket(const rte_mbuf* m, PacketMeta& md) noexcept {
  md = kBlankMeta;
  if (m->nb_segs != 1) {  // scattered frames are not supported: fail closed
    md.action = Action::Drop;
    md.reason = DropReason::Malformed;
    return;
  }
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = m->data_len;
  bool ok = false;
  if (len >= 14) {
    uint16_t type = rd16(p + 12);
    uint32_t off = 14;
    int tags = 0;
    ok = true;
    while (type == kEtherVlan || type == kEtherQinQ) {
      if (++tags > 2 || off + 4 > len) {
        ok = false;
        break;
      }
      type = rd16(p + off + 2);
      off += 4;
    }
    if (ok) {
      md.l2Len = static_cast<uint16_t>(off);
      if (type == kEtherIpv4) {
        ok = parseIpv4(m, p + off, len - off, md);
      } else if (type == kEtherIpv6) {
        ok = parseIpv6(p + off, len - off, md);
      } else if (type == kEtherArp) {
        ok = parseArp(p + off, len - off, md);
      } else {
        md.action = Action::Drop;
        md.reason = DropReason::UnsupportedL2;
        return;
      }
    }
  }
  if (!ok) {
    md.action = Action::Drop;
    md.reason = DropReason::Malformed;
  }
}

void ParseStage::process(Burst& b) noexcept {
  for (int i = 0; i < b.count && i < 4; ++i) rte_prefetch0(rte_pktmbuf_mtod(b.pkts[i], void*));
  for (int i = 0; i < b.count; ++i) {
    if (i + 4 < b.count) rte_prefetch0(rte_pktmbuf_mtod(b.pkts[i + 4], void*));
    parsePacket(b.pkts[i], b.meta[i]);
  }
}

}  // namespace isogate::dataplane
