// Test harness for the data plane: initialises the EAL once per test binary
// (a gtest Environment: no hugepages, no PCI, a unique file prefix), keeps a
// mempool, and wraps a Dataplane built from policy text and a fixed four-port
// topology so a test can send one frame and see where it went and why.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"
#include "tests/dataplane/packet_builder.h"

struct rte_mempool;

namespace isogate::dataplane::test {

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  static rte_mempool* pool();
};

// The standard test policy (zones intranet/extranet/portal/internet, rules below).
extern const char* const kTestPolicy;

// Ports: 0 ext0 (extranet, 10.20.0.1/16, fd20::1/48), 1 portal0 (portal, 172.16.30.1/24,
// fd30::1/48), 2 inet0 (internet, 203.0.113.2/24, 2001:db8:1::2/64, default routes via .1 / ::1),
// 3 tap (intranet, monitor).
DataplaneConfig testConfig();
std::shared_ptr<const policy::CompiledPolicy> compileOrDie(const std::string& yaml);

struct Outcome {
  int port = -1;                         // egress port, -1 when nothing was transmitted
  Bytes frame;                           // what was transmitted
  DropReason reason = DropReason::None;  // the drop counter that moved, None if none
  std::vector<ViolationRecord> records;
  bool forwarded() const { return port >= 0 && reason == DropReason::None; }
};

class Harness {
 public:
  explicit Harness(const std::string& policyYaml = kTestPolicy,
                   DataplaneConfig config = testConfig());
  // A data plane with no policy installed yet (as a gateway whose first policy was rejected).
  struct NoPolicy {};
  explicit Harness(NoPolicy, DataplaneConfig config = testConfig());
  Dataplane& dp() { return *dp_; }
  // Sends one frame in on `port` at TSC `now` (default: a fixed clock that tests advance).
  Outcome send(uint16_t port, const Bytes& frame) { return sendOn(0, port, frame); }
  // The same through worker `worker` (as if the NIC had put it in that worker's queue).
  Outcome sendOn(unsigned worker, uint16_t port, const Bytes& frame);
  // Sends several frames as one burst; outcomes are not separated (counters only).
  void sendBurst(uint16_t port, const std::vector<Bytes>& frames, TxBuffer& tx);
  // Teaches the neighbour table the usual hosts (so forwarding needs no ARP).
  void learnHosts(const std::vector<std::string>& addresses);
  void advanceSeconds(double s) { now_ += static_cast<uint64_t>(s * hz_); }
  uint64_t now() const { return now_; }
  uint64_t drops(DropReason r) const { return dp_->totals().drops[static_cast<int>(r)]; }

 private:
  std::unique_ptr<Dataplane> dp_;
  uint64_t now_ = 0;
  uint64_t hz_ = 1;
};

rte_mbuf* toMbuf(const Bytes& frame);
Bytes fromMbuf(const rte_mbuf* m);

}  // namespace isogate::dataplane::test
