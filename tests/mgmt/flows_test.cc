// `isogatectl flows` on the mgmt side: the flow snapshot datagrams (encoding, splitting
// into parts, strict decoding of bad datagrams with precise errors), their reassembly in
// FlowStore (a lost part never yields a half table), and the `flows` command (no snapshot,
// stale snapshot, the table as JSON, auditor refused, human table).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mgmt/control_service.h"
#include "mgmt/ctl/ctl_output.h"
#include "mgmt/event_wire.h"
#include "mgmt/flow_store.h"
#include "mgmt/intake.h"
#include "mgmt/event_sender.h"
#include "tests/mgmt/service_fixture.h"

namespace isogate::mgmt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;
using ojson = nlohmann::ordered_json;

FlowRecord flow(int i) {
  FlowRecord f;
  f.family = 4;
  f.proto = 6;
  f.src = "10.20.1." + std::to_string(i % 250 + 1);
  f.sport = static_cast<uint16_t>(40000 + i);
  f.dst = "172.16.30.10";
  f.dport = 443;
  f.fromZone = "extranet";
  f.toZone = "portal";
  f.rule = "publish-content";
  f.state = "established";
  f.timeoutS = 431999;
  return f;
}

FlowSnapshot snapshot(size_t n, uint64_t total) {
  FlowSnapshot s;
  s.timeMs = 1795687200000;
  s.backend = "nftables";
  s.total = total;
  for (size_t i = 0; i < n; ++i) s.flows.push_back(flow(static_cast<int>(i)));
  return s;
}

bool decode(const std::string& d, WireMessage& m, std::string& err) { return fromWire(d, m, err); }

TEST(FlowWire, RoundTripsOneSmallSnapshotInOneDatagram) {
  FlowSnapshot s = snapshot(2, 2);
  s.flows[1].family = 6;
  s.flows[1].proto = 58;
  s.flows[1].src = "fd20::5";
  s.flows[1].dst = "fd30::10";
  s.flows[1].sport = s.flows[1].dport = 0;
  s.flows[1].rule = "";
  s.flows[1].state = "replied";
  s.flows[1].packets = 7;
  s.flows[1].bytes = 560;
  auto parts = toWireParts(s, 42);
  ASSERT_EQ(parts.size(), 1u);
  WireMessage m;
  std::string err;
  ASSERT_TRUE(decode(parts[0], m, err)) << err;
  ASSERT_EQ(m.kind, WireMessage::Kind::Flows);
  EXPECT_EQ(m.flows.snapshot, 42u);
  EXPECT_EQ(m.flows.part, 0u);
  EXPECT_EQ(m.flows.parts, 1u);
  EXPECT_EQ(m.flows.data.backend, "nftables");
  EXPECT_EQ(m.flows.data.timeMs, 1795687200000u);
  EXPECT_EQ(m.flows.data.total, 2u);
  ASSERT_EQ(m.flows.data.flows.size(), 2u);
  const FlowRecord& a = m.flows.data.flows[0];
  EXPECT_EQ(a.src, "10.20.1.1");
  EXPECT_EQ(a.sport, 40000);
  EXPECT_EQ(a.dst, "172.16.30.10");
  EXPECT_EQ(a.dport, 443);
  EXPECT_EQ(a.fromZone, "extranet");
  EXPECT_EQ(a.toZone, "portal");
  EXPECT_EQ(a.rule, "publish-content");
  EXPECT_EQ(a.state, "established");
  EXPECT_EQ(a.timeoutS, 431999u);
  EXPECT_FALSE(a.packets);
  const FlowRecord& b = m.flows.data.flows[1];
  EXPECT_EQ(b.family, 6);
  EXPECT_EQ(b.proto, 58);
  EXPECT_EQ(b.src, "fd20::5");
  EXPECT_EQ(b.packets, 7u);
  EXPECT_EQ(b.bytes, 560u);
}

TEST(FlowWire, AThousandLongFlowsSplitIntoPartsUnderTheDatagramLimitAndTheRestIsCounted) {
  FlowSnapshot s = snapshot(1200, 5000);
  for (auto& f : s.flows) {
    f.fromZone = std::string(64, 'z');
    f.rule = std::string(128, 'r');
  }
  auto parts = toWireParts(s, 7);
  ASSERT_GT(parts.size(), 1u);
  FlowStore store;
  size_t flows = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_LE(parts[i].size(), kMaxWireDatagram);
    WireMessage m;
    std::string err;
    ASSERT_TRUE(decode(parts[i], m, err)) << err;
    EXPECT_EQ(m.flows.part, i);
    EXPECT_EQ(m.flows.parts, parts.size());
    flows += m.flows.data.flows.size();
    EXPECT_EQ(store.accept(std::move(m.flows), system_clock::time_point{}), i + 1 == parts.size());
  }
  EXPECT_EQ(flows, kMaxSnapshotFlows);  // 1200 given, 1000 sent
  ASSERT_TRUE(store.latest());
  EXPECT_EQ(store.latest()->snapshot.flows.size(), kMaxSnapshotFlows);
  EXPECT_EQ(store.latest()->snapshot.total, 5000u);
}

