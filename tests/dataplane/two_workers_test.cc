// Two workers, each with its own connection table, fed the way a NIC with the
// gateway's symmetric RSS key feeds them (hash of the packet, modulo the queue
// count): both directions of every flow meet the same worker and so the same
// state, and replies pass. A reply that reached the other worker would meet no
// state and be dropped, which is why the key must be symmetric.
#include <gtest/gtest.h>
#include <rte_thash.h>

#include <set>
#include <vector>

#include "dataplane/symmetric_rss.h"
#include "tests/dataplane/harness.h"

namespace isogate::dataplane::test {
namespace {

constexpr uint16_t kExt = 0, kPortal = 1, kInet = 2;
constexpr uint8_t kSyn = 0x02, kSynAck = 0x12, kAck = 0x10;
constexpr unsigned kWorkers = 2;

// One direction of a flow: where it comes in, what it looks like, how a NIC hashes it.
struct Leg {
  uint16_t port;
  Bytes frame;
  bool v6;
  std::string src, dst;
  bool withPorts;
  uint16_t sport, dport;
};
struct FlowCase {
  std::string what;
  Leg first, reply;
};

uint32_t hashOf(const Leg& l, const uint8_t* key) {
  uint32_t t[RTE_THASH_V6_L4_LEN];
  uint32_t n = 0;
  const int words = l.v6 ? 4 : 1;
  const U128 s = policy::parseAddress(l.src)->value, d = policy::parseAddress(l.dst)->value;
  for (int i = words - 1; i >= 0; --i) t[n++] = static_cast<uint32_t>(s >> (32 * i));
  for (int i = words - 1; i >= 0; --i) t[n++] = static_cast<uint32_t>(d >> (32 * i));
  if (l.withPorts) t[n++] = uint32_t{l.sport} << 16 | l.dport;
  return rte_softrss(t, n, key);
}

unsigned workerOf(const Leg& l) {
  const U128 s = policy::parseAddress(l.src)->value, d = policy::parseAddress(l.dst)->value;
  return symmetricRssHash(l.v6, s, d, l.withPorts, l.sport, l.dport) % kWorkers;
}

Leg tcp(uint16_t port, const std::string& s, const std::string& d, uint16_t sp, uint16_t dp,
        uint8_t flags) {
  return {
      port, Pkt::tcp(s, d, sp, dp, flags).frame(), s.find(':') != std::string::npos, s, d, true, sp,
      dp};
}
Leg udp(uint16_t port, const std::string& s, const std::string& d, uint16_t sp, uint16_t dp) {
  return {port, Pkt::udp(s, d, sp, dp).frame(), s.find(':') != std::string::npos, s, d, true, sp,
          dp};
}
Leg echo(uint16_t port, const std::string& s, const std::string& d, uint8_t type, uint16_t id) {
  const bool v6 = s.find(':') != std::string::npos;
  return {port, Pkt::icmp(s, d, type, id).frame(), v6, s, d, false, 0, 0};
}

// Flows every direction of which the test policy allows: first packet and its reply.
std::vector<FlowCase> flows() {
  std::vector<FlowCase> out;
  for (uint16_t i = 0; i < 24; ++i) {
    const uint16_t sp = static_cast<uint16_t>(40000 + 37 * i);
    const std::string client = "198.51.100." + std::to_string(1 + i);
    out.push_back({"internet " + client + " -> portal https",
                   tcp(kInet, client, "172.16.30.10", sp, 443, kSyn),
                   tcp(kPortal, "172.16.30.10", client, 443, sp, kSynAck)});
    out.push_back({"extranet -> portal ssh v6, port " + std::to_string(sp),
                   tcp(kExt, "fd20::5", "fd30::10", sp, 22, kSyn),
                   tcp(kPortal, "fd30::10", "fd20::5", 22, sp, kSynAck)});
    out.push_back({"extranet -> internet dns, port " + std::to_string(sp),
                   udp(kExt, "10.20.5.5", "203.0.113.1", sp, 53),
                   udp(kInet, "203.0.113.1", "10.20.5.5", 53, sp)});
  }
  for (uint16_t i = 0; i < 8; ++i) {
    const std::string host = "10.20.5." + std::to_string(5 + i);
    out.push_back({"extranet " + host + " -> portal ping", echo(kExt, host, "172.16.30.10", 8, i),
                   echo(kPortal, "172.16.30.10", host, 0, i)});
  }
  return out;
}

Harness twoWorkers() {
  DataplaneConfig c = testConfig();
  c.workers = kWorkers;
  return Harness(kTestPolicy, c);
}

void learn(Harness& h) {
  std::vector<std::string> hosts = {"172.16.30.10", "fd30::10", "fd20::5", "2001:db8:1::1",
                                    "203.0.113.1"};
  for (int i = 0; i < 8; ++i) hosts.push_back("10.20.5." + std::to_string(5 + i));
  h.learnHosts(hosts);  // the internet clients are reached via 203.0.113.1
}

TEST(TwoWorkersTest, BothDirectionsOfEveryFlowMeetTheSameWorkerAndRepliesPass) {
  Harness h = twoWorkers();
  ASSERT_EQ(h.dp().workerCount(), kWorkers);
  learn(h);
  std::set<unsigned> used;
  for (const FlowCase& f : flows()) {
    const unsigned w = workerOf(f.first);
    ASSERT_EQ(workerOf(f.reply), w) << f.what << ": the reply hashes to the other queue";
    used.insert(w);
    const Outcome first = h.sendOn(w, f.first.port, f.first.frame);
    ASSERT_TRUE(first.forwarded()) << f.what << ": " << dropReasonName(first.reason);
    const Outcome reply = h.sendOn(w, f.reply.port, f.reply.frame);
    EXPECT_TRUE(reply.forwarded()) << f.what << ": reply " << dropReasonName(reply.reason);
  }
  EXPECT_EQ(used.size(), kWorkers) << "the flows are spread over both workers";
  uint64_t flowsPerWorker[kWorkers] = {};
  for (unsigned w = 0; w < kWorkers; ++w)
    flowsPerWorker[w] = h.dp().worker(w).counters().flowsCreated.load();
  EXPECT_GT(flowsPerWorker[0], 0u);
  EXPECT_GT(flowsPerWorker[1], 0u);
  EXPECT_EQ(flowsPerWorker[0] + flowsPerWorker[1], flows().size());
}

TEST(TwoWorkersTest, AReplyOnTheOtherWorkerMeetsNoState) {
  Harness h = twoWorkers();
  learn(h);
  const FlowCase f = flows().front();
  const unsigned w = workerOf(f.first);
  ASSERT_TRUE(h.sendOn(w, f.first.port, f.first.frame).forwarded());
  const Outcome stray = h.sendOn(1 - w, f.reply.port, f.reply.frame);
  EXPECT_FALSE(stray.forwarded()) << "each worker owns its connection table";
  EXPECT_EQ(stray.reason, DropReason::LogicalIsolation);  // portal -> internet https: no rule
  EXPECT_TRUE(h.sendOn(w, f.reply.port, f.reply.frame).forwarded());
}

TEST(TwoWorkersTest, TheSymmetryComesFromTheKey) {
  // The software hash is the NIC's Toeplitz hash with the gateway's key ...
  uint8_t plain[40];
  for (int i = 0; i < 40; ++i) plain[i] = static_cast<uint8_t>(i * 29 + 3);
  unsigned split = 0;
  for (const FlowCase& f : flows()) {
    EXPECT_EQ(hashOf(f.first, kSymmetricRssKey), hashOf(f.reply, kSymmetricRssKey)) << f.what;
    const U128 s = policy::parseAddress(f.first.src)->value;
    const U128 d = policy::parseAddress(f.first.dst)->value;
    EXPECT_EQ(symmetricRssHash(f.first.v6, s, d, f.first.withPorts, f.first.sport, f.first.dport),
              hashOf(f.first, kSymmetricRssKey));
    // ... and with an ordinary key the two directions part ways.
    if (hashOf(f.first, plain) % kWorkers != hashOf(f.reply, plain) % kWorkers) ++split;
  }
  EXPECT_GT(split, 0u);
}

}  // namespace
}  // namespace isogate::dataplane::test
