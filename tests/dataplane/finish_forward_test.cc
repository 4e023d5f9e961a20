// finishForward's IPv4 rewrite against the plain definition: after it, the TTL is one less,
// every other header byte is the same, and the checksum field is what a full recomputation
// gives (RFC 1624's update with one fold in the header's byte order, forward_stage.h).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "dataplane/forward_stage.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane {
namespace {

TEST(FinishForwardTest, TheIncrementalChecksumEqualsAFullRecomputationOnRandomHeaders) {
  rte_mempool* pool = test::EalEnvironment::pool();
  ASSERT_NE(pool, nullptr);
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  ASSERT_NE(m, nullptr);
  std::mt19937 rng(5);
  const MacAddress to{2, 0, 0, 0, 0, 0xaa}, from{2, 0, 0, 0, 0, 0xbb};
  // The old checksums at the edges of the update's sum ~HC + 0xfffe: 0x0000 (the largest
  // sum, 0x1fffd), 0xfffe (0xffff: no carry, the new checksum 0x0000) and 0x0001.
  const uint16_t edges[] = {0x0000, 0xfffe, 0x0001};
  int edgeHeaders = 0;
  for (int round = 0; round < 300000; ++round) {
    uint8_t* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 34));
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < 34; ++i) f[i] = static_cast<uint8_t>(rng());
    wire::wr16(f + 12, wire::kEtherIpv4);
    uint8_t* ip = f + 14;
    ip[0] = 0x45;
    ip[8] = static_cast<uint8_t>(2 + rng() % 254);  // the caller's precondition: TTL above 1
    // Every 16th header gets an edge checksum: the identification field is shifted by the
    // difference, so that the full computation gives `want`.
    const uint16_t want = edges[(round / 16) % 3];
    if (round % 16 == 0) {
      ip[10] = ip[11] = 0;
      const uint16_t c = wire::checksum(ip, 20);
      wire::wr16(ip + 4, static_cast<uint16_t>(wire::fold(wire::rd16(ip + 4) + uint32_t{c} +
                                                          static_cast<uint16_t>(~want))));
    }
    ip[10] = ip[11] = 0;
    wire::wr16(ip + 10, wire::checksum(ip, 20));
    edgeHeaders += round % 16 == 0 && wire::rd16(ip + 10) == want;
    uint8_t before[20];
    std::memcpy(before, ip, 20);

    finishForward(m, false, 14, to, from);

    const uint8_t* out = rte_pktmbuf_mtod(m, const uint8_t*);
    const uint8_t* ip2 = out + 14;
    ASSERT_EQ(ip2[8], before[8] - 1) << "round " << round;
    uint8_t expected[20];
    std::memcpy(expected, before, 20);
    expected[8] = static_cast<uint8_t>(before[8] - 1);
    expected[10] = expected[11] = 0;
    const uint16_t full = wire::checksum(expected, 20);
    ASSERT_EQ(wire::rd16(ip2 + 10), full)
        << "round " << round << ": old checksum " << wire::rd16(before + 10);
    for (int i = 0; i < 20; ++i) {
      if (i != 8 && i != 10 && i != 11) {
        ASSERT_EQ(ip2[i], before[i]) << "byte " << i;
      }
    }
    ASSERT_EQ(std::memcmp(out, to.data(), 6), 0);
    ASSERT_EQ(std::memcmp(out + 6, from.data(), 6), 0);
    rte_pktmbuf_reset(m);
  }
  EXPECT_EQ(edgeHeaders, (300000 + 15) / 16) << "the edge checksums were not all made";
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace isogate::dataplane
