// The DPDK backend's benchmark support: static neighbours from ISOGATE_DPDK_NEIGHBOURS (fail
// closed on anything malformed) and the frame count of net_pcap infinite_rx captures.
#include "gateway/dpdk_bench_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gateway/dpdk_pcap_count.h"

namespace isogate::gateway {
namespace {

std::string tempPath(const char* name) {
  return "/tmp/isogate-bench-env-" + std::to_string(getpid()) + "-" + name;
}

// A classic pcap with `frames` 60-byte frames; `swapped` writes it in the other byte order.
void writePcap(const std::string& path, int frames, bool swapped) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  auto u32 = [&](uint32_t v) {
    if (swapped) v = __builtin_bswap32(v);
    std::fwrite(&v, 4, 1, f);
  };
  u32(0xA1B2C3D4);
  u32(0x00040002);  // version 2.4 (the two 16-bit halves; their order does not matter here)
  u32(0);
  u32(0);
  u32(65535);
  u32(1);
  const unsigned char frame[60] = {};
  for (int i = 0; i < frames; ++i) {
    u32(1764150000);
    u32(static_cast<uint32_t>(i));
    u32(60);
    u32(60);
    std::fwrite(frame, sizeof frame, 1, f);
  }
  std::fclose(f);
}

TEST(StaticNeighbours, ParsesV4AndV6Entries) {
  std::vector<StaticNeighbour> out;
  std::string error;
  ASSERT_TRUE(parseStaticNeighbours(
      "172.16.30.10=02:00:00:00:00:aa,2001:db8:30::10=02:00:00:00:00:BB", out, error))
      << error;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(policy::toString(out[0].address), "172.16.30.10");
  EXPECT_EQ(out[0].mac, (dataplane::MacAddress{2, 0, 0, 0, 0, 0xaa}));
  EXPECT_EQ(out[1].address.family, policy::Family::V6);
  EXPECT_EQ(policy::toString(out[1].address), "2001:db8:30::10");
  EXPECT_EQ(out[1].mac, (dataplane::MacAddress{2, 0, 0, 0, 0, 0xbb}));
}

TEST(StaticNeighbours, RejectsMalformedItemsAndChangesNothing) {
  const std::vector<StaticNeighbour> before = {
      {*policy::parseAddress("10.0.0.1"), {1, 2, 3, 4, 5, 6}}};
  for (const char* bad :
       {"172.16.30.10", "172.16.30.300=02:00:00:00:00:aa", "172.16.30.10=02:00:00:00:00",
        "172.16.30.10=02:00:00:00:00:aa:bb", "172.16.30.10=zz:00:00:00:00:aa",
        "172.16.30.10=02:00:00:00:00:aa,oops"}) {
    std::vector<StaticNeighbour> out = before;
    std::string error;
    EXPECT_FALSE(parseStaticNeighbours(bad, out, error)) << bad;
    EXPECT_EQ(out.size(), 1u) << bad;
    EXPECT_EQ(out[0].mac, before[0].mac) << bad;
    EXPECT_NE(error.find("is not ADDRESS=MAC (e.g. 172.16.30.10=02:00:00:00:00:aa)"),
              std::string::npos)
        << error;
  }
  std::vector<StaticNeighbour> out;
  std::string error;
  EXPECT_FALSE(parseStaticNeighbours("172.16.30.10", out, error));
  EXPECT_EQ(error,
            "ISOGATE_DPDK_NEIGHBOURS: '172.16.30.10' is not ADDRESS=MAC (e.g. "
            "172.16.30.10=02:00:00:00:00:aa)");
  EXPECT_FALSE(parseStaticNeighbours("", out, error));
  EXPECT_EQ(error, "ISOGATE_DPDK_NEIGHBOURS is set but empty");
}

TEST(PcapFrameCount, CountsClassicPcapInBothByteOrders) {
  const std::string a = tempPath("a.pcap"), b = tempPath("b.pcap");
  writePcap(a, 1000, false);
  writePcap(b, 7, true);
  EXPECT_EQ(countPcapFrames(a), 1000);
  EXPECT_EQ(countPcapFrames(b), 7);
  EXPECT_EQ(infiniteRxFrames("net_pcap0,rx_pcap=" + a + ",rx_pcap=" + b + ",infinite_rx=1"), 1007u);
  // Without infinite_rx the PMD reads the file as it goes and keeps nothing.
  EXPECT_EQ(infiniteRxFrames("net_pcap0,rx_pcap=" + a), 0u);
  EXPECT_EQ(infiniteRxFrames("net_null0,no-rx=1"), 0u);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST(PcapFrameCount, UnreadableOrForeignFilesCountAsTheDefault) {
  const std::string text = tempPath("not.pcap");
  FILE* f = std::fopen(text.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a capture file at all", f);
  std::fclose(f);
  EXPECT_EQ(countPcapFrames(text), -1);
  EXPECT_EQ(countPcapFrames(tempPath("missing.pcap")), -1);
  EXPECT_EQ(infiniteRxFrames("net_pcap0,rx_pcap=" + text + ",infinite_rx=1"),
            kUnknownCaptureFrames);
  std::remove(text.c_str());
}

}  // namespace
}  // namespace isogate::gateway
