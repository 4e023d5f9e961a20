// A `stats` datagram carries the drop counters under the backends' reason names, which have
// hyphens ("logical-isolation", "arp-nd-consumed"). isogate-mgmtd refused every report that
// had any drop (so `isogatectl stats` never showed the gateway's counters) until the decoder
// took reason names as what they are rather than as event field names.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "mgmt/event_wire.h"

namespace isogate::mgmt {
namespace {

TEST(StatsWire, EveryDropReasonOfTheBackendsRoundTrips) {
  GatewayStats s;
  s.timeMs = 1795687200123;
  s.backend = "dpdk";
  s.pairs = {{"extranet", "portal", "extranet-ping-portal", "allow", 40, 3920},
             {"internet", "extranet", "", "deny", 7, 434}};
  // dataplane/drop_reason.cc's names (the DPDK backend) and the nftables backend's.
  for (const char* r : {"malformed",
                        "unsupported-l2",
                        "spoofed-source",
                        "isolation-breach",
                        "physical-isolation",
                        "logical-isolation",
                        "rule-deny",
                        "intra-zone-deny",
                        "no-zone",
                        "flow-cut",
                        "tcp-invalid",
                        "flow-table-full",
                        "ttl-expired",
                        "no-route",
                        "neighbour-unresolved",
                        "to-gateway",
                        "arp-nd-consumed",
                        "monitor",
                        "no-policy",
                        "tx-full"})
    s.drops.emplace_back(r, s.drops.size() + 1);
  WireMessage m;
  std::string err;
  ASSERT_TRUE(fromWire(toWire(s), m, err)) << err;
  ASSERT_EQ(m.kind, WireMessage::Kind::Stats);
  EXPECT_EQ(m.stats.backend, "dpdk");
  EXPECT_EQ(m.stats.pairs.size(), 2u);
  auto sorted = [](std::vector<std::pair<std::string, uint64_t>> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(m.stats.drops), sorted(s.drops));
  EXPECT_EQ(m.stats.periodMs, 0u) << "not told";
}

// The report period (`period_ms`, gateway/report_period.h) travels with the counters, so
// `isogatectl stats` can say how old they may be; a gateway that does not send it is still
// taken (0 = not told), a period that is not a count is refused.
TEST(StatsWire, ThePeriodTravelsAndIsOptional) {
  GatewayStats s;
  s.timeMs = 1;
  s.backend = "nftables";
  s.periodMs = 8000;
  WireMessage m;
  std::string err;
  const std::string wire = toWire(s);
  EXPECT_NE(wire.find(R"("period_ms":8000)"), std::string::npos) << wire;
  ASSERT_TRUE(fromWire(wire, m, err)) << err;
  EXPECT_EQ(m.stats.periodMs, 8000u);
  ASSERT_TRUE(fromWire(R"({"v":1,"kind":"stats","time_ms":1})", m, err)) << err;
  EXPECT_EQ(m.stats.periodMs, 0u);
  for (const char* bad : {R"({"v":1,"kind":"stats","time_ms":1,"period_ms":-1})",
                          R"({"v":1,"kind":"stats","time_ms":1,"period_ms":"2000"})",
                          R"({"v":1,"kind":"stats","time_ms":1,"period_ms":1.5})"}) {
    EXPECT_FALSE(fromWire(bad, m, err)) << bad;
    EXPECT_NE(err.find("period_ms"), std::string::npos) << bad << ": " << err;
  }
}

TEST(StatsWire, ReasonNamesThatAreNotNamesAreStillRefused) {
  for (const char* bad : {R"("Logical")", R"("-x")", R"("")", R"("a b")", R"("a\"b")", R"("a]")",
                          R"("abcdefghijklmnopqrstuvwxyz-0123456789")"}) {
    const std::string wire =
        std::string(R"({"v":1,"kind":"stats","time_ms":1,"drops":{)") + bad + ":1}}";
    WireMessage m;
    std::string err;
    EXPECT_FALSE(fromWire(wire, m, err)) << wire;
    EXPECT_NE(err.find("must be a reason name with a count"), std::string::npos)
        << wire << ": " << err;
  }
}

}  // namespace
}  // namespace isogate::mgmt
