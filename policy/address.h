// IPv4 and IPv6 addresses and prefixes as plain values. Both families are first
// class: a value carries its family, and the address is kept in a 128-bit
// integer (IPv4 in the low 32 bits) so ranges and containment are arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace isogate::policy {

using U128 = unsigned __int128;

enum class Family : uint8_t { V4 = 4, V6 = 6 };

inline int familyBits(Family f) { return f == Family::V4 ? 32 : 128; }

struct IpAddress {
  Family family = Family::V4;
  U128 value = 0;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct Prefix {
  Family family = Family::V4;
  U128 base = 0;  // host bits are always zero
  uint8_t length = 0;

  U128 first() const { return base; }
  U128 last() const;
  bool contains(const IpAddress& a) const;
  bool contains(const Prefix& p) const;
  bool overlaps(const Prefix& p) const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// The mask with the top `length` bits of the family set.
U128 prefixMask(Family f, int length);

// Parses "a.b.c.d", "x::y". No prefix length allowed.
std::optional<IpAddress> parseAddress(std::string_view text);

// Parses "10.0.0.0/8", "fd10::/48", or a bare address (a host prefix). On
// failure returns nullopt and sets *why to a short reason for a diagnostic
// (e.g. "host bits set; did you mean 10.20.0.0/16?").
std::optional<Prefix> parsePrefix(std::string_view text, std::string* why = nullptr);

std::string toString(const IpAddress& a);
std::string toString(const Prefix& p);

// Whole family: 0.0.0.0/0 or ::/0.
inline Prefix wholeFamily(Family f) { return Prefix{f, 0, 0}; }

}  // namespace isogate::policy
