// The fast lane (dataplane/fast_lane.h) may change speed, never decisions. Two
// data planes, one with the lane and one without, are fed the same seeded
// streams of bursts (flows opened and used both ways, IPv4 and IPv6, packets the
// lane must refuse, expiries, reloads, neighbours that go stale) and must
// transmit the same bytes on the same ports and count, report and remember the
// same after every burst; the lane must really have forwarded a good share of
// the bursts. tests/dataplane/fast_lane_test.cc checks single packets.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/dataplane/fast_lane_frames.h"

namespace isogate::dataplane::test {
namespace {

// The test policy and a few rules more: portal -> extranet sync, internet -> extranet denied,
// IPv6 out of the extranet. Intra-zone traffic of the extranet is allowed by default.
const std::string kPolicyV1 = std::string(kTestPolicy) + R"(  - name: portal-sync
    from: portal
    to: {zone: extranet, networks: [10.20.5.0/24]}
    services: [{tcp: ["1000-2000"]}, {udp: [123]}]
    action: allow
  - name: internet-in
    from: internet
    to: extranet
    action: deny
  - name: ext6-out
    from: {zone: extranet, networks: ["fd20::/64"]}
    to: internet
    action: allow
)";

// The reload: DNS, IPv6-out and portal-sync are gone and extranet intra-zone traffic is denied
// (those flows are cut at their next packet), the other flows are re-checked and stay, and a
// new rule appears. (Port zones may not be physically isolated from each other.)
const char* const kPolicyV2 = R"(version: 1
name: dataplane-test-v2
zones:
  intranet:
    level: classified
    networks: [10.10.0.0/16, "fd10::/48"]
  extranet:
    level: internal
    networks: [10.20.0.0/16, "fd20::/48"]
    intra_zone: deny
  portal:
    level: public
    networks: [172.16.30.0/24, "fd30::/48"]
  internet:
    level: public
    networks: [any]
isolation:
  default: physical
  pairs:
    - zones: [extranet, portal]
      mode: logical
    - zones: [extranet, internet]
      mode: logical
    - zones: [portal, internet]
      mode: logical
services:
  https: {tcp: [443]}
  ssh: {tcp: [22]}
  ping: {icmp: [echo-request]}
  ping6: {icmpv6: [echo-request]}
rules:
  - name: browse-portal
    from: internet
    to: portal
    services: [https]
    action: allow
  - name: no-ssh-from-lab
    from: {zone: extranet, networks: [10.20.9.0/24]}
    to: portal
    services: [ssh]
    action: deny
  - name: admin-portal
    from: extranet
    to: portal
    services: [ssh, ping, ping6, https]
    action: allow
    log: true
  - name: portal-alt-web
    from: internet
    to: portal
    services: [{tcp: [8443]}]
    action: allow
)";

// Hosts with a MAC the harness teaches the neighbour table (the internet through 203.0.113.1).
const std::vector<std::string> kExtHosts = {"10.20.5.5", "10.20.5.6",  "10.20.5.7",  "10.20.5.8",
                                            "10.20.5.9", "10.20.5.10", "10.20.5.11", "10.20.5.12",
                                            "10.20.6.7", "10.20.6.8",  "fd20::5",    "fd20::6"};
const std::vector<std::string> kPortalHosts = {"172.16.30.10", "172.16.30.11", "fd30::10"};
const std::vector<std::string> kInetHosts = {"203.0.113.1", "2001:db8:1::1"};
const char* const kOwn[3] = {"10.20.0.1", "172.16.30.1", "203.0.113.2"};  // per port

bool isV6(const std::string& a) { return a.find(':') != std::string::npos; }

// --- the generator's model of the flows it opened ---

enum class Kind {
  PortalWeb,  // internet client -> portal https (browse-portal)
  Admin,      // extranet -> portal ssh / https (admin-portal, logged)
  DnsUdp,     // extranet -> internet dns (ext-dns)
  DnsTcp,
  SyncTcp,   // portal -> extranet 1000-2000 (portal-sync)
  SyncUdp,   // portal -> extranet 123
  IntraUdp,  // extranet -> extranet (intra-zone default allow)
  IntraTcp,
  Out6Udp,  // fd20::/64 -> internet (ext6-out)
  Out6Tcp,
  Admin6,  // fd20::5 -> fd30::10 ssh
};

bool allowedIn(Kind k, int version) {
  switch (k) {
    case Kind::PortalWeb:
    case Kind::Admin:
    case Kind::Admin6:
      return true;
    default:
      return version != 2;
  }
}
// Flows v2 cuts at their next packet.
bool cutByV2(Kind k) { return !allowedIn(k, 2); }

struct Flow {
  Kind kind;
  uint8_t proto;
  std::string client, server;
  uint16_t clientPort, serverPort;  // ingress ports of the two ends
  uint16_t cport, sport;
  int stage = 0;  // 0 nothing sent, 1 SYN, 2 SYN-ACK, 3 established, 4 FIN seen, 5 RST seen
  uint8_t fins = 0;
  bool replied = false;
  bool dead = false;  // expired, cut or closed as far as the model knows: no longer used
  double last = 0;    // simulated second of its last packet
  bool v6() const { return isV6(client); }
  double timeout() const {
    if (proto == 17) return replied ? 180 : 30;
    return stage == 3 ? 7200 : stage == 4 ? 120 : stage == 5 ? 10 : 30;
  }
};

// One burst to send: the frames, what each is (for failure messages), and whether it is a
// packet the lane must refuse (its whole chunk of 32 must then go through the pipeline).
struct Plan {
  uint16_t port = 0;
  std::vector<Bytes> frames;
  std::vector<std::string> labels;
  std::vector<bool> refuses;
  void add(Bytes f, std::string label, bool mustRefuse) {
    insert(frames.size(), std::move(f), std::move(label), mustRefuse);
  }
  void insert(size_t at, Bytes f, std::string label, bool mustRefuse) {
    const auto off = static_cast<long>(at);
    frames.insert(frames.begin() + off, std::move(f));
    labels.insert(labels.begin() + off, std::move(label));
    refuses.insert(refuses.begin() + off, mustRefuse);
  }
  void insert(size_t at, const Plan& v) {
    const auto off = static_cast<long>(at);
    frames.insert(frames.begin() + off, v.frames.begin(), v.frames.end());
    labels.insert(labels.begin() + off, v.labels.begin(), v.labels.end());
    refuses.insert(refuses.begin() + off, v.refuses.begin(), v.refuses.end());
  }
  // Chunks (of kBurstSize, as the worker cuts them) without a packet the lane must refuse.
  uint64_t chunksTheLaneMayTake() const {
    uint64_t n = 0;
    for (size_t c = 0; c < frames.size(); c += kBurstSize) {
      bool refuse = false;
      for (size_t i = c; i < std::min(frames.size(), c + kBurstSize); ++i) refuse |= refuses[i];
      n += !refuse;
    }
    return n;
  }
};

