#include "policy/segment_audit.h"

#include <utility>

namespace isogate::policy {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr int kMaxVlanTags = 8;
constexpr int kMaxTunnelDepth = 4;
constexpr int kMaxExtensionHeaders = 16;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

IpAddress v4At(const uint8_t* p) { return IpAddress{Family::V4, be32(p)}; }
IpAddress v6At(const uint8_t* p) {
  U128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | p[i];
  return IpAddress{Family::V6, v};
}

bool segmentLocal(const IpAddress& a) {
  if (a.family == Family::V4) {
    const uint32_t v = static_cast<uint32_t>(a.value);
    const uint32_t top8 = v >> 24;
    return top8 == 0 || top8 == 127 || (v >> 16) == 0xa9fe /* 169.254/16 */ ||
           (v >> 28) == 0xe /* 224/4 */ || v == 0xffffffffu;
  }
  const U128 v = a.value;
  const unsigned top16 = static_cast<unsigned>(v >> 112);
  return v == 0 || v == 1 || (top16 & 0xffc0) == 0xfe80 || (top16 >> 8) == 0xff;
}

}  // namespace

bool segmentLinkTypeSupported(int t) {
  switch (t) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkRawAlt:
    case kLinkLoop:
    case kLinkRaw101:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
  }
  return false;
}

// State of one frame's walk: what has been seen so far.
struct SegmentAuditor::Walk {
  bool sawAddresses = false;
  bool malformed = false;
  std::vector<uint16_t> vlans;
  std::optional<SegmentFinding> finding;
};

SegmentAuditor::SegmentAuditor(const CompiledPolicy& policy, uint16_t segmentZone)
    : policy_(policy), segment_(segmentZone) {}

int SegmentAuditor::attributedZone(const IpAddress& a) const {
  // Explicit prefixes first: a zone that names such an address owns it.
  const auto& table = a.family == Family::V4 ? policy_.prefixes4 : policy_.prefixes6;
  int best = -1, bestLength = -1;
  for (const auto& zp : table) {
    if (zp.prefix.contains(a) && zp.prefix.length > bestLength) {
      best = zp.zone;
      bestLength = zp.prefix.length;
    }
  }
  if (best >= 0) return best;
  if (segmentLocal(a)) return -1;
  return policy_.anyZone;
}

void SegmentAuditor::judge(Walk& w, SegmentFinding f) const {
  w.sawAddresses = true;
  if (w.finding) return;  // the first proof in a frame is enough
  f.srcZone = attributedZone(f.src);
  f.dstZone = attributedZone(f.dst);
  const size_t zones = policy_.zones.size();
  auto isolated = [&](int z) {
    return z >= 0 && static_cast<size_t>(z) < zones && segment_ < zones && z != segment_ &&
           policy_.pair(segment_, static_cast<uint16_t>(z)) == PairKind::Physical;
  };
  if (isolated(f.srcZone)) {
    f.breachZone = static_cast<uint16_t>(f.srcZone);
    f.breachBySource = true;
  } else if (isolated(f.dstZone)) {
    f.breachZone = static_cast<uint16_t>(f.dstZone);
    f.breachBySource = false;
  } else {
    return;
  }
  f.vlans = w.vlans;
  w.finding = std::move(f);
}

void SegmentAuditor::ethertype(Walk& w, uint16_t type, const uint8_t* p, size_t len,
                               int depth) const {
  // VLAN tags (802.1Q, 802.1ad QinQ, the old 0x9100): 2 bytes TCI, 2 bytes next type.
  while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
    if (len < 4 || static_cast<int>(w.vlans.size()) >= kMaxVlanTags) {
      w.malformed = true;
      return;
    }
    w.vlans.push_back(be16(p) & 0x0fff);
    type = be16(p + 2);
    p += 4;
    len -= 4;
  }
  switch (type) {
    case kEtherIpv4:
      ipv4(w, p, len, depth);
      break;
    case kEtherIpv6:
      ipv6(w, p, len, depth);
      break;
    case kEtherArp:
      arp(w, p, len);
      break;
    default:
      break;  // not IP: nothing to judge
  }
}

void SegmentAuditor::ipv4(Walk& w, const uint8_t* p, size_t len, int depth) const {
  if (len < 20 || (p[0] >> 4) != 4) {
    w.malformed = true;
    return;
  }
  const size_t ihl = size_t{p[0] & 0x0fu} * 4;
  if (ihl < 20 || ihl > len) {
    w.malformed = true;
    return;
  }
  SegmentFinding f;
  f.kind = "ipv4";
  f.tunnelDepth = depth;
  f.src = v4At(p + 12);
  f.dst = v4At(p + 16);
  f.protocol = p[9];
  const bool firstFragment = (be16(p + 6) & 0x1fff) == 0;
  const uint8_t* l4 = p + ihl;
  const size_t l4len = len - ihl;
  if (firstFragment) {
    if ((f.protocol == kProtoTcp || f.protocol == kProtoUdp) && l4len >= 4) {
      f.sport = be16(l4);
      f.dport = be16(l4 + 2);
    } else if (f.protocol == kProtoIcmp && l4len >= 1) {
      f.icmpType = l4[0];
    }
  }
  judge(w, std::move(f));
  // IP-in-IP and 6in4: the inner addresses are on the wire too.
  if (firstFragment && depth < kMaxTunnelDepth) {
    if (p[9] == 4) ipv4(w, l4, l4len, depth + 1);
    if (p[9] == 41) ipv6(w, l4, l4len, depth + 1);
  }
}