TEST(FlowWire, EmptyTableIsOneValidDatagram) {
  auto parts = toWireParts(snapshot(0, 0), 1);
  ASSERT_EQ(parts.size(), 1u);
  WireMessage m;
  std::string err;
  ASSERT_TRUE(decode(parts[0], m, err)) << err;
  EXPECT_TRUE(m.flows.data.flows.empty());
}

TEST(FlowWire, BadDatagramsAreRefusedWithPreciseErrors) {
  const std::string head =
      R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","snapshot":3,"part":0,"parts":1,"total":1,"flows":[)";
  const std::string good =
      R"({"family":4,"proto":6,"src":"10.0.0.1","sport":1,"dst":"10.0.0.2","dport":2,"from_zone":"a","to_zone":"b","rule":"","state":"established","timeout_s":5})";
  auto with = [&](const std::string& from, const std::string& to) {
    std::string f = good;
    f.replace(f.find(from), from.size(), to);
    return head + f + "]}";
  };
  struct Case {
    std::string datagram, error;
  };
  const std::vector<Case> cases = {
      {with(R"("family":4)", R"("family":5)"), "flows[0]: key 'family': expected 4 or 6"},
      {with(R"("src":"10.0.0.1")", R"("src":"10.0.0.x")"),
       "flows[0]: key 'src': '10.0.0.x' is not an IPv4 address"},
      {with(R"("dst":"10.0.0.2")", R"("dst":"fd00::2")"),
       "flows[0]: key 'dst': 'fd00::2' is not an IPv4 address"},
      {with(R"("sport":1)", R"("sport":65536)"), "flows[0]: key 'sport': 65536 is above 65535"},
      {with(R"("proto":6)", R"("proto":256)"), "flows[0]: key 'proto': 256 is above 255"},
      {with(R"("proto":6)", R"("proto":-6)"),
       "flows[0]: key 'proto': expected a non-negative integer"},
      {with(R"("from_zone":"a")", R"("from_zone":"")"),
       "flows[0]: zone name empty, too long or has control characters"},
      {with(R"("state":"established")", R"("state":"ESTAB")"),
       "flows[0]: key 'state': expected 1-24 of [a-z-]"},
      {with(R"("timeout_s":5)", R"("timeout_s":5,"owner":"x")"), "flows[0]: unknown key 'owner'"},
      {with(R"("timeout_s":5)", R"("timeout_s":5,"packets":"many")"),
       "flows[0]: key 'packets': expected a non-negative integer"},
      {with(R"(,"timeout_s":5)", ""), "flows[0]: missing key 'timeout_s'"},
      {head + "7]}", "flows[0]: expected an object"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","snapshot":3,"part":2,"parts":2,"total":0,"flows":[]})",
       "key 'part': 2 is not below parts (2)"},
      {R"({"v":1,"kind":"flows","time_ms":17956000000001,"backend":"dpdk","snapshot":3,"part":0,"parts":1,)"
       R"("total":0,"flows":[]})",
       "key 'time_ms': out of range"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","snapshot":3,"part":0,"parts":0,"total":0,"flows":[]})",
       "key 'parts': expected 1 to 64"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","snapshot":3,"part":0,"parts":1,"total":0,"flows":{}})",
       "key 'flows': expected an array of at most 1000"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","snapshot":3,"part":0,"parts":1,"total":0,"flows":[)" +
           good + "]}",
       "key 'total': 0 is below the flows sent (1)"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"","snapshot":3,"part":0,"parts":1,"total":0,"flows":[]})",
       "key 'backend': empty, too long or has control characters"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","part":0,"parts":1,"total":0,"flows":[]})",
       "missing key 'snapshot'"},
      {R"({"v":1,"kind":"flows","time_ms":1,"backend":"dpdk","snapshot":3,"part":0,"parts":1,"total":0,"flows":[],"x":1})",
       "unknown key 'x'"},
  };
  WireMessage ok;
  std::string err;
  ASSERT_TRUE(decode(head + good + "]}", ok, err)) << err;  // the base case is valid
  for (const auto& c : cases) {
    WireMessage m;
    err.clear();
    EXPECT_FALSE(decode(c.datagram, m, err)) << c.datagram;
    EXPECT_EQ(err, c.error) << c.datagram;
  }
  // A thousand and one flows: too big for a datagram, and refused by the part decoder
  // itself before any is decoded.
  std::string big = head;
  for (int i = 0; i <= 1000; ++i) big += (i ? "," : "") + good;
  big += "]}";
  err.clear();
  WireMessage m;
  EXPECT_FALSE(decode(big, m, err));
  EXPECT_EQ(err, "datagram larger than 65536 bytes");
  FlowSnapshotPart p;
  err.clear();
  EXPECT_FALSE(decodeFlowsPart(nlohmann::json::parse(big), p, err));
  EXPECT_EQ(err, "key 'flows': expected an array of at most 1000");
}

