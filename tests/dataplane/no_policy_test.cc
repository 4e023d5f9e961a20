// A gateway with no policy yet (its first one rejected) forwards nothing and
// answers nothing but ARP and neighbour solicitations for its own addresses, as a
// kernel router does: hosts must be able to resolve their router before the
// policy arrives, or their neighbour entries fail and traffic sent right after the
// policy loads gets EHOSTUNREACH.
#include <gtest/gtest.h>

#include <cstring>

#include "dataplane/wire.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

using namespace wire;

constexpr uint16_t kExt = 0, kPortal = 1, kTap = 3;
const uint8_t kExtMac[6] = {2, 0, 0, 0, 0, 1};

TEST(NoPolicyTest, AnswersNeighbourSolicitationsAndArpForOwnAddresses) {
  Harness h(Harness::NoPolicy{});
  ASSERT_EQ(h.dp().generation(), 0u);
  const Outcome na = h.send(kExt, neighbourSolicit("fd20::5", "fd20::1", kHostMac));
  ASSERT_EQ(na.port, kExt) << "dropped as " << dropReasonName(na.reason);
  ASSERT_EQ(na.frame.size(), 14u + 40 + 32);
  EXPECT_EQ(std::memcmp(na.frame.data(), kHostMac, 6), 0);
  EXPECT_EQ(na.frame[14 + 40], 136) << "a neighbour advertisement";
  EXPECT_TRUE(rd128(na.frame.data() + 14 + 40 + 8) == policy::parseAddress("fd20::1")->value);
  EXPECT_EQ(std::memcmp(na.frame.data() + 14 + 40 + 26, kExtMac, 6), 0);
  const Outcome arp = h.send(kExt, arpFrame(1, kHostMac, "10.20.5.5", "10.20.0.1", kGwMac));
  ASSERT_EQ(arp.port, kExt) << "dropped as " << dropReasonName(arp.reason);
  EXPECT_EQ(rd16(arp.frame.data() + 20), 2) << "an ARP reply";
  EXPECT_EQ(h.dp().totals().answered, 2u);
  EXPECT_TRUE(na.records.empty() && arp.records.empty());
  // The askers are learned: once a policy is in, replies to them need no resolution.
  MacAddress mac;
  EXPECT_TRUE(h.dp().neighbours().lookup(true, policy::parseAddress("fd20::5")->value, h.now(),
                                         ~0ull, &mac));
  EXPECT_TRUE(h.dp().neighbours().lookup(false, 0x0a140505u, h.now(), ~0ull, &mac));
}

TEST(NoPolicyTest, EverythingElseIsDroppedAsNoPolicy) {
  Harness h(Harness::NoPolicy{});
  h.learnHosts({"172.16.30.10", "fd30::10"});
  // Traffic every policy of the tests allows, to a resolved neighbour: dropped, no ARP/NS sent.
  for (const Bytes& f : {Pkt::tcp("10.20.5.5", "172.16.30.10", 40000, 22).frame(),
                         Pkt::tcp("fd20::5", "fd30::10", 40000, 22).frame(),
                         Pkt::tcp("10.20.5.5", "172.16.30.99", 40000, 22).frame()}) {
    const Outcome o = h.send(kExt, f);
    EXPECT_EQ(o.port, -1);
    EXPECT_EQ(o.reason, DropReason::NoPolicy);
    EXPECT_TRUE(o.records.empty());
  }
  // Echo requests to the gateway itself, and solicitations for someone else's address.
  EXPECT_EQ(h.send(kExt, Pkt::icmp("10.20.5.5", "10.20.0.1", 8).frame()).reason,
            DropReason::NoPolicy);
  EXPECT_EQ(h.send(kExt, Pkt::icmp("fd20::5", "fd20::1", 128).frame()).reason,
            DropReason::NoPolicy);
  const Outcome other = h.send(kExt, neighbourSolicit("fd20::5", "fd20::7", kHostMac));
  EXPECT_EQ(other.port, -1);
  // The gateway's address asked on the wrong port.
  EXPECT_EQ(h.send(kPortal, arpFrame(1, kHostMac, "172.16.30.9", "10.20.0.1", kGwMac)).port, -1);
  // A monitor port never answers, policy or not.
  const Outcome tap = h.send(kTap, arpFrame(1, kHostMac, "10.10.1.5", "10.20.0.1", kGwMac));
  EXPECT_EQ(tap.port, -1);
  EXPECT_EQ(tap.reason, DropReason::NoPolicy);
  EXPECT_EQ(h.send(kTap, neighbourSolicit("fd10::5", "fd20::1", kHostMac)).port, -1);
  EXPECT_EQ(h.dp().totals().answered, 0u);
  EXPECT_EQ(h.dp().totals().forwarded, 0u);
}

}  // namespace
}  // namespace isogate::dataplane::test
