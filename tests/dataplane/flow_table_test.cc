// The connection table's own hash table (dataplane/flow_table.h): every key inserted is found
// by lookup() and lookupBulk() until it is erased, never after; a full table refuses new keys
// but returns existing ones; positions stay put while other keys come and go; iteration and
// the expiry sweep see exactly the live keys. Small tables filled to the brim, many times with
// fresh random seeds, so overflow chains of extension buckets are built and emptied too.
#include <gtest/gtest.h>
#include <rte_memory.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "dataplane/flow_table.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane {
namespace {

FlowKey keyOf(uint32_t n) {
  FlowKey k;
  bool lo;
  makeFlowKey(false, 17, 0xc6120000u + n, 0xac101e0au, static_cast<uint16_t>(1024 + n % 7), 5000,
              &k, &lo);
  return k;
}

// An IPv4 key's three words that can be nonzero (bytes 0, 16 and 32).
Ipv4KeyWords wordsOf(const FlowKey& k) {
  Ipv4KeyWords w;
  std::memcpy(&w.lo, reinterpret_cast<const unsigned char*>(&k), 8);
  std::memcpy(&w.hi, reinterpret_cast<const unsigned char*>(&k) + 16, 8);
  std::memcpy(&w.rest, reinterpret_cast<const unsigned char*>(&k) + 32, 8);
  return w;
}

// Checks the table holds exactly `live` (key number -> position), by single and bulk lookups,
// that absent keys are not found, and that iteration sees each live key once.
void expectExactly(const FlowTable& t, const std::map<uint32_t, int32_t>& live, uint32_t universe) {
  ASSERT_EQ(t.size(), live.size());
  std::vector<FlowKey> keys;
  std::vector<uint32_t> numbers;
  for (uint32_t n = 0; n < universe; ++n) {
    const auto it = live.find(n);
    const int32_t want = it == live.end() ? -1 : it->second;
    ASSERT_EQ(t.lookup(keyOf(n)), want) << "key " << n;
    keys.push_back(keyOf(n));
    numbers.push_back(n);
  }
  for (size_t start = 0; start < keys.size(); start += kBurstSize) {
    const uint32_t count = static_cast<uint32_t>(std::min<size_t>(kBurstSize, keys.size() - start));
    const FlowKey* ptrs[kBurstSize];
    int32_t pos[kBurstSize];
    for (uint32_t k = 0; k < count; ++k) ptrs[k] = &keys[start + k];
    t.lookupBulk(ptrs, count, pos);
    for (uint32_t k = 0; k < count; ++k) {
      const auto it = live.find(numbers[start + k]);
      ASSERT_EQ(pos[k], it == live.end() ? -1 : it->second) << "bulk, key " << numbers[start + k];
    }
    // The fast lane's IPv4 way: the probed slot's key compared, -1 when it is another key's
    // (the key may then be further down the chain, or absent), never a wrong position.
    for (uint32_t k = 0; k < count; ++k) {
      const uint32_t slot = t.probeSlot(t.hashOf(keys[start + k]));
      const int32_t m = t.matchIpv4(slot, wordsOf(keys[start + k]));
      if (m >= 0) {
        ASSERT_EQ(m, pos[k]) << "matchIpv4, key " << numbers[start + k];
      } else if (pos[k] >= 0) {
        ASSERT_NE(slot, static_cast<uint32_t>(pos[k]))
            << "matchIpv4 missed the key in the probed slot, key " << numbers[start + k];
      }
    }
  }
  std::set<int32_t> seen;
  t.forEach([&](const FlowKey& key, const FlowEntry&) {
    const int32_t p = t.lookup(key);
    EXPECT_GE(p, 0);
    EXPECT_TRUE(seen.insert(p).second);
  });
  EXPECT_EQ(seen.size(), live.size());
}

TEST(FlowTableTest, TheLanesIpv4MatchFindsKeysInTheirProbedSlotAndNeverAnIpv6Key) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);
  FlowTable t;
  std::string error;
  ASSERT_TRUE(t.init("ft-test-ipv4-match", 4096, SOCKET_ID_ANY, &error)) << error;
  // A lightly loaded table: every key sits in the first way its signature matches.
  std::map<uint32_t, int32_t> at;
  for (uint32_t n = 0; n < 200; ++n) at[n] = t.insert(keyOf(n));
  for (const auto& [n, p] : at) {
    ASSERT_GE(p, 0);
    EXPECT_EQ(t.matchIpv4(t.probeSlot(t.hashOf(keyOf(n))), wordsOf(keyOf(n))), p) << n;
  }
  EXPECT_EQ(t.matchIpv4(t.probeSlot(t.hashOf(keyOf(999))), wordsOf(keyOf(999))), -1);
  // An IPv6 key whose words 0, 2 and 4 equal an IPv4 key's but for the family: words 1 and 3
  // are not compared, and the family tells them apart.
  FlowKey v6;
  bool lo;
  makeFlowKey(true, 17, wire::U128{0xc6120001u} << 96 | 7, wire::U128{0xac101e0au} << 96 | 9, 1024,
              5000, &v6, &lo);
  const int32_t p6 = t.insert(v6);
  ASSERT_GE(p6, 0);
  const uint32_t slot6 = t.probeSlot(t.hashOf(v6));
  ASSERT_EQ(slot6, static_cast<uint32_t>(p6));
  Ipv4KeyWords asV4 = wordsOf(v6);
  asV4.rest = (asV4.rest & ~(uint64_t{0xff} << 40)) | uint64_t{4} << 40;
  EXPECT_EQ(t.matchIpv4(slot6, asV4), -1);
}