FlowSnapshotPart part(uint64_t id, uint32_t p, uint32_t parts, int flowIndex) {
  FlowSnapshotPart x;
  x.snapshot = id;
  x.part = p;
  x.parts = parts;
  x.data = snapshot(0, 10);
  x.data.flows.push_back(flow(flowIndex));
  return x;
}

TEST(FlowStore, ALostPartAbandonsTheSnapshotAndKeepsThePreviousOne) {
  FlowStore store;
  const system_clock::time_point t1{seconds(100)}, t2{seconds(102)};
  EXPECT_FALSE(store.accept(part(1, 0, 2, 1), t1));
  EXPECT_TRUE(store.accept(part(1, 1, 2, 2), t1));
  ASSERT_TRUE(store.latest());
  EXPECT_EQ(store.latest()->snapshot.flows.size(), 2u);
  // Snapshot 2 loses its middle part: never served.
  EXPECT_FALSE(store.accept(part(2, 0, 3, 3), t2));
  EXPECT_FALSE(store.accept(part(2, 2, 3, 5), t2));
  EXPECT_EQ(store.abandoned(), 1u);
  EXPECT_EQ(store.latest()->receivedAt, t1);
  EXPECT_EQ(store.latest()->snapshot.flows[1].sport, 40002);
  // Snapshot 3 loses its first part: its second is a stray.
  EXPECT_FALSE(store.accept(part(3, 1, 2, 6), t2));
  EXPECT_EQ(store.abandoned(), 2u);
  // A part of another snapshot in the middle of one.
  EXPECT_FALSE(store.accept(part(4, 0, 2, 7), t2));
  EXPECT_FALSE(store.accept(part(5, 1, 2, 8), t2));
  EXPECT_EQ(store.latest()->receivedAt, t1);
  EXPECT_TRUE(store.accept(part(6, 0, 1, 9), t2));
  EXPECT_EQ(store.latest()->receivedAt, t2);
  EXPECT_EQ(store.latest()->snapshot.flows.size(), 1u);
  EXPECT_EQ(store.completed(), 2u);
}

TEST(FlowStore, SnapshotsTravelOverTheIntakeSocket) {
  const std::string path = ::testing::TempDir() + "/flows-intake-" + std::to_string(::getpid());
  Intake intake;
  std::string err;
  ASSERT_TRUE(intake.open(path, 0600, err)) << err;
  EventSender sender(path);
  ASSERT_TRUE(sender.sendFlows(snapshot(1500, 1500)));
  FlowStore store;
  intake.drain([&](WireMessage& m) {
    ASSERT_EQ(m.kind, WireMessage::Kind::Flows);
    store.accept(std::move(m.flows), system_clock::time_point{});
  });
  EXPECT_GT(intake.stats().flows, 1u);  // 1000 flows take more than one datagram
  EXPECT_EQ(intake.stats().stats, 0u);
  EXPECT_EQ(intake.stats().malformed, 0u);
  ASSERT_TRUE(store.latest());
  EXPECT_EQ(store.latest()->snapshot.flows.size(), 1000u);
  EXPECT_EQ(store.latest()->snapshot.total, 1500u);
  EXPECT_EQ(sender.dropped(), 0u);
}

class FlowsCommandTest : public testing::ControlServiceFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(startControl(
        "flows",
        [](const std::string&) {
          PolicyCheck c;
          c.ok = true;
          c.digest = "sha256:" + std::string(64, 'a');
          c.name = "one";
          return c;
        },
        [](std::string&) { return true; }));
    service_->setFlowStore(&store_);
  }

  ojson call(const std::string& user, const std::string& group, system_clock::time_point now) {
    PeerIdentity p;
    p.uid = 1234;
    p.user = user;
    p.groups = {group};
    return ojson::parse(service_->handle(p, R"({"cmd":"flows"})", now));
  }
  void receive(const FlowSnapshot& s, system_clock::time_point at) {
    for (const auto& d : toWireParts(s, ++ids_)) {
      WireMessage m;
      std::string err;
      ASSERT_TRUE(fromWire(d, m, err)) << err;
      store_.accept(std::move(m.flows), at);
    }
  }

  uint64_t ids_ = 0;
  const system_clock::time_point t0_{seconds(1795687200)};
  FlowStore store_;
};

