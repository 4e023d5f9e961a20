// Byte-order helpers for reading and writing packet headers in place. Headers
// are read through these rather than through packed structs so that the parser
// never depends on alignment and every bound check is explicit at the caller.
#pragma once

#include <cstdint>
#include <cstring>

namespace isogate::dataplane::wire {

// The loads and stores below swap bytes with one instruction; they assume a little-endian host.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire.h assumes a little-endian host");

using U128 = unsigned __int128;

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline U128 rd128(const uint8_t* p) {
  uint64_t hi, lo;  // two loads and byte swaps instead of sixteen shifts of a 128-bit value
  std::memcpy(&hi, p, 8);
  std::memcpy(&lo, p + 8, 8);
  return U128{__builtin_bswap64(hi)} << 64 | __builtin_bswap64(lo);
}
inline void wr16(uint8_t* p, uint16_t v) {
  const uint16_t be = __builtin_bswap16(v);
  std::memcpy(p, &be, 2);
}
inline void wr32(uint8_t* p, uint32_t v) {
  const uint32_t be = __builtin_bswap32(v);
  std::memcpy(p, &be, 4);
}
inline void wr128(uint8_t* p, U128 v) {
  const uint64_t hi = __builtin_bswap64(static_cast<uint64_t>(v >> 64));
  const uint64_t lo = __builtin_bswap64(static_cast<uint64_t>(v));
  std::memcpy(p, &hi, 8);
  std::memcpy(p + 8, &lo, 8);
}
// An address as 16 network-order bytes (IPv4 in the first 4), as in ViolationRecord.
inline void addrBytes(uint8_t* out, U128 v, bool v6) {
  if (v6) {
    wr128(out, v);
  } else {
    wr32(out, static_cast<uint32_t>(v));
    std::memset(out + 4, 0, 12);
  }
}

// Ones' complement sum over a byte range (big-endian 16-bit words), not folded.
inline uint32_t sum16(const uint8_t* p, uint32_t len, uint32_t acc = 0) {
  for (; len > 1; p += 2, len -= 2) acc += rd16(p);
  if (len) acc += uint32_t{p[0]} << 8;
  return acc;
}
// Any 32-bit sum needs exactly two folds: the first leaves at most 0x1fffe, the second at
// most 0xffff (no loop, no branch).
inline uint16_t fold(uint32_t acc) {
  acc = (acc & 0xffff) + (acc >> 16);
  acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}
// Internet checksum of the range (the value to store in the checksum field).
inline uint16_t checksum(const uint8_t* p, uint32_t len, uint32_t acc = 0) {
  return static_cast<uint16_t>(~fold(sum16(p, len, acc)));
}

// Whether an IPv4 header's checksum verifies: its ones' complement sum is 0xffff. Summed as
// native-order 32-bit words (a header is 4-byte words). A ones' complement sum folds a positive
// sum S to the value in [1, 0xffff] that is congruent to S mod 0xffff, so it is 0xffff exactly
// when S is a nonzero multiple of 0xffff: one remainder (a multiply and shifts) instead of
// four folds. Neither the 32-bit words (a * 0x10000 + b is congruent to a + b) nor the byte
// order (swapping a word's bytes multiplies it by 0x100, which has an inverse mod 0xffff)
// changes whether S is a multiple (RFC 1071).
inline bool ipv4ChecksumOk(const uint8_t* p, uint32_t ihl) {
  uint64_t acc = 0;
  for (uint32_t i = 0; i < ihl; i += 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    acc += w;
  }
  return acc != 0 && acc % 0xffffu == 0;
}

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint16_t kEtherArp = 0x0806;
inline constexpr uint16_t kEtherVlan = 0x8100;
inline constexpr uint16_t kEtherQinQ = 0x88a8;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

}  // namespace isogate::dataplane::wire
