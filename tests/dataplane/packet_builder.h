// A small packet builder for data plane tests: Ethernet (+802.1Q tags), ARP,
// IPv4 (+options, fragments), IPv6 (+extension headers, fragment header), TCP,
// UDP, ICMP / ICMPv6, as raw frames. Fields not set get sane defaults.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "policy/address.h"

namespace isogate::dataplane::test {

using Bytes = std::vector<uint8_t>;

inline const uint8_t kHostMac[6] = {0x02, 0, 0, 0, 0, 0x10};
inline const uint8_t kGwMac[6] = {0x02, 0, 0, 0, 0, 0x01};

class Pkt {
 public:
  static Pkt tcp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                 uint8_t flags = 0x02) {
    Pkt p(src, dst, 6);
    p.sport_ = sport;
    p.dport_ = dport;
    p.tcpFlags_ = flags;
    return p;
  }
  static Pkt udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport) {
    Pkt p(src, dst, 17);
    p.sport_ = sport;
    p.dport_ = dport;
    return p;
  }
  // ICMP for IPv4 sources, ICMPv6 for IPv6 ones.
  static Pkt icmp(const std::string& src, const std::string& dst, uint8_t type, uint16_t id = 7) {
    Pkt p(src, dst, 0);
    p.proto_ = p.v6_ ? 58 : 1;
    p.icmpType_ = type;
    p.sport_ = id;
    return p;
  }
  static Pkt raw(const std::string& src, const std::string& dst, uint8_t proto) {
    return Pkt(src, dst, proto);
  }

  Pkt& vlan(uint16_t id) {
    vlans_.push_back(id);
    return *this;
  }
  Pkt& ttl(uint8_t t) {
    ttl_ = t;
    return *this;
  }
  Pkt& payload(size_t n) {
    payload_.assign(n, 0xab);
    return *this;
  }
  Pkt& ipOptions(Bytes o) {
    options_ = std::move(o);
    return *this;
  }
  // An IPv6 extension header (type 0, 43, 60, 51 or anything) with `len` bytes of body after the
  // 2-byte head.
  Pkt& ext(uint8_t type, size_t bodyLen = 6) {
    exts_.push_back({type, bodyLen});
    return *this;
  }
  // A fragment: offset in 8-byte units. A first fragment carries the L4 header and payload.
  Pkt& frag(uint16_t offsetUnits, bool more, uint32_t id) {
    fragged_ = true;
    fragOffset_ = offsetUnits;
    fragMore_ = more;
    fragId_ = id;
    return *this;
  }
  // An ICMP error quoting this inner packet's first bytes.
  Pkt& quote(const Pkt& inner) {
    Bytes b = inner.ipBytes();
    quote_.assign(b.begin(), b.begin() + std::min<size_t>(b.size(), inner.v6_ ? 48 : 28));
    return *this;
  }
  Pkt& srcMac(const uint8_t* m) {
    std::copy(m, m + 6, srcMac_);
    return *this;
  }
  Pkt& dstMac(const uint8_t* m) {
    std::copy(m, m + 6, dstMac_);
    return *this;
  }

  // The IP packet (no Ethernet).
  Bytes ipBytes() const;
  // The whole frame.
  Bytes frame() const;

 private:
  Pkt(const std::string& src, const std::string& dst, uint8_t proto);
  Bytes l4() const;

  bool v6_ = false;
  policy::U128 src_ = 0, dst_ = 0;
  uint8_t proto_ = 6, ttl_ = 64, tcpFlags_ = 0x02, icmpType_ = 8;
  uint16_t sport_ = 0, dport_ = 0;
  Bytes payload_, options_, quote_;
  std::vector<uint16_t> vlans_;
  struct Ext {
    uint8_t type;
    size_t bodyLen;
  };
  std::vector<Ext> exts_;
  bool fragged_ = false, fragMore_ = false;
  uint16_t fragOffset_ = 0;
  uint32_t fragId_ = 0;
  uint8_t srcMac_[6] = {0x02, 0, 0, 0, 0, 0x10};
  uint8_t dstMac_[6] = {0x02, 0, 0, 0, 0, 0x01};
};

// Frames the gateway's own protocols use.
Bytes arpFrame(uint16_t op, const uint8_t* sha, const std::string& spa, const std::string& tpa,
               const uint8_t* dstMac);
// A neighbour solicitation from src for target (to its solicited-node group), with an SLLA option.
Bytes neighbourSolicit(const std::string& src, const std::string& target, const uint8_t* sha);
Bytes neighbourAdvert(const std::string& src, const std::string& target, const uint8_t* tha);

}  // namespace isogate::dataplane::test