TEST_F(FlowsCommandTest, NoSnapshotYetIsUnavailableAndAudited) {
  ojson r = call("alice", "isogate-officer", t0_);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "unavailable");
  EXPECT_EQ(r["error"]["message"],
            "flows: no flow table from the gateway yet (isogate-gw sends one every 2 s when it "
            "runs with --mgmt-socket; is it running?)");
  ojson a = audit_->tail(1).at(0);
  EXPECT_EQ(a["action"], "flows");
  EXPECT_EQ(a["result"], "error");
}

TEST_F(FlowsCommandTest, ReturnsTheLatestTableWithItsAgeUntilItIsStale) {
  FlowSnapshot s = snapshot(1, 3);
  s.flows[0].packets = 12;
  s.flows[0].bytes = 3400;
  receive(s, t0_);
  ojson r = call("alice", "isogate-officer", t0_ + seconds(3));
  ASSERT_EQ(r["ok"], true) << r.dump();
  const ojson& res = r["result"];
  EXPECT_EQ(res["backend"], "nftables");
  EXPECT_EQ(res["taken_at"], "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(res["age_s"], 3);
  EXPECT_EQ(res["total"], 3);
  EXPECT_EQ(res["returned"], 1);
  EXPECT_EQ(res["truncated"], true);
  ASSERT_EQ(res["flows"].size(), 1u);
  EXPECT_EQ(res["flows"][0].dump(),
            R"({"family":"ipv4","proto":"tcp","src":"10.20.1.1","sport":40000,"dst":"172.16.30.10","dport":443,"from_zone":"extranet","to_zone":"portal","rule":"publish-content","state":"established","timeout_s":431999,"packets":12,"bytes":3400})");
  EXPECT_EQ(audit_->tail(1).at(0)["details"]["returned"], 1);

  // The human table of isogatectl.
  std::string text = ctl::renderHuman(Command::Flows, res);
  EXPECT_EQ(text,
            "backend nftables, table taken 2026-11-26T10:00:00.000Z (3 s ago): 1 of 3 flows (the "
            "gateway sends at most 1)\n"
            "PROTO  SOURCE           DESTINATION       ZONES             RULE             STATE    "
            "    TIMEOUT  PACKETS  BYTES\n"
            "tcp    10.20.1.1:40000  172.16.30.10:443  extranet->portal  publish-content  "
            "established  431999   12       3400\n")
      << text;

  ojson stale = call("root", "root", t0_ + seconds(11));
  EXPECT_EQ(stale["error"]["code"], "unavailable");
  EXPECT_EQ(stale["error"]["message"],
            "flows: the gateway's last flow table is 11 s old (it sends one every 2 s; is "
            "isogate-gw running?)");
  // A fresh one makes it available again.
  receive(snapshot(0, 0), t0_ + seconds(12));
  ojson fresh = call("root", "root", t0_ + seconds(12));
  ASSERT_EQ(fresh["ok"], true);
  EXPECT_EQ(fresh["result"]["flows"].size(), 0u);
  EXPECT_EQ(fresh["result"]["truncated"], false);
  EXPECT_EQ(ctl::renderHuman(Command::Flows, fresh["result"]),
            "backend nftables, table taken 2026-11-26T10:00:00.000Z (0 s ago): 0 of 0 flows\n");
}

TEST_F(FlowsCommandTest, AuditorIsRefusedFlows) {
  receive(snapshot(1, 1), t0_);
  ojson r = call("carol", "isogate-audit", t0_);
  EXPECT_EQ(r["error"]["code"], "forbidden");
  EXPECT_EQ(r["error"]["message"], "'flows' is not allowed for carol (role auditor)");
}

TEST(FlowsHuman, Ipv6EndpointsAreBracketedAndIcmpHasNoPorts) {
  ojson r = ojson::parse(
      R"({"backend":"dpdk","taken_at":"T","age_s":0,"total":2,"returned":2,"truncated":false,"flows":[{"family":"ipv6","proto":"icmpv6","src":"fd20::5","sport":0,"dst":"fd30::1","dport":0,"from_zone":"a","to_zone":"b","rule":"r","state":"replied","timeout_s":29,"packets":null,"bytes":null},{"family":"ipv6","proto":"tcp","src":"fd20::5","sport":1,"dst":"fd30::1","dport":22,"from_zone":"a","to_zone":"b","rule":"","state":"syn-sent","timeout_s":120,"packets":null,"bytes":null}]})");
  std::string text = ctl::renderHuman(Command::Flows, r);
  EXPECT_NE(text.find("icmpv6  fd20::5      fd30::1       a->b   r     replied   29 "), std::string::npos)
      << text;
  EXPECT_NE(text.find("tcp     [fd20::5]:1  [fd30::1]:22  a->b   -     syn-sent  120 "), std::string::npos)
      << text;
}

}  // namespace
}  // namespace isogate::mgmt