TEST(FlowTableTest, FillEraseRefillKeepsEveryKeyFindable) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);  // the EAL is up (and the harness linked in)
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    FlowTable t;
    std::string error;
    ASSERT_TRUE(t.init("ft-test", 64, SOCKET_ID_ANY, &error)) << error;
    ASSERT_EQ(t.capacity(), 64u);
    std::map<uint32_t, int32_t> live;
    for (uint32_t n = 0; n < 64; ++n) {
      const int32_t p = t.insert(keyOf(n));
      ASSERT_GE(p, 0);
      t.entry(p).rule = n;
      live[n] = p;
    }
    // Full: a new key is refused, an existing one still answers with its position.
    EXPECT_EQ(t.insert(keyOf(64)), -1);
    EXPECT_EQ(t.insert(keyOf(5)), live[5]);
    expectExactly(t, live, 80);
    // Erase a random half (and one absent key: nothing happens), then check again.
    std::vector<uint32_t> order(64);
    for (uint32_t n = 0; n < 64; ++n) order[n] = n;
    std::shuffle(order.begin(), order.end(), rng);
    t.erase(keyOf(70));
    for (int k = 0; k < 32; ++k) {
      t.erase(keyOf(order[k]));
      live.erase(order[k]);
    }
    expectExactly(t, live, 80);
    for (const auto& [n, p] : live) ASSERT_EQ(t.entry(p).rule, n);  // positions did not move
    // Refill with other keys up to the brim.
    for (uint32_t n = 100; live.size() < 64; ++n) {
      const int32_t p = t.insert(keyOf(n));
      ASSERT_GE(p, 0);
      live[n] = p;
    }
    EXPECT_EQ(t.insert(keyOf(1000)), -1);
    expectExactly(t, live, 140);
  }
}

// The fast lane keeps probes across bursts only while changes() stays put: every insert of a
// new key and every erase of a present one must move it (an erased key's slot is reused, so
// an old probe could name another flow's slot); lookups and no-op calls must not.
TEST(FlowTableTest, ChangesCountsEveryInsertAndEraseThatChangesTheTable) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);
  FlowTable t;
  std::string error;
  ASSERT_TRUE(t.init("ft-test-changes", 8, SOCKET_ID_ANY, &error)) << error;
  uint64_t c = t.changes();
  const int32_t p = t.insert(keyOf(1));
  ASSERT_GE(p, 0);
  EXPECT_GT(t.changes(), c);
  c = t.changes();
  EXPECT_EQ(t.insert(keyOf(1)), p);  // already there
  EXPECT_EQ(t.lookup(keyOf(1)), p);
  (void)t.probeSlot(t.hashOf(keyOf(1)));
  t.erase(keyOf(2));  // absent
  EXPECT_EQ(t.changes(), c);
  t.erase(keyOf(1));
  EXPECT_GT(t.changes(), c);
  c = t.changes();
  for (uint32_t n = 10; n < 18; ++n) ASSERT_GE(t.insert(keyOf(n)), 0);
  EXPECT_EQ(t.insert(keyOf(99)), -1);  // full: refused, nothing changed by it
  const uint64_t full = t.changes();
  EXPECT_EQ(full, c + 8);
  EXPECT_EQ(t.insert(keyOf(100)), -1);
  EXPECT_EQ(t.changes(), full);
  ASSERT_TRUE(t.init("ft-test-changes", 8, SOCKET_ID_ANY, &error)) << error;  // emptied
  EXPECT_GT(t.changes(), full);
}

TEST(FlowTableTest, ExpirySweepRemovesExactlyTheExpired) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);
  FlowTable t;
  std::string error;
  ASSERT_TRUE(t.init("ft-test-expire", 1000, SOCKET_ID_ANY, &error)) << error;
  std::map<uint32_t, int32_t> live;
  for (uint32_t n = 0; n < 1000; ++n) {
    const int32_t p = t.insert(keyOf(n));
    ASSERT_GE(p, 0);
    t.entry(p).expires = n % 3 == 0 ? 100 : 1000;
    if (n % 3 != 0) live[n] = p;
  }
  uint32_t removed = 0;
  for (int call = 0; call < 20; ++call) removed += t.expire(500, 128);  // budget per call
  EXPECT_EQ(removed, 334u);
  expectExactly(t, live, 1000);
}