class FastLaneEquivalenceTest : public ::testing::TestWithParam<unsigned> {
 protected:
  FastLaneEquivalenceTest()
      : lane_(kPolicyV1, configWithLane(true)),
        pipe_(kPolicyV1, configWithLane(false)),
        rng_(GetParam()) {}

  // --- randomness ---
  size_t pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool chance(unsigned percent) { return rng_() % 100 < percent; }
  template <class T>
  const T& oneOf(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

  // --- both data planes, the same way ---
  void advance(double seconds) {
    lane_.advanceSeconds(seconds);
    pipe_.advanceSeconds(seconds);
    sim_ += seconds;
    if (seconds > 10) justExpired_.clear();
    for (size_t i = 0; i < flows_.size(); ++i) {
      Flow& f = flows_[i];
      if (f.dead || sim_ - f.last <= f.timeout() - 1) continue;
      f.dead = true;
      // Certainly expired in the table too: the model refreshes a flow at least as late and
      // gives it at least as long as the data plane does, except in the closing states.
      if (!f.v6() && sim_ - f.last > f.timeout() + 1 && (f.proto == 17 || f.stage < 4)) {
        justExpired_.push_back(i);
      }
    }
  }
  void learnAll() {
    std::vector<std::string> all = kExtHosts;
    all.insert(all.end(), kPortalHosts.begin(), kPortalHosts.end());
    all.insert(all.end(), kInetHosts.begin(), kInetHosts.end());
    lane_.learnHosts(all);
    pipe_.learnHosts(all);
  }
  void reload(int version) {
    const auto compiled = compileOrDie(version == 2 ? std::string(kPolicyV2) : kPolicyV1);
    std::string error;
    ASSERT_TRUE(lane_.dp().installPolicy(compiled, {0, 600}, &error)) << error;
    ASSERT_TRUE(pipe_.dp().installPolicy(compiled, {0, 600}, &error)) << error;
    version_ = version;
    justCut_.clear();
    for (size_t i = 0; i < flows_.size(); ++i) {
      Flow& f = flows_[i];
      if (version == 2 && cutByV2(f.kind)) {
        if (alive(f) || (!f.dead && f.stage == 3)) justCut_.push_back(i);
        f.dead = true;
      }
      if (f.stage < 3 && !allowedIn(f.kind, version)) f.dead = true;
    }
  }
  void sweep() {
    lane_.dp().worker(0).expireFlows(lane_.now(), 300);
    pipe_.dp().worker(0).expireFlows(pipe_.now(), 300);
  }

  // --- flows ---
  Flow makeFlow(Kind kind, uint8_t proto, const std::string& c, uint16_t cp, const std::string& s,
                uint16_t sp, uint16_t dport) {
    Flow f{kind, proto, c, s, cp, sp, nextPort_++, dport};
    f.last = sim_;
    return f;
  }
  // A new allowed flow whose client is behind `port`.
  Flow newFlow(uint16_t port) {
    const size_t r = pick(100);
    const std::string ext = "10.20.5." + std::to_string(5 + pick(8));
    const std::string portal = pick(2) ? "172.16.30.10" : "172.16.30.11";
    if (port == kExt) {
      if (r < 30) return makeFlow(Kind::Admin, 6, ext, kExt, portal, kPortal, pick(2) ? 22 : 443);
      const std::string dns = pick(2) ? "198.51.100.53" : "203.0.113.1";
      if (r < 50) return makeFlow(Kind::DnsUdp, 17, ext, kExt, dns, kInet, 53);
      if (r < 58) return makeFlow(Kind::DnsTcp, 6, ext, kExt, dns, kInet, 53);
      const std::string peer = "10.20.6." + std::to_string(7 + pick(2));
      const uint16_t peerPort = static_cast<uint16_t>(5000 + pick(100));
      if (r < 70) return makeFlow(Kind::IntraUdp, 17, ext, kExt, peer, kExt, peerPort);
      if (r < 78) return makeFlow(Kind::IntraTcp, 6, ext, kExt, peer, kExt, peerPort);
      const std::string c6 = pick(2) ? "fd20::5" : "fd20::6";
      const std::string s6 = pick(2) ? "2001:db8:99::1" : "2001:db8:99::2";
      const uint16_t p6 = static_cast<uint16_t>(8000 + pick(50));
      if (r < 87) return makeFlow(Kind::Out6Udp, 17, c6, kExt, s6, kInet, p6);
      if (r < 93) return makeFlow(Kind::Out6Tcp, 6, c6, kExt, s6, kInet, p6);
      return makeFlow(Kind::Admin6, 6, c6, kExt, "fd30::10", kPortal, 22);
    }
    if (port == kPortal) {
      if (r < 60)
        return makeFlow(Kind::SyncTcp, 6, portal, kPortal, ext, kExt,
                        static_cast<uint16_t>(1000 + pick(1001)));
      return makeFlow(Kind::SyncUdp, 17, portal, kPortal, ext, kExt, 123);
    }
    const std::string client = "198.51.100." + std::to_string(1 + pick(40));
    return makeFlow(Kind::PortalWeb, 6, client, kInet, portal, kPortal, 443);
  }
  bool alive(const Flow& f) const {
    return !f.dead && (f.stage == 3 || f.stage == 4) && allowedIn(f.kind, version_);
  }
  static bool touches(const Flow& f, uint16_t port) {
    return f.clientPort == port || f.serverPort == port;
  }
  std::vector<size_t> select(const std::function<bool(const Flow&)>& want) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < flows_.size(); ++i) {
      if (want(flows_[i])) out.push_back(i);
    }
    return out;
  }
  std::vector<size_t> usable(uint16_t port, bool v4Only) const {
    return select(
        [&](const Flow& f) { return alive(f) && touches(f, port) && !(v4Only && f.v6()); });
  }
  // Which end of f sends from `port` (true: the server).
  bool sideOn(const Flow& f, uint16_t port) {
    if (f.clientPort == port && f.serverPort == port) return pick(2) == 1;
    return f.serverPort == port;
  }
  Pkt basePkt(const Flow& f, bool fromServer, uint8_t flags) const {
    const std::string& s = fromServer ? f.server : f.client;
    const std::string& d = fromServer ? f.client : f.server;
    const uint16_t sp = fromServer ? f.sport : f.cport, dp = fromServer ? f.cport : f.sport;
    return f.proto == 6 ? Pkt::tcp(s, d, sp, dp, flags) : Pkt::udp(s, d, sp, dp);
  }
  std::string label(const Flow& f, bool fromServer, const char* what) const {
    const std::string& s = fromServer ? f.server : f.client;
    const std::string& d = fromServer ? f.client : f.server;
    const uint16_t sp = fromServer ? f.sport : f.cport, dp = fromServer ? f.cport : f.sport;
    return std::string(what) + (f.proto == 6 ? " tcp " : " udp ") + s + ":" + std::to_string(sp) +
           " -> " + d + ":" + std::to_string(dp);
  }
  void touch(Flow& f, bool fromServer) {
    f.last = sim_;
    if (fromServer) f.replied = true;
  }
  // A data packet of f the lane may take (IPv4): ACK / PSH / URG, any payload, any TTL above 1,
  // DF, TCP options, Ethernet padding.
  Bytes plain(Flow& f, bool fromServer, std::string* what) {
    static const uint8_t kFlags[] = {
        kAck, kAck, kAck | kPsh, kAck | kPsh, kAck | kUrg, kAck | kPsh | 0x40, kAck | 0x80, kUrg};
    const uint8_t flags = kFlags[pick(std::size(kFlags))];
    Pkt p = basePkt(f, fromServer, flags);
    p.payload(chance(10) ? 600 + pick(800) : pick(200));
    if (chance(20)) p.ttl(static_cast<uint8_t>(2 + pick(254)));
    if (f.v6() && chance(20)) p.ext(60);
    Bytes fr = p.frame();
    if (!f.v6()) {
      if (chance(30)) setFragFlags(fr, 0x40);
      if (f.proto == 6 && chance(10)) addTcpOptions(fr);
    }
    if (chance(20) && fr.size() < 60) fr.resize(60, 0);
    if (f.proto == 6 && f.stage == 4 && f.fins == 3) f.stage = 5;  // the last ACK closes it
    touch(f, fromServer);
    *what = label(f, fromServer, "data");
    return fr;
  }
  void fill(Plan& plan, const std::vector<size_t>& from, size_t n) {
    for (size_t k = 0; k < n && !from.empty(); ++k) {
      Flow& f = flows_[oneOf(from)];
      const bool side = sideOn(f, plan.port);
      std::string what;
      Bytes fr = plain(f, side, &what);
      plan.add(std::move(fr), what, f.v6());
    }
  }
  // The next handshake packet of f if its sender is behind the plan's port.
  void step(Flow& f, Plan& plan) {
    if (f.dead || f.stage >= 3 || plan.frames.size() >= kBurstSize) return;
    const bool fromServer = f.stage == 1;
    if ((fromServer ? f.serverPort : f.clientPort) != plan.port) return;
    if (f.proto == 17) {
      plan.add(basePkt(f, false, 0).payload(pick(100)).frame(), label(f, false, "first"), true);
      f.stage = 3;
    } else {
      static const uint8_t kSteps[] = {kSyn, kSyn | kAck, kAck};
      static const char* const kNames[] = {"SYN", "SYN-ACK", "handshake ACK"};
      plan.add(basePkt(f, fromServer, kSteps[f.stage]).frame(),
               label(f, fromServer, kNames[f.stage]), f.stage < 2);
      ++f.stage;
    }
    touch(f, fromServer);
  }

  // --- bursts ---
  uint16_t randomPort() {
    const size_t r = pick(10);
    return r < 4 ? kExt : r < 7 ? kPortal : kInet;
  }
  size_t burstSize() {
    if (chance(4)) return 33 + pick(32);               // two chunks
    if (chance(4)) return 65 + pick(kLaneDepth - 64);  // up to the lane's look-ahead
    return chance(50) ? 24 + pick(9) : 1 + pick(32);
  }
  Plan opening(uint16_t port) {
    Plan plan;
    plan.port = port;
    const size_t open = select([](const Flow& f) { return !f.dead; }).size();
    if (open < 80) {
      for (size_t k = 1 + pick(6); k > 0; --k) flows_.push_back(newFlow(port));
    }
    for (Flow& f : flows_) step(f, plan);
    fill(plan, usable(port, false), pick(kBurstSize - plan.frames.size() + 1));
    if (plan.frames.empty()) variation(plan);
    return plan;
  }
  // Up to kLaneDepth packets: a first chunk that opens flows, resets or ends some and relearns
  // neighbours (the pipeline's), then chunks of data that depend on it (the lane's: it prepares
  // them all before the first chunk is judged, and must look each chunk up after the one before).
  Plan longMixed(uint16_t port) {
    Plan plan;
    plan.port = port;
    if (select([](const Flow& f) { return !f.dead; }).size() < 100) {
      for (size_t k = 2 + pick(6); k > 0; --k) flows_.push_back(newFlow(port));
    }
    for (Flow& f : flows_) step(f, plan);
    for (size_t k = 1 + pick(3); k > 0; --k) variation(plan);
    const size_t room = kLaneDepth - std::min<size_t>(plan.frames.size(), kLaneDepth);
    fill(plan, usable(port, !chance(20)), std::min<size_t>(room, 32 + pick(kLaneDepth - 32)));
    // Sometimes a packet the lane must refuse in a later chunk too (in the same slot of its
    // chunk as an eligible one of the first, or not).
    if (plan.frames.size() > kBurstSize && chance(80)) {
      for (size_t k = 1 + pick(3); k > 0; --k) variation(plan, kBurstSize);
    }
    return plan;
  }
  Plan clean(uint16_t port, const std::vector<size_t>& from) {
    Plan plan;
    plan.port = port;
    fill(plan, from, burstSize());
    return plan;
  }
  Plan dirty(uint16_t port) {
    Plan plan;
    plan.port = port;
    fill(plan, usable(port, !chance(30)), pick(kBurstSize - 3));
    // Mostly one: then that packet alone has to make the lane refuse the burst.
    for (size_t k = chance(60) ? 1 : 2 + pick(2); k > 0; --k) variation(plan);
    return plan;
  }
  // A burst on the monitor port or a port the data plane does not have: never the lane's.
  Plan elsewhere() {
    Plan plan;
    plan.port = chance(50) ? kTap : kNoSuchPort;
    const auto from = select([&](const Flow& f) { return alive(f) && !f.v6(); });
    for (size_t k = 1 + pick(kBurstSize); k > 0 && !from.empty(); --k) {
      Flow& f = flows_[oneOf(from)];
      std::string what;
      Bytes fr = plain(f, chance(50), &what);
      plan.add(std::move(fr), what, true);
    }
    if (plan.frames.empty())
      plan.add(Pkt::udp("10.20.5.5", "172.16.30.10", 1, 2).frame(), "udp", true);
    return plan;
  }
  Plan nextPlan() {
    if (chance(3)) return elsewhere();
    const uint16_t port = randomPort();
    const auto v4 = usable(port, true);
    const size_t r = pick(100);
    if (r < 12 || v4.size() < 3) return opening(port);
    if (r < 20) return longMixed(port);
    if (r < 67) return clean(port, v4);
    return dirty(port);
  }
  // Right after a reload or a long wait: IPv4 data of flows the reload cut or the wait expired
  // (each alone makes the lane refuse the burst), or, when there are none behind `port`, of
  // flows the new policy has to re-check (the lane refuses those too).
  // Each gone flow is used once: its packet may open it again (a UDP flow the policy allows), and
  // then its other end's packet would be the lane's.
  Plan aftermath(uint16_t port, std::vector<size_t>& gone) {
    Plan plan;
    plan.port = port;
    const auto data = usable(port, true);
    fill(plan, data, pick(kBurstSize / 2));
    std::vector<size_t> left;
    for (size_t i : gone) {
      Flow& f = flows_[i];
      if (!touches(f, port) || f.v6() || plan.frames.size() >= kBurstSize) {
        left.push_back(i);
        continue;
      }
      const bool side = sideOn(f, port);
      plan.insert(pick(plan.frames.size() + 1), basePkt(f, side, kAck).payload(pick(64)).frame(),
                  label(f, side, "data of a flow just gone"), true);
    }
    gone = left;
    if (plan.frames.empty()) variation(plan);
    return plan;
  }
  // ARP replies and neighbour advertisements from every host behind `port` (after the
  // neighbours went stale), some with a new MAC.
  Plan relearn(uint16_t port) {
    Plan plan;
    plan.port = port;
    const auto& hosts = port == kExt ? kExtHosts : port == kPortal ? kPortalHosts : kInetHosts;
    for (const auto& h : hosts) {
      const uint8_t mac[6] = {0x02, 0, 0, 0, 0, static_cast<uint8_t>(0x10 + pick(3))};
      if (isV6(h)) {
        plan.add(neighbourAdvert(h, h, mac), "neighbour advert " + h, true);
      } else {
        plan.add(arpFrame(2, mac, h, kOwn[port], kGwMac), "arp reply " + h, true);
      }
    }
    return plan;
  }

  // Adds, at a random place of the plan, one packet (or a few) that tests a check of the lane.
  void variation(Plan& plan, size_t from = 0) {
    Plan v;
    v.port = plan.port;
    const uint16_t port = plan.port;
    const auto mine4 = usable(port, true);
    const auto tcp4 = select(
        [&](const Flow& f) { return alive(f) && touches(f, port) && !f.v6() && f.proto == 6; });
    std::string what;
    switch (mine4.empty() ? 9 : pick(23)) {
      case 0: {  // from a host behind another port: spoofed source / isolation breach
        const auto other = select([&](const Flow& f) {
          return alive(f) && !(f.clientPort == port && f.serverPort == port);
        });
        if (other.empty()) break;
        Flow& f = flows_[oneOf(other)];
        const bool side = f.clientPort == port ? true : f.serverPort == port ? false : chance(50);
        Bytes fr = plain(f, side, &what);
        v.add(std::move(fr), "wrong ingress port: " + what, true);
        break;
      }
      case 1: {  // TTL 1 or 0
        Flow& f = flows_[oneOf(mine4)];
        const bool side = sideOn(f, port);
        v.add(basePkt(f, side, kAck).ttl(static_cast<uint8_t>(pick(2))).payload(20).frame(),
              label(f, side, "ttl<=1"), true);
        touch(f, side);  // the flow stage saw it before forwarding dropped it
        break;
      }
      case 2: {  // bad IPv4 header checksum
        Flow& f = flows_[oneOf(mine4)];
        const bool side = sideOn(f, port);
        Bytes fr = basePkt(f, side, kAck).payload(30).frame();
        fr[14 + 11] ^= 0x5a;
        v.add(std::move(fr), label(f, side, "bad checksum"), true);
        break;
      }
      case 3: {  // IPv4 options: harmless NOPs, or source routing (refused by the parser)
        Flow& f = flows_[oneOf(mine4)];
        const bool side = sideOn(f, port);
        const bool lsrr = chance(30);
        v.add(basePkt(f, side, kAck)
                  .ipOptions(lsrr ? Bytes{131, 7, 4, 10, 20, 5, 5, 0} : Bytes{1, 1, 1, 0})
                  .payload(10)
                  .frame(),
              label(f, side, lsrr ? "ip options lsrr" : "ip options nop"), true);
        if (!lsrr) touch(f, side);
        break;
      }
      case 4: {  // a VLAN tag (forwarded untagged)
        Flow& f = flows_[oneOf(mine4)];
        const bool side = sideOn(f, port);
        v.add(
            basePkt(f, side, kAck).vlan(static_cast<uint16_t>(1 + pick(4000))).payload(40).frame(),
            label(f, side, "vlan"), true);
        touch(f, side);
        break;
      }
      case 5: {  // a fragmented datagram: first fragment, the rest, and an orphan
        Flow& f = flows_[oneOf(mine4)];
        const bool side = sideOn(f, port);
        const uint32_t id = 1000 + (nextFrag_++ % 60000);
        v.add(basePkt(f, side, kAck).payload(48).frag(0, true, id).frame(),
              label(f, side, "first fragment"), true);
        const std::string& s = side ? f.server : f.client;
        const std::string& d = side ? f.client : f.server;
        Pkt rest = f.proto == 6 ? Pkt::tcp(s, d, 1, 1) : Pkt::udp(s, d, 1, 1);
        if (chance(70)) v.add(rest.payload(16).frag(7, false, id).frame(), "later fragment", true);
        if (chance(30)) {
          Pkt orphan = Pkt::udp(s, d, 1, 1);
          v.add(orphan.payload(16).frag(7, false, id + 3).frame(), "orphan fragment", true);
        }
        touch(f, side);
        break;
      }
      case 6: {  // FIN
        if (tcp4.empty()) break;
        Flow& f = flows_[oneOf(tcp4)];
        const bool side = sideOn(f, port);
        v.add(basePkt(f, side, kFin | kAck).frame(), label(f, side, "FIN"), true);
        f.fins |= side ? 2 : 1;
        f.stage = 4;
        touch(f, side);
        break;
      }
      case 7: {  // RST
        if (tcp4.empty()) break;
        Flow& f = flows_[oneOf(tcp4)];
        const bool side = sideOn(f, port);
        v.add(basePkt(f, side, chance(50) ? kRst : kRst | kAck).frame(), label(f, side, "RST"),
              true);
        f.stage = 5;
        f.dead = true;
        break;
      }
      case 8: {  // a SYN: restarts a closing / closed flow, or is a packet of an open one
        const auto closed = select([&](const Flow& f) {
          return f.proto == 6 && !f.v6() && f.clientPort == port &&
                 (f.stage == 4 || f.stage == 5) && sim_ - f.last < f.timeout() - 1 &&
                 allowedIn(f.kind, version_);
        });
        if (!closed.empty()) {
          Flow& f = flows_[oneOf(closed)];
          v.add(basePkt(f, false, kSyn).frame(), label(f, false, "SYN on a closed flow"), true);
          f.stage = 1;
          f.fins = 0;
          f.dead = false;
          touch(f, false);
        } else if (!tcp4.empty()) {
          Flow& f = flows_[oneOf(tcp4)];
          v.add(basePkt(f, false, kSyn).frame(), label(f, false, "SYN on an open flow"), true);
        }
        break;
      }
      case 9:
        break;    // an unknown flow, below
      case 10: {  // to the gateway itself: its own port's address (ping answered) or another's
        const char* src = port == kExt      ? "10.20.5.5"
                          : port == kPortal ? "172.16.30.10"
                                            : "198.51.100.7";
        const char* own = kOwn[pick(3)];
        const size_t r = pick(3);
        if (r == 0) {
          v.add(Pkt::icmp(src, kOwn[port], 8).frame(), std::string("ping ") + kOwn[port], true);
        } else if (r == 1) {
          v.add(Pkt::udp(src, own, nextUnknown_++, 53).frame(), std::string("udp to ") + own, true);
        } else {
          v.add(Pkt::tcp(src, own, nextUnknown_++, 22, kAck).frame(), std::string("tcp to ") + own,
                true);
        }
        break;
      }
      case 11: {  // IPv6 data
        const auto mine6 =
            select([&](const Flow& f) { return alive(f) && touches(f, port) && f.v6(); });
        if (mine6.empty()) {
          const char* src = port == kExt      ? "fd20::5"
                            : port == kPortal ? "fd30::10"
                                              : "2001:db8:99::7";
          v.add(Pkt::udp(src, "fd30::10", nextUnknown_++, 443).frame(), "udp6 unknown", true);
          break;
        }
        Flow& f = flows_[oneOf(mine6)];
        Bytes fr = plain(f, sideOn(f, port), &what);
        v.add(std::move(fr), what, true);
        break;
      }
      case 12: {  // ARP: a request for the gateway (answered) or a reply (learned, maybe a new MAC)
        const auto& hosts = port == kExt ? kExtHosts : port == kPortal ? kPortalHosts : kInetHosts;
        const std::string h = port == kInet ? hosts[0] : hosts[pick(2)];  // IPv4 ones
        const uint8_t mac[6] = {0x02, 0, 0, 0, 0, static_cast<uint8_t>(0x10 + pick(3))};
        const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        if (chance(50)) {
          v.add(arpFrame(1, mac, h, kOwn[port], bcast), "arp request from " + h, true);
        } else {
          v.add(arpFrame(2, mac, h, kOwn[port], kGwMac), "arp reply from " + h, true);
        }
        break;
      }
      case 13: {  // ICMP echo (a flow of its own, or a reply judged alone)
        if (port == kExt) {
          v.add(Pkt::icmp("10.20.5.5", "172.16.30.10", 8, static_cast<uint16_t>(pick(4))).frame(),
                "echo request", true);
        } else {
          v.add(Pkt::icmp(port == kPortal ? "172.16.30.10" : "198.51.100.7", "10.20.5.5", 0,
                          static_cast<uint16_t>(pick(4)))
                    .frame(),
                "echo reply", true);
        }
        break;
      }
      case 14: {  // truncated inside the headers
        Flow& f = flows_[oneOf(mine4)];
        Bytes fr = basePkt(f, sideOn(f, port), kAck).frame();
        fr.resize(14 + pick(20));
        v.add(std::move(fr), "truncated", true);
        break;
      }
      case 15:  // a source no host can have, a broadcast destination
        if (chance(50)) {
          v.add(Pkt::udp("224.1.1.1", "172.16.30.10", 5, 53).frame(), "multicast source", true);
        } else {
          v.add(Pkt::udp(port == kExt ? "10.20.5.5" : "172.16.30.10", "255.255.255.255", 68, 67)
                    .frame(),
                "broadcast", true);
        }
        break;
      case 16: {  // TCP flags the parser refuses: none, SYN+FIN
        if (tcp4.empty()) break;
        Flow& f = flows_[oneOf(tcp4)];
        const bool side = sideOn(f, port);
        const bool none = chance(50);
        v.add(basePkt(f, side, none ? 0 : kSyn | kFin).frame(),
              label(f, side, none ? "null scan" : "SYN+FIN"), true);
        break;
      }
      case 17: {  // a UDP length beyond the datagram, or the reserved IPv4 flag
        const auto udp4 = select([&](const Flow& f) {
          return alive(f) && touches(f, port) && !f.v6() && f.proto == 17;
        });
        const bool badLength = !udp4.empty() && chance(50);
        Flow& f = flows_[oneOf(badLength ? udp4 : mine4)];
        const bool side = sideOn(f, port);
        Bytes fr = basePkt(f, side, kAck).payload(20).frame();
        if (badLength) {
          wire::wr16(fr.data() + 34 + 4, static_cast<uint16_t>(wire::rd16(fr.data() + 34 + 4) + 8));
          v.add(std::move(fr), label(f, side, "udp length too long"), true);
        } else {
          setFragFlags(fr, 0x80);
          v.add(std::move(fr), label(f, side, "reserved flag"), true);
        }
        break;
      }
      case 18: {  // the first packet of a flow the policy denies
        if (port == kExt) {
          v.add(Pkt::tcp("10.20.9.5", "172.16.30.10", nextUnknown_++, 22, kSyn).frame(),
                "lab ssh (deny)", true);
        } else if (port == kPortal) {
          v.add(Pkt::tcp("172.16.30.11", "198.51.100.9", nextUnknown_++, 443, kSyn).frame(),
                "portal -> internet (no rule)", true);
        } else {
          v.add(Pkt::udp("198.51.100.3", "10.20.5.5", nextUnknown_++, 53).frame(),
                "internet -> extranet (deny)", true);
        }
        break;
      }
      case 19: {  // a flow the model believes gone (expired, cut, reset) or isolated by the policy
        const auto gone = select([&](const Flow& f) {
          return (f.dead || !allowedIn(f.kind, version_)) && f.stage >= 3 && touches(f, port);
        });
        if (gone.empty()) break;
        Flow& f = flows_[oneOf(gone)];
        const bool side = sideOn(f, port);
        v.add(basePkt(f, side, kAck).payload(10).frame(), label(f, side, "data of a gone flow"),
              false);
        break;
      }
      case 20: {  // TTL 2: still the lane's, leaves with TTL 1
        Flow& f = flows_[oneOf(mine4)];
        const bool side = sideOn(f, port);
        v.add(basePkt(f, side, kAck).ttl(2).payload(8).frame(), label(f, side, "ttl 2"), false);
        touch(f, side);
        break;
      }
      case 21:  // the intranet, behind the monitor port only: physically isolated
        if (chance(50)) {
          const char* src = port == kExt      ? "10.20.5.5"
                            : port == kPortal ? "172.16.30.10"
                                              : "198.51.100.7";
          v.add(Pkt::udp(src, "10.10.1.5", nextUnknown_++, 53).frame(), "to the intranet", true);
        } else {
          v.add(Pkt::udp("10.10.1.5", "172.16.30.10", nextUnknown_++, 443).frame(),
                "from the intranet", true);
        }
        break;
      default: {  // a duplicate of the plan's first packet (same flow twice in a burst)
        if (plan.frames.empty()) break;
        v.add(plan.frames.front(), "duplicate of " + plan.labels.front(), false);
        break;
      }
    }
    if (v.frames.empty()) {  // an unknown flow: fresh ports, so no entry can match
      const size_t r = pick(3);
      if (port == kExt) {
        v.add(r ? Pkt::tcp("10.20.5.5", "172.16.30.10", nextUnknown_++, 443, kAck).frame()
                : Pkt::udp("10.20.5.5", "198.51.100.53", nextUnknown_++, 53).frame(),
              "unknown flow", true);
      } else if (port == kPortal) {
        v.add(r ? Pkt::tcp("172.16.30.10", "10.20.5.6", nextUnknown_++, 1500, kAck).frame()
                : Pkt::udp("172.16.30.10", "10.20.5.6", nextUnknown_++, 123).frame(),
              "unknown flow", true);
      } else {
        v.add(r ? Pkt::tcp("198.51.100.77", "172.16.30.10", nextUnknown_++, 443, kAck).frame()
                : Pkt::udp("198.51.100.77", "172.16.30.10", nextUnknown_++, 443).frame(),
              "unknown flow", true);
      }
    }
    from = std::min(from, plan.frames.size());
    plan.insert(from + pick(plan.frames.size() - from + 1), v);
  }

  // --- what the two data planes show ---
  struct FlowRow {
    std::array<uint8_t, sizeof(FlowKey) + sizeof(FlowEntry)> bytes;
    bool operator<(const FlowRow& o) const { return bytes < o.bytes; }
    bool operator==(const FlowRow& o) const { return bytes == o.bytes; }
  };
  static std::vector<FlowRow> flowRows(Harness& h) {
    std::vector<FlowRow> rows;
    h.dp().worker(0).context().flows.forEach([&](const FlowKey& k, const FlowEntry& e) {
      FlowRow r;
      std::memcpy(r.bytes.data(), &k, sizeof k);
      std::memcpy(r.bytes.data() + sizeof k, &e, sizeof e);
      rows.push_back(r);
    });
    std::sort(rows.begin(), rows.end());
    return rows;
  }
  static std::string flowText(const FlowRow& r, uint64_t now, uint64_t hz) {
    FlowKey k;
    FlowEntry e;
    std::memcpy(&k, r.bytes.data(), sizeof k);
    std::memcpy(&e, r.bytes.data() + sizeof k, sizeof e);
    std::ostringstream s;
    s << "proto " << int{k.proto} << " family " << int{k.family} << " lo "
      << hex(Bytes(k.lo, k.lo + 16)) << ":" << k.portLo << " hi " << hex(Bytes(k.hi, k.hi + 16))
      << ":" << k.portHi << " | expires in "
      << (static_cast<double>(e.expires) - static_cast<double>(now)) / static_cast<double>(hz)
      << " s, generation " << e.generation << ", rule " << e.rule << ", zones " << e.fromZone
      << "->" << e.toZone << ", tcp " << int(e.tcp) << ", initiatorIsLo " << e.initiatorIsLo
      << ", replied " << e.replied << ", fins " << int{e.finSeen};
    return s.str();
  }
  static std::vector<ViolationRecord> drain(Harness& h) {
    std::vector<ViolationRecord> out;
    ViolationRecord recs[128];
    for (uint32_t n; (n = h.dp().drainEvents(0, recs, 128)) > 0;)
      out.insert(out.end(), recs, recs + n);
    return out;
  }
  static std::string recordText(const ViolationRecord& r) {
    std::ostringstream s;
    s << "type " << int{r.type} << " reason " << dropReasonName(static_cast<DropReason>(r.reason))
      << " src " << hex(Bytes(r.src, r.src + 16)) << ":" << r.sport << " dst "
      << hex(Bytes(r.dst, r.dst + 16)) << ":" << r.dport << " proto " << int{r.proto} << " rule "
      << r.rule << " generation " << r.policyGeneration << " zones " << r.fromZone << "->"
      << r.toZone << " port " << r.ingressPort;
    return s.str();
  }

  // Every difference between the two data planes after a burst (empty: none). The records'
  // wall-clock stamps differ by construction (each data plane has its own base) and are left out.
  std::string differences(TxBuffer& ta, TxBuffer& tb) {
    std::ostringstream d;
    for (uint16_t p = 0; p < kMaxPorts; ++p) {
      const TxBuffer::Queue& qa = ta.port[p];
      const TxBuffer::Queue& qb = tb.port[p];
      if (qa.count != qb.count) {
        d << "port " << p << ": lane transmitted " << qa.count << " frames, pipeline " << qb.count
          << "\n";
        continue;
      }
      for (uint16_t i = 0; i < qa.count; ++i) {
        const Bytes fa = fromMbuf(qa.pkts[i]), fb = fromMbuf(qb.pkts[i]);
        if (fa != fb) {
          d << "port " << p << " frame " << i << " differs:\n  lane     " << hex(fa)
            << "\n  pipeline " << hex(fb) << "\n";
        }
      }
    }
    const CounterTotals a = lane_.dp().totals(), b = pipe_.dp().totals();
    auto field = [&](const std::string& name, uint64_t x, uint64_t y) {
      if (x != y) d << name << ": lane " << x << ", pipeline " << y << "\n";
    };
    field("rx", a.rx, b.rx);
    field("tx", a.tx, b.tx);
    field("forwarded", a.forwarded, b.forwarded);
    field("answered", a.answered, b.answered);
    for (int r = 0; r < kDropReasonCount; ++r) {
      field(std::string("drops ") + dropReasonName(static_cast<DropReason>(r)), a.drops[r],
            b.drops[r]);
    }
    field("eventsLost", a.eventsLost, b.eventsLost);
    field("flowsCreated", a.flowsCreated, b.flowsCreated);
    field("flowsExpired", a.flowsExpired, b.flowsExpired);
    field("flowsActive", a.flowsActive, b.flowsActive);
    field("generation", lane_.dp().generation(), pipe_.dp().generation());
    const auto ra = lane_.dp().ruleTotals(), rb = pipe_.dp().ruleTotals();
    field("rule count", ra.size(), rb.size());
    for (size_t i = 0; i < std::min(ra.size(), rb.size()); ++i) {
      field("rule " + std::to_string(i) + " packets", ra[i].packets, rb[i].packets);
      field("rule " + std::to_string(i) + " bytes", ra[i].bytes, rb[i].bytes);
    }
    const auto pa = lane_.dp().pairTotals(), pb = pipe_.dp().pairTotals();
    field("zone pair count", pa.size(), pb.size());
    for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
      const std::string n = "zone pair " + std::to_string(i);
      field(n + " forwarded packets", pa[i].forwarded.packets, pb[i].forwarded.packets);
      field(n + " forwarded bytes", pa[i].forwarded.bytes, pb[i].forwarded.bytes);
      field(n + " dropped packets", pa[i].dropped.packets, pb[i].dropped.packets);
      field(n + " dropped bytes", pa[i].dropped.bytes, pb[i].dropped.bytes);
    }
    const auto ea = drain(lane_), eb = drain(pipe_);
    field("records", ea.size(), eb.size());
    for (size_t i = 0; i < std::min(ea.size(), eb.size()); ++i) {
      const std::string sa = recordText(ea[i]), sb = recordText(eb[i]);
      // Everything after the wall-clock stamp, byte for byte, and the readable form.
      if (std::memcmp(reinterpret_cast<const uint8_t*>(&ea[i]) + 8,
                      reinterpret_cast<const uint8_t*>(&eb[i]) + 8,
                      sizeof(ViolationRecord) - 8) != 0 ||
          sa != sb) {
        d << "record " << i << ":\n  lane     " << sa << "\n  pipeline " << sb << "\n";
      }
    }
    const auto fa = flowRows(lane_), fb = flowRows(pipe_);
    if (fa != fb) {
      const uint64_t hz = lane_.dp().worker(0).context().hz;
      for (const auto& r : fa) {
        if (!std::binary_search(fb.begin(), fb.end(), r))
          d << "flow only in lane: " << flowText(r, lane_.now(), hz) << "\n";
      }
      for (const auto& r : fb) {
        if (!std::binary_search(fa.begin(), fa.end(), r))
          d << "flow only in pipeline: " << flowText(r, pipe_.now(), hz) << "\n";
      }
    }
    const HoldQueue& ha = lane_.dp().worker(0).context().held;
    const HoldQueue& hb = pipe_.dp().worker(0).context().held;
    field("held", ha.count, hb.count);
    for (uint16_t i = 0; i < std::min(ha.count, hb.count); ++i) {
      const auto& x = ha.entries[i];
      const auto& y = hb.entries[i];
      if (x.nextHop != y.nextHop || x.deadline != y.deadline || x.port != y.port ||
          x.l2Len != y.l2Len || x.v6 != y.v6 || fromMbuf(x.mbuf) != fromMbuf(y.mbuf)) {
        d << "held packet " << i << " differs:\n  lane     " << hex(fromMbuf(x.mbuf)) << " port "
          << x.port << "\n  pipeline " << hex(fromMbuf(y.mbuf)) << " port " << y.port << "\n";
      }
    }
    return d.str();
  }

  static std::string describe(const Plan& plan, int index) {
    std::ostringstream s;
    s << "burst " << index << " in on port " << plan.port << ", " << plan.frames.size()
      << " packets:\n";
    for (size_t i = 0; i < plan.frames.size(); ++i) {
      s << "  " << i << ": " << plan.labels[i] << (plan.refuses[i] ? " (the lane must refuse)" : "")
        << "  [" << hex(plan.frames[i]) << "]\n";
    }
    return s.str();
  }

  // Sends the plan into both data planes and compares everything they show.
  void run(const Plan& plan, int index) {
    TxBuffer ta, tb;
    const uint64_t before = lane_.dp().worker(0).fastLaneBursts();
    lane_.sendBurst(plan.port, plan.frames, ta);
    pipe_.sendBurst(plan.port, plan.frames, tb);
    const std::string diff = differences(ta, tb);
    ta.freeAll();
    tb.freeAll();
    ASSERT_EQ(diff, "") << "the lane and the pipeline disagree after " << describe(plan, index);
    const uint64_t after = lane_.dp().worker(0).fastLaneBursts();
    const uint64_t mayTake = plan.chunksTheLaneMayTake();
    ASSERT_LE(after - before, mayTake)
        << "the lane took a chunk it must refuse: " << describe(plan, index);
    mayTake_ += mayTake;
    laneTook_ += after - before;
    ++bursts_;
    chunks_ += (plan.frames.size() + kBurstSize - 1) / kBurstSize;
    packets_ += plan.frames.size();
  }

  Harness lane_, pipe_;
  std::mt19937 rng_;
  std::vector<Flow> flows_;
  double sim_ = 0;
  int version_ = 1;
  uint16_t nextPort_ = 20000, nextUnknown_ = 50000;
  uint32_t nextFrag_ = 1;
  std::vector<size_t> justCut_;      // flows alive before the last reload that it cuts
  std::vector<size_t> justExpired_;  // flows the last advance() certainly expired
  uint64_t bursts_ = 0, chunks_ = 0, packets_ = 0, mayTake_ = 0, laneTook_ = 0;
};