void SegmentAuditor::ipv6(Walk& w, const uint8_t* p, size_t len, int depth) const {
  if (len < 40 || (p[0] >> 4) != 6) {
    w.malformed = true;
    return;
  }
  SegmentFinding f;
  f.kind = "ipv6";
  f.tunnelDepth = depth;
  f.src = v6At(p + 8);
  f.dst = v6At(p + 24);
  uint8_t next = p[6];
  const uint8_t* q = p + 40;
  size_t rest = len - 40;
  bool firstFragment = true;
  for (int i = 0; i < kMaxExtensionHeaders; ++i) {
    size_t hdr = 0;
    if (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
      if (rest < 2) break;
      hdr = (size_t{q[1]} + 1) * 8;
    } else if (next == 44) {  // fragment
      if (rest < 8) break;
      firstFragment = (be16(q + 2) & 0xfff8) == 0;
      hdr = 8;
    } else if (next == 51) {  // authentication header
      if (rest < 2) break;
      hdr = (size_t{q[1]} + 2) * 4;
    } else {
      break;
    }
    if (hdr > rest) {
      rest = 0;
      next = 59;  // truncated chain: no upper layer to read
      break;
    }
    next = q[0];
    q += hdr;
    rest -= hdr;
    if (!firstFragment) break;
  }
  f.protocol = next;
  if (firstFragment) {
    if ((next == kProtoTcp || next == kProtoUdp) && rest >= 4) {
      f.sport = be16(q);
      f.dport = be16(q + 2);
    } else if (next == kProtoIcmpv6 && rest >= 1) {
      f.icmpType = q[0];
    }
  }
  judge(w, std::move(f));
  if (firstFragment && depth < kMaxTunnelDepth) {
    if (next == 4) ipv4(w, q, rest, depth + 1);
    if (next == 41) ipv6(w, q, rest, depth + 1);
  }
}

void SegmentAuditor::arp(Walk& w, const uint8_t* p, size_t len) const {
  if (len < 8) {
    w.malformed = true;
    return;
  }
  const uint16_t ptype = be16(p + 2);
  const size_t hlen = p[4], plen = p[5];
  if (ptype != kEtherIpv4 || plen != 4) return;  // not about IPv4 addresses
  if (len < 8 + 2 * hlen + 2 * plen) {
    w.malformed = true;
    return;
  }
  SegmentFinding f;
  f.kind = "arp";
  f.src = v4At(p + 8 + hlen);
  f.dst = v4At(p + 8 + 2 * hlen + plen);
  f.protocol = 0;
  judge(w, std::move(f));
}

std::optional<SegmentFinding> SegmentAuditor::inspect(const uint8_t* frame, size_t len) const {
  return inspectLink(kLinkEthernet, frame, len).finding;
}

FrameInspection SegmentAuditor::inspectLink(int linkType, const uint8_t* data, size_t len) const {
  Walk w;
  if (data == nullptr) len = 0;
  auto byVersion = [&](const uint8_t* p, size_t n) {
    if (n < 1) {
      w.malformed = true;
    } else if ((p[0] >> 4) == 4) {
      ipv4(w, p, n, 0);
    } else if ((p[0] >> 4) == 6) {
      ipv6(w, p, n, 0);
    } else {
      w.malformed = true;
    }
  };
  switch (linkType) {
    case kLinkEthernet:
      if (len < 14) {
        w.malformed = true;
      } else if (be16(data + 12) >= 0x0600) {  // below: an 802.3 length (LLC), not IP
        ethertype(w, be16(data + 12), data + 14, len - 14, 0);
      }
      break;
    case kLinkRaw:
    case kLinkRawAlt:
    case kLinkRaw101:
    case kLinkIpv4:
    case kLinkIpv6:
      byVersion(data, len);
      break;
    case kLinkLinuxSll:
      if (len < 16) {
        w.malformed = true;
      } else {
        ethertype(w, be16(data + 14), data + 16, len - 16, 0);
      }
      break;
    case kLinkLinuxSll2:
      if (len < 20) {
        w.malformed = true;
      } else {
        ethertype(w, be16(data), data + 20, len - 20, 0);
      }
      break;
    case kLinkNull:
    case kLinkLoop:
      // The family is a 4-byte word in host or network order; read the version nibble instead.
      if (len < 4) {
        w.malformed = true;
      } else {
        byVersion(data + 4, len - 4);
      }
      break;
    default:
      w.malformed = true;
      break;
  }
  FrameInspection out;
  if (w.finding) {
    out.status = FrameStatus::Breach;
    out.finding = std::move(w.finding);
  } else if (w.malformed) {
    out.status = FrameStatus::Malformed;
  } else {
    out.status = w.sawAddresses ? FrameStatus::Clean : FrameStatus::NotIp;
  }
  return out;
}

}  // namespace isogate::policy
