#include "policy/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace isogate::policy {

U128 prefixMask(Family f, int length) {
  const int bits = familyBits(f);
  if (length <= 0) return 0;
  const U128 all = bits == 128 ? ~U128{0} : ((U128{1} << bits) - 1);
  if (length >= bits) return all;
  return all & ~((U128{1} << (bits - length)) - 1);
}

U128 Prefix::last() const { return base | (~prefixMask(family, length) & prefixMask(family, familyBits(family))); }

bool Prefix::contains(const IpAddress& a) const {
  return a.family == family && (a.value & prefixMask(family, length)) == base;
}

bool Prefix::contains(const Prefix& p) const {
  return p.family == family && p.length >= length && (p.base & prefixMask(family, length)) == base;
}

bool Prefix::overlaps(const Prefix& p) const { return contains(p) || p.contains(*this); }

std::optional<IpAddress> parseAddress(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char raw[16];
  if (inet_pton(AF_INET, buf, raw) == 1) {
    U128 v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | raw[i];
    return IpAddress{Family::V4, v};
  }
  if (inet_pton(AF_INET6, buf, raw) == 1) {
    U128 v = 0;
    for (int i = 0; i < 16; ++i) v = (v << 8) | raw[i];
    return IpAddress{Family::V6, v};
  }
  return std::nullopt;
}

std::optional<Prefix> parsePrefix(std::string_view text, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<Prefix> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  const auto slash = text.find('/');
  const auto addr = parseAddress(text.substr(0, slash));
  if (!addr) return fail("not an IPv4 or IPv6 address");
  int length = familyBits(addr->family);
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    int parsed = -1;
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), parsed);
    if (len.empty() || ec != std::errc() || end != len.data() + len.size() || parsed < 0 ||
        parsed > familyBits(addr->family)) {
      return fail("prefix length must be 0.." + std::to_string(familyBits(addr->family)));
    }
    length = parsed;
  }
  const U128 mask = prefixMask(addr->family, length);
  Prefix p{addr->family, addr->value & mask, static_cast<uint8_t>(length)};
  if ((addr->value & ~mask) != 0) {
    return fail("host bits set; did you mean " + toString(p) + "?");
  }
  return p;
}

std::string toString(const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN];
  unsigned char raw[16];
  if (a.family == Family::V4) {
    for (int i = 0; i < 4; ++i) raw[i] = static_cast<unsigned char>(a.value >> (8 * (3 - i)));
    inet_ntop(AF_INET, raw, buf, sizeof buf);
  } else {
    for (int i = 0; i < 16; ++i) raw[i] = static_cast<unsigned char>(a.value >> (8 * (15 - i)));
    inet_ntop(AF_INET6, raw, buf, sizeof buf);
  }
  return buf;
}

std::string toString(const Prefix& p) {
  return toString(IpAddress{p.family, p.base}) + "/" + std::to_string(p.length);
}

}  // namespace isogate::policy