// A sparse table: one call reads a bounded stretch of slots, not the whole table to find its
// entries, and the sweep still reaches the last slot and wraps around.
TEST(FlowTableTest, ExpirySweepOfASparseTableReadsABoundedStretchPerCall) {
  ASSERT_NE(test::EalEnvironment::pool(), nullptr);
  FlowTable t;
  std::string error;
  constexpr uint32_t kCapacity = 20000;
  ASSERT_TRUE(t.init("ft-test-sparse", kCapacity, SOCKET_ID_ANY, &error)) << error;
  // Slots are handed out in ascending order: fill them all, keep the last one only.
  for (uint32_t n = 0; n < kCapacity; ++n) ASSERT_EQ(t.insert(keyOf(n)), static_cast<int32_t>(n));
  for (uint32_t n = 0; n + 1 < kCapacity; ++n) t.erase(keyOf(n));
  ASSERT_EQ(t.size(), 1u);
  t.entry(static_cast<int32_t>(kCapacity - 1)).expires = 100;
  constexpr uint32_t kBudget = 4;
  const uint32_t stretch = kBudget * FlowTable::kSweepSlotsPerEntry;
  const uint32_t callsToReachIt = (kCapacity - 1) / stretch + 1;
  uint32_t calls = 0;
  while (calls + 1 < callsToReachIt) {
    ASSERT_EQ(t.expire(500, kBudget), 0u) << "call " << calls;
    ++calls;
  }
  EXPECT_EQ(t.expire(500, kBudget), 1u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup(keyOf(kCapacity - 1)), -1);
  // The sweep wraps around: a new entry (in the slot freed last, the table's last again) is
  // reached once more within a full round of calls.
  const int32_t p = t.insert(keyOf(1));
  ASSERT_GE(p, 0);
  t.entry(p).expires = 100;
  uint32_t removed = 0;
  for (uint32_t c = 0; c < callsToReachIt + 1 && removed == 0; ++c)
    removed += t.expire(500, kBudget);
  EXPECT_EQ(removed, 1u);
}

// The key's bytes: each end's address in network byte order (IPv4: 4 bytes, then 12 zero
// bytes), the lower (address, port) end first, then the two ports (host order), protocol,
// family and two zero bytes. The flow export reads the addresses as such bytes
// (gateway/dpdk_flows.cc), and both directions of a flow must give the very same 40 bytes
// (hashed and compared whole), padding included.
TEST(FlowTableTest, KeyBytesAreTheDocumentedLayout) {
  FlowKey k;
  bool srcIsLo = true;
  // 198.51.100.7:40000 -> 172.16.30.10:443: the destination is the lower end.
  makeFlowKey(false, 6, 0xc6336407u, 0xac101e0au, 40000, 443, &k, &srcIsLo);
  EXPECT_FALSE(srcIsLo);
  const uint8_t want4[40] = {172, 16, 30, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             198, 51, 100, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             0xbb, 0x01, 0x40, 0x9c, 6, 4, 0, 0};
  EXPECT_EQ(std::memcmp(&k, want4, 40), 0);
  EXPECT_EQ(k.portLo, 443);
  EXPECT_EQ(k.portHi, 40000);
  FlowKey reply;
  makeFlowKey(false, 6, 0xac101e0au, 0xc6336407u, 443, 40000, &reply, &srcIsLo);
  EXPECT_TRUE(srcIsLo);
  EXPECT_EQ(std::memcmp(&k, &reply, sizeof k), 0);
  // 2001:db8::1 port 53 -> 2001:db8::2 port 5353 (UDP): the source is the lower end.
  const U128 a = (U128{0x20010db800000000ull} << 64) | 1, b = (U128{0x20010db800000000ull} << 64) | 2;
  makeFlowKey(true, 17, a, b, 53, 5353, &k, &srcIsLo);
  EXPECT_TRUE(srcIsLo);
  const uint8_t want6[40] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                             0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
                             53, 0, 0xe9, 0x14, 17, 6, 0, 0};
  EXPECT_EQ(std::memcmp(&k, want6, 40), 0);
  // Same addresses: the lower port decides.
  makeFlowKey(false, 17, 0x0a000001u, 0x0a000001u, 9, 7, &k, &srcIsLo);
  EXPECT_FALSE(srcIsLo);
  EXPECT_EQ(k.portLo, 7);
  EXPECT_EQ(k.portHi, 9);
}

// A packet must never meet another flow's state: keys differing in any one bit of any of the
// 40 bytes (pad included, which makeFlowKey zeroes) are different keys.
TEST(FlowTableTest, KeysDifferingInAnyBitAreDifferent) {
  const FlowKey a = keyOf(7);
  FlowKey same = keyOf(7);
  EXPECT_TRUE(sameFlowKey(a, same));
  for (size_t byte = 0; byte < sizeof(FlowKey); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      FlowKey b = a;
      reinterpret_cast<unsigned char*>(&b)[byte] ^= static_cast<unsigned char>(1u << bit);
      EXPECT_FALSE(sameFlowKey(a, b)) << "byte " << byte << " bit " << bit;
      EXPECT_FALSE(sameFlowKey(b, a)) << "byte " << byte << " bit " << bit;
    }
  }
}

}  // namespace
}  // namespace isogate::dataplane
