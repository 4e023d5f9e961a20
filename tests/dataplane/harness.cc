#include "tests/dataplane/harness.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "policy/pipeline.h"

namespace isogate::dataplane::test {

namespace {
rte_mempool* gPool = nullptr;
::testing::Environment* const gEnv = ::testing::AddGlobalTestEnvironment(new EalEnvironment);
}  // namespace

void EalEnvironment::SetUp() {
  if (gPool) return;
  const std::string prefix = "--file-prefix=igt" + std::to_string(getpid());
  const char* args[] = {"isogate-test", "--no-huge", "-m", "512",          "--no-pci",
                        "--no-shconf",  "-l",        "0",  prefix.c_str(), "--log-level=3"};
  std::vector<char*> argv;
  for (const char* a : args) argv.push_back(const_cast<char*>(a));
  ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << "rte_eal_init failed";
  gPool = rte_pktmbuf_pool_create("igtest_pool", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  SOCKET_ID_ANY);
  ASSERT_NE(gPool, nullptr);
}

rte_mempool* EalEnvironment::pool() { return gPool; }

const char* const kTestPolicy = R"(version: 1
name: dataplane-test
zones:
  intranet:
    level: classified
    networks: [10.10.0.0/16, "fd10::/48"]
  extranet:
    level: internal
    networks: [10.20.0.0/16, "fd20::/48"]
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
  dns: {udp: [53], tcp: [53]}
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
  - name: ext-dns
    from: extranet
    to: internet
    services: [dns]
    action: allow
)";

namespace {
InterfaceAddress ia(const char* a, uint8_t len) { return {*policy::parseAddress(a), len}; }
MacAddress gwMac(uint8_t last) { return {0x02, 0, 0, 0, 0, last}; }
}  // namespace

DataplaneConfig testConfig() {
  DataplaneConfig c;
  c.ports.push_back(
      {"ext0", "extranet", false, gwMac(0x01), {ia("10.20.0.1", 16), ia("fd20::1", 48)}});
  c.ports.push_back(
      {"portal0", "portal", false, gwMac(0x02), {ia("172.16.30.1", 24), ia("fd30::1", 48)}});
  c.ports.push_back(
      {"inet0", "internet", false, gwMac(0x03), {ia("203.0.113.2", 24), ia("2001:db8:1::2", 64)}});
  c.ports.push_back({"tap", "intranet", true, gwMac(0x04), {}});
  c.routes.push_back({*policy::parsePrefix("0.0.0.0/0"), *policy::parseAddress("203.0.113.1")});
  c.routes.push_back({*policy::parsePrefix("::/0"), *policy::parseAddress("2001:db8:1::1")});
  c.workers = 1;
  c.flowCapacity = 1024;
  c.fragmentCapacity = 256;
  c.neighbourCapacity = 1024;
  c.eventRingSize = 1024;
  return c;
}

std::shared_ptr<const policy::CompiledPolicy> compileOrDie(const std::string& yaml) {
  policy::PolicyBuild b = policy::buildPolicyText(yaml, "test.yaml");
  if (!b.ok()) {
    std::string all;
    for (const auto& d : b.diags.all()) all += policy::formatDiagnostic(d) + "\n";
    throw std::runtime_error("test policy does not compile:\n" + all);
  }
  return std::make_shared<const policy::CompiledPolicy>(std::move(*b.compiled));
}

rte_mbuf* toMbuf(const Bytes& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(EalEnvironment::pool());
  if (!m) throw std::runtime_error("mempool empty");
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  if (!p) throw std::runtime_error("frame too large");
  if (!frame.empty()) std::memcpy(p, frame.data(), frame.size());
  return m;
}

Bytes fromMbuf(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return Bytes(p, p + m->data_len);
}

Harness::Harness(const std::string& policyYaml, DataplaneConfig config) {
  std::string error;
  dp_ = Dataplane::create(config, &error);
  if (!dp_) throw std::runtime_error("Dataplane::create: " + error);
  if (!dp_->installPolicy(compileOrDie(policyYaml), policy::LocalTime{0, 600}, &error)) {
    throw std::runtime_error("installPolicy: " + error);
  }
  hz_ = rte_get_tsc_hz();
  now_ = 1000 * hz_;
}

Harness::Harness(NoPolicy, DataplaneConfig config) {
  std::string error;
  dp_ = Dataplane::create(config, &error);
  if (!dp_) throw std::runtime_error("Dataplane::create: " + error);
  hz_ = rte_get_tsc_hz();
  now_ = 1000 * hz_;
}

Outcome Harness::sendOn(unsigned worker, uint16_t port, const Bytes& frame) {
  const CounterTotals before = dp_->totals();
  TxBuffer tx;
  rte_mbuf* m = toMbuf(frame);
  dp_->worker(worker).processBurst(port, &m, 1, tx, now_);
  const CounterTotals after = dp_->totals();
  Outcome o;
  for (int r = 0; r < kDropReasonCount; ++r) {
    if (after.drops[r] != before.drops[r]) o.reason = static_cast<DropReason>(r);
  }
  for (uint16_t p = 0; p < kMaxPorts; ++p) {
    if (tx.port[p].count) {
      o.port = p;
      o.frame = fromMbuf(tx.port[p].pkts[0]);
    }
  }
  tx.freeAll();
  ViolationRecord recs[64];
  for (unsigned w = 0; w < dp_->workerCount(); ++w) {
    const uint32_t n = dp_->drainEvents(w, recs, 64);
    o.records.insert(o.records.end(), recs, recs + n);
  }
  return o;
}

void Harness::sendBurst(uint16_t port, const std::vector<Bytes>& frames, TxBuffer& tx) {
  std::vector<rte_mbuf*> ms;
  for (const auto& f : frames) ms.push_back(toMbuf(f));
  dp_->worker(0).processBurst(port, ms.data(), static_cast<uint16_t>(ms.size()), tx, now_);
}

void Harness::learnHosts(const std::vector<std::string>& addresses) {
  for (const auto& a : addresses) {
    const auto ip = *policy::parseAddress(a);
    dp_->neighbours().learn(ip.family == policy::Family::V6, ip.value, kHostMac, now_);
  }
}

}  // namespace isogate::dataplane::test
