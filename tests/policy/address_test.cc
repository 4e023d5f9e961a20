#include "policy/address.h"

#include <gtest/gtest.h>

namespace isogate::policy {
namespace {

TEST(AddressTest, ParsesV4AndV6Prefixes) {
  auto p = parsePrefix("10.20.0.0/16");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->family, Family::V4);
  EXPECT_EQ(toString(*p), "10.20.0.0/16");
  EXPECT_TRUE(p->contains(*parseAddress("10.20.255.1")));
  EXPECT_FALSE(p->contains(*parseAddress("10.21.0.1")));
  auto q = parsePrefix("fd10::/48");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->family, Family::V6);
  EXPECT_TRUE(q->contains(*parseAddress("fd10:0:0:ffff::1")));
  EXPECT_FALSE(q->contains(*parseAddress("10.20.0.1")));
}

TEST(AddressTest, BareAddressIsHostPrefix) {
  EXPECT_EQ(parsePrefix("172.16.30.10")->length, 32);
  EXPECT_EQ(parsePrefix("::1")->length, 128);
}

TEST(AddressTest, RejectsHostBitsWithSuggestion) {
  std::string why;
  EXPECT_FALSE(parsePrefix("10.20.1.5/16", &why));
  EXPECT_EQ(why, "host bits set; did you mean 10.20.0.0/16?");
}

TEST(AddressTest, RejectsBadLengthAndText) {
  std::string why;
  EXPECT_FALSE(parsePrefix("10.0.0.0/33", &why));
  EXPECT_EQ(why, "prefix length must be 0..32");
  EXPECT_FALSE(parsePrefix("10.0.0.0/", &why));
  EXPECT_FALSE(parsePrefix("10.0.0.0/1x", &why));
  EXPECT_FALSE(parsePrefix("300.0.0.0/8", &why));
  EXPECT_EQ(why, "not an IPv4 or IPv6 address");
  EXPECT_FALSE(parsePrefix("", &why));
}

TEST(AddressTest, LastAndOverlap) {
  auto p = *parsePrefix("10.0.0.0/8");
  EXPECT_EQ(toString(IpAddress{Family::V4, p.last()}), "10.255.255.255");
  EXPECT_TRUE(p.overlaps(*parsePrefix("10.1.0.0/16")));
  EXPECT_FALSE(p.overlaps(*parsePrefix("11.0.0.0/8")));
  auto all6 = wholeFamily(Family::V6);
  EXPECT_EQ(all6.last(), ~U128{0});
}

}  // namespace
}  // namespace isogate::policy
