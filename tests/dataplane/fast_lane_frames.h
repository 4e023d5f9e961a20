// What both fast lane tests share: the harness's port numbers and TCP flags, edits of built
// IPv4 frames (to make packets the lane must refuse), and a data plane config with the lane on
// or off.
#pragma once

#include <cstdio>
#include <string>

#include "dataplane/wire.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {

inline constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2, kTap = 3, kNoSuchPort = 9;
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                         kUrg = 0x20;

inline const MacAddress kInetGwMac = {0x02, 0, 0, 0, 0, 0x03};  // port 2's MAC in testConfig()

// --- edits of built IPv4 frames (untagged, header without options) ---

inline void fixIpv4Checksum(Bytes& f) {
  uint8_t* ip = f.data() + 14;
  ip[10] = ip[11] = 0;
  wire::wr16(ip + 10, wire::checksum(ip, (ip[0] & 0xfu) * 4u));
}
inline void setFragFlags(Bytes& f, uint8_t bits) {  // 0x40 DF, 0x80 the reserved flag
  f[14 + 6] |= bits;
  fixIpv4Checksum(f);
}
// Four NOPs of TCP options: a header of 24 bytes.
inline void addTcpOptions(Bytes& f) {
  const size_t tcp = 14 + 20;
  f.insert(f.begin() + static_cast<long>(tcp + 20), {1, 1, 1, 1});
  f[tcp + 12] = 0x60;
  wire::wr16(f.data() + 16, static_cast<uint16_t>(wire::rd16(f.data() + 16) + 4));
  fixIpv4Checksum(f);
}

inline std::string hex(const Bytes& b) {
  std::string s;
  char buf[4];
  for (uint8_t x : b) {
    std::snprintf(buf, sizeof buf, "%02x", x);
    s += buf;
  }
  return s;
}

inline DataplaneConfig configWithLane(bool on) {
  DataplaneConfig c = testConfig();
  c.fastLane = on;
  return c;
}

}  // namespace isogate::dataplane::test
