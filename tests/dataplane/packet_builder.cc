#include "tests/dataplane/packet_builder.h"

#include <cstdio>
#include <stdexcept>

#include "dataplane/wire.h"

namespace isogate::dataplane::test {

using namespace wire;

namespace {

policy::IpAddress addr(const std::string& s) {
  auto a = policy::parseAddress(s);
  if (!a) throw std::runtime_error("bad address " + s);
  return *a;
}

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put128(Bytes& b, policy::U128 v) {
  for (int i = 15; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

Bytes ether(const uint8_t* dst, const uint8_t* src, const std::vector<uint16_t>& vlans,
            uint16_t type) {
  Bytes b(dst, dst + 6);
  b.insert(b.end(), src, src + 6);
  for (uint16_t v : vlans) {
    put16(b, kEtherVlan);
    put16(b, v);
  }
  put16(b, type);
  return b;
}

}  // namespace

Pkt::Pkt(const std::string& src, const std::string& dst, uint8_t proto) : proto_(proto) {
  const auto s = addr(src), d = addr(dst);
  v6_ = s.family == policy::Family::V6;
  src_ = s.value;
  dst_ = d.value;
}

Bytes Pkt::l4() const {
  Bytes b;
  if (proto_ == 6) {
    put16(b, sport_);
    put16(b, dport_);
    put32(b, 1000);
    put32(b, (tcpFlags_ & 0x10) ? 2000 : 0);
    b.push_back(0x50);
    b.push_back(tcpFlags_);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
  } else if (proto_ == 17) {
    put16(b, sport_);
    put16(b, dport_);
    put16(b, static_cast<uint16_t>(8 + payload_.size()));
    put16(b, 0);
  } else if (proto_ == 1 || proto_ == 58) {
    b.push_back(icmpType_);
    b.push_back(0);
    put16(b, 0);
    if (!quote_.empty()) {
      put32(b, 0);
      b.insert(b.end(), quote_.begin(), quote_.end());
    } else {
      put16(b, sport_);
      put16(b, 1);
    }
  }
  b.insert(b.end(), payload_.begin(), payload_.end());
  if (proto_ == 1) {
    const uint16_t ck = checksum(b.data(), static_cast<uint32_t>(b.size()));
    b[2] = static_cast<uint8_t>(ck >> 8);
    b[3] = static_cast<uint8_t>(ck);
  }
  return b;
}

Bytes Pkt::ipBytes() const {
  Bytes body =
      (fragged_ && fragOffset_ != 0) ? (payload_.empty() ? Bytes(16, 0xcd) : payload_) : l4();
  Bytes b;
  if (!v6_) {
    Bytes opts = options_;
    while (opts.size() % 4) opts.push_back(0);
    const uint16_t ihl = static_cast<uint16_t>(20 + opts.size());
    b.push_back(static_cast<uint8_t>(0x40 | ihl / 4));
    b.push_back(0);
    put16(b, static_cast<uint16_t>(ihl + body.size()));
    put16(b, static_cast<uint16_t>(fragId_ ? fragId_ : 0x1234));
    put16(b, static_cast<uint16_t>((fragMore_ ? 0x2000 : 0) | (fragOffset_ & 0x1fff)));
    b.push_back(ttl_);
    b.push_back(proto_);
    put16(b, 0);
    put32(b, static_cast<uint32_t>(src_));
    put32(b, static_cast<uint32_t>(dst_));
    b.insert(b.end(), opts.begin(), opts.end());
    const uint16_t ck = checksum(b.data(), ihl);
    b[10] = static_cast<uint8_t>(ck >> 8);
    b[11] = static_cast<uint8_t>(ck);
    b.insert(b.end(), body.begin(), body.end());
    return b;
  }
  // Extension headers in the given order, then the fragment header, then the body.
  Bytes chain;
  std::vector<uint8_t> types;
  for (const auto& e : exts_) types.push_back(e.type);
  if (fragged_) types.push_back(44);
  for (size_t i = 0; i < types.size(); ++i) {
    const uint8_t next = i + 1 < types.size() ? types[i + 1] : proto_;
    if (types[i] == 44) {
      chain.push_back(next);
      chain.push_back(0);
      put16(chain, static_cast<uint16_t>(fragOffset_ << 3 | (fragMore_ ? 1 : 0)));
      put32(chain, fragId_);
      continue;
    }
    const size_t body = exts_[i].bodyLen;
    chain.push_back(next);
    if (types[i] == 51) {
      chain.push_back(static_cast<uint8_t>((body + 2) / 4 - 2));
    } else {
      chain.push_back(static_cast<uint8_t>((body + 2) / 8 - 1));
    }
    for (size_t k = 0; k < body; ++k)
      chain.push_back(types[i] == 43 && k == 0 ? 4 : (k == 1 && types[i] == 43 ? 0 : 1));
  }
  // Padding options of 1s are PadN-ish garbage, fine for a parser that does not read them.
  const uint8_t first = types.empty() ? proto_ : types[0];
  put32(b, 0x60000000);
  put16(b, static_cast<uint16_t>(chain.size() + body.size()));
  b.push_back(first);
  b.push_back(ttl_);
  put128(b, src_);
  put128(b, dst_);
  b.insert(b.end(), chain.begin(), chain.end());
  b.insert(b.end(), body.begin(), body.end());
  if (proto_ == 58 && !(fragged_ && fragOffset_ != 0)) {
    const size_t off = 40 + chain.size();
    uint8_t ph[40];
    wr128(ph, src_);
    wr128(ph + 16, dst_);
    wr32(ph + 32, static_cast<uint32_t>(body.size()));
    wr32(ph + 36, 58);
    const uint16_t ck = checksum(b.data() + off, static_cast<uint32_t>(body.size()), sum16(ph, 40));
    b[off + 2] = static_cast<uint8_t>(ck >> 8);
    b[off + 3] = static_cast<uint8_t>(ck);
  }
  return b;
}

Bytes Pkt::frame() const {
  Bytes f = ether(dstMac_, srcMac_, vlans_, v6_ ? kEtherIpv6 : kEtherIpv4);
  Bytes ip = ipBytes();
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

Bytes arpFrame(uint16_t op, const uint8_t* sha, const std::string& spa, const std::string& tpa,
               const uint8_t* dstMac) {
  Bytes f = ether(dstMac, sha, {}, kEtherArp);
  put16(f, 1);
  put16(f, kEtherIpv4);
  f.push_back(6);
  f.push_back(4);
  put16(f, op);
  f.insert(f.end(), sha, sha + 6);
  put32(f, static_cast<uint32_t>(addr(spa).value));
  for (int i = 0; i < 6; ++i) f.push_back(op == 2 ? kGwMac[i] : 0);
  put32(f, static_cast<uint32_t>(addr(tpa).value));
  while (f.size() < 60) f.push_back(0);
  return f;
}

namespace {
Bytes ndFrame(uint8_t type, const std::string& src, const std::string& dst,
              const std::string& target, uint8_t optType, const uint8_t* mac,
              const uint8_t* dstMac) {
  Bytes icmp{type, 0, 0, 0};
  put32(icmp, type == 136 ? 0x60000000 : 0);
  put128(icmp, addr(target).value);
  icmp.push_back(optType);
  icmp.push_back(1);
  icmp.insert(icmp.end(), mac, mac + 6);
  const auto s = addr(src).value, d = addr(dst).value;
  uint8_t ph[40];
  wr128(ph, s);
  wr128(ph + 16, d);
  wr32(ph + 32, static_cast<uint32_t>(icmp.size()));
  wr32(ph + 36, 58);
  const uint16_t ck = checksum(icmp.data(), static_cast<uint32_t>(icmp.size()), sum16(ph, 40));
  icmp[2] = static_cast<uint8_t>(ck >> 8);
  icmp[3] = static_cast<uint8_t>(ck);
  Bytes f = ether(dstMac, mac, {}, kEtherIpv6);
  put32(f, 0x60000000);
  put16(f, static_cast<uint16_t>(icmp.size()));
  f.push_back(58);
  f.push_back(255);
  put128(f, s);
  put128(f, d);
  f.insert(f.end(), icmp.begin(), icmp.end());
  return f;
}
}  // namespace

Bytes neighbourSolicit(const std::string& src, const std::string& target, const uint8_t* sha) {
  const auto t = addr(target).value;
  const uint32_t low = static_cast<uint32_t>(t) & 0xffffff;
  char group[64];
  std::snprintf(group, sizeof group, "ff02::1:ff%02x:%04x", low >> 16, low & 0xffff);
  const uint8_t mcast[6] = {0x33,
                            0x33,
                            0xff,
                            static_cast<uint8_t>(low >> 16),
                            static_cast<uint8_t>(low >> 8),
                            static_cast<uint8_t>(low)};
  return ndFrame(135, src, group, target, 1, sha, mcast);
}

Bytes neighbourAdvert(const std::string& src, const std::string& target, const uint8_t* tha) {
  return ndFrame(136, src, "fd20::1", target, 2, tha, kGwMac);
}

}  // namespace isogate::dataplane::test