TEST_P(FastLaneEquivalenceTest, LaneAndPipelineAgreeOnEveryBurst) {
  learnAll();
  constexpr int kBursts = 1000;
  for (int i = 0; i < kBursts; ++i) {
    if (i == 200) advance(40);  // unanswered UDP and half-open TCP flows expire
    if (i == 330) reload(2);
    if (i == 500) advance(200);   // answered UDP flows expire too
    if (i == 600) reload(1);      // the first policy again: every flow is re-checked
    if (i == 750) advance(1300);  // every neighbour goes stale: packets wait, ARP / NS go out
    if (HasFatalFailure()) return;
    // The three bursts after an event, one per forwarding port.
    auto after = [&](int at) { return i > at && i <= at + 3; };
    auto portAfter = [&](int at) { return static_cast<uint16_t>(i - at - 1); };
    Plan plan;
    if (after(330) || after(600)) {
      plan = aftermath(portAfter(i > 600 ? 600 : 330), justCut_);
    } else if (after(200) || after(500)) {
      plan = aftermath(portAfter(i > 500 ? 500 : 200), justExpired_);
    } else if (after(761)) {  // held packets of the first bursts are past their deadline by now
      plan = relearn(portAfter(761));
    } else {
      plan = nextPlan();
    }
    run(plan, i);
    if (HasFatalFailure()) return;
    if (i % 37 == 36) sweep();
    advance(static_cast<double>(pick(300)) / 1000.0);
  }
  // The last sweep's effects compared too.
  sweep();
  run(relearn(kExt), kBursts);
  if (HasFatalFailure()) return;

  const uint64_t laneBursts = lane_.dp().worker(0).fastLaneBursts();
  std::printf(
      "seed %u: %llu bursts (%llu chunks, %llu packets); the lane forwarded %llu chunks, %llu of "
      "the %llu without a packet it must refuse\n",
      GetParam(), static_cast<unsigned long long>(bursts_),
      static_cast<unsigned long long>(chunks_), static_cast<unsigned long long>(packets_),
      static_cast<unsigned long long>(laneBursts), static_cast<unsigned long long>(laneTook_),
      static_cast<unsigned long long>(mayTake_));
  EXPECT_EQ(pipe_.dp().worker(0).fastLaneBursts(), 0u);
  EXPECT_GT(laneBursts * 4, chunks_)
      << "the lane forwarded too few bursts: is it still finding flows?";
  EXPECT_GT(laneTook_, 0u);
  // The stream went through the pipeline's other outcomes as well.
  const CounterTotals t = pipe_.dp().totals();
  for (DropReason r :
       {DropReason::Malformed, DropReason::SpoofedSource, DropReason::PhysicalIsolation,
        DropReason::IsolationBreach, DropReason::LogicalIsolation, DropReason::NeighbourUnresolved,
        DropReason::RuleDeny, DropReason::FlowCut, DropReason::TcpInvalid, DropReason::TtlExpired,
        DropReason::ToGateway, DropReason::ArpIgnored, DropReason::NoPolicy}) {
    EXPECT_GT(t.drops[static_cast<int>(r)], 0u) << dropReasonName(r);
  }
  EXPECT_GT(t.answered, 0u);
  EXPECT_GT(t.flowsExpired, 0u);
  EXPECT_GT(t.forwarded, packets_ / 2);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FastLaneEquivalenceTest, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

}  // namespace
}  // namespace isogate::dataplane::test
