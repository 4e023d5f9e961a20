// wire.h's IPv4 header check against the plain definition: the 16-bit big-endian words'
// ones' complement sum, folded, is 0xffff.
#include "dataplane/wire.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace isogate::dataplane {
namespace {

bool verifiesByDefinition(const uint8_t* p, uint32_t len) {
  return wire::fold(wire::sum16(p, len)) == 0xffff;
}

TEST(WireTest, Ipv4ChecksumOkAgreesWithTheDefinitionOnRandomAndEdgeHeaders) {
  std::mt19937 rng(11);
  int verified = 0;
  for (int round = 0; round < 200000; ++round) {
    const uint32_t ihl = 20 + 4 * (rng() % 11);  // 20..60 bytes
    std::vector<uint8_t> h(ihl);
    // Mostly random bytes; some headers all 0x00 or all 0xff but one byte, where the sum sits
    // at the edges (0, and the multiples of 0xffff that the folds map to 0xffff).
    const int kind = static_cast<int>(rng() % 8);
    for (auto& b : h) b = kind == 0 ? 0 : kind == 1 ? 0xff : static_cast<uint8_t>(rng());
    if (kind <= 1) h[rng() % ihl] = static_cast<uint8_t>(rng());
    if (kind >= 4) {  // a correct checksum: the sum must then verify
      h[10] = h[11] = 0;
      wire::wr16(h.data() + 10, wire::checksum(h.data(), ihl));
    }
    if (kind == 5) h[rng() % ihl] ^= static_cast<uint8_t>(1u << (rng() % 8));  // one bit off
    const bool expected = verifiesByDefinition(h.data(), ihl);
    verified += expected;
    ASSERT_EQ(wire::ipv4ChecksumOk(h.data(), ihl), expected) << "round " << round;
  }
  EXPECT_GT(verified, 50000) << "too few verifying headers to test the true side";
  const std::vector<uint8_t> zeros(20, 0), ones(20, 0xff);
  EXPECT_FALSE(wire::ipv4ChecksumOk(zeros.data(), 20)) << "a sum of 0 folds to 0, not 0xffff";
  EXPECT_TRUE(wire::ipv4ChecksumOk(ones.data(), 20)) << "ten words of 0xffff sum to 0xffff";
}

}  // namespace
}  // namespace isogate::dataplane
