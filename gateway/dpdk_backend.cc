#include "gateway/dpdk_backend.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cstdio>

#include "dataplane/drop_reason.h"
#include "gateway/dpdk_eal.h"
#include "gateway/dpdk_events.h"
#include "gateway/dpdk_heap_prefault.h"
#include "gateway/stats_report.h"

namespace isogate::gateway {

DpdkBackend::DpdkBackend(const policy::GatewayConfig& config, DpdkBackendOptions options)
    : config_(config), options_(options), recordsByType_(16, 0) {
  for (const auto& itf : config_.interfaces) {
    // A monitor port without a device is isogate-mgmtd's (libpcap), not the data plane's.
    if (itf.device.empty()) continue;
    specs_.push_back({itf.name, itf.device, itf.monitor});
    zones_.push_back(itf.zone);
    interfaces_.push_back(&itf);
  }
}

DpdkBackend::~DpdkBackend() { shutdown(); }

bool DpdkBackend::start(std::string& error) {
  if (specs_.empty()) {
    error = "no interface has a DPDK device";
    return false;
  }
  if (!initEal(config_, error)) return false;
  ealReady_ = true;
  // Before the ports and tables take their memory: see dpdk_heap_prefault.h (and 10-20 fewer
  // cycles per packet in the --no-huge benchmark, docs/PERFORMANCE.md).
  prefaultDpdkHeap();
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) { lcores_.push_back(lcore); }
  if (lcores_.empty()) {
    error = "dpdk.eal gives no worker lcore: list at least two in -l (the first runs the control thread)";
    return false;
  }
  if (options_.ordered) lcores_.resize(1);
  const unsigned workers = static_cast<unsigned>(lcores_.size());
  if (!ports_.open(specs_, workers, error)) return false;
  if (workers > 1) {
    for (size_t i = 0; i < specs_.size(); ++i) {
      // Without RSS the device spreads packets its own way (af_packet: the kernel's
      // symmetric flow hash); say so, the operator chose several lcores.
      if (!ports_.rssEnabled(i)) {
        std::fprintf(stderr, "isogate-gw: port %s has no RSS; its %u queues are filled by the device's own spreading\n",
                     specs_[i].name.c_str(), workers);
      }
    }
  }
  dataplane::DataplaneConfig dc;
  for (size_t i = 0; i < specs_.size(); ++i) {
    dataplane::PortConfig pc;
    pc.name = specs_[i].name;
    pc.zone = zones_[i];
    pc.monitor = specs_[i].monitor;
    pc.mac = ports_.mac(i);
    for (const auto& a : interfaces_[i]->addresses) pc.addresses.push_back({a.value.address, a.value.length});
    dc.ports.push_back(pc);
  }
  for (const auto& r : config_.routes) dc.routes.push_back({r.to.value, r.via.value});
  dc.workers = workers;
  dc.flowCapacity = options_.flowCapacity;
  if (config_.flows.max) {
    // Each worker owns its table (no locks between lcores), so the limit is split evenly:
    // max / workers each, the remainder unused. Flows reach a worker by RSS hash, so one
    // worker's table can fill while another has room (docs/dpdk-backend.md).
    if (config_.flows.max < workers) {
      error = "flows.max " + std::to_string(config_.flows.max) + " is less than the " + std::to_string(workers) +
              " worker lcores: each worker's flow table needs room for one flow at least";
      return false;
    }
    dc.flowCapacity = config_.flows.max / workers;
    if (config_.flows.max % workers) {
      std::fprintf(stderr, "isogate-gw: flows.max %u over %u workers: %u flows each, %u in all\n",
                   config_.flows.max, workers, dc.flowCapacity, dc.flowCapacity * workers);
    }
  }
  flowLimit_ = static_cast<uint64_t>(dc.flowCapacity) * workers;
  dataplane_ = dataplane::Dataplane::create(dc, &error);
  if (!dataplane_) {
    error = "data plane: " + error;
    return false;
  }
  return true;
}

bool DpdkBackend::launch(std::string& error) {
  std::vector<uint16_t> ids;
  for (size_t i = 0; i < ports_.count(); ++i) ids.push_back(ports_.portId(i));
  for (unsigned w = 0; w < lcores_.size(); ++w) {
    loops_.push_back(
        std::make_unique<DpdkWorkerLoop>(dataplane_->worker(w), ids, static_cast<uint16_t>(w), options_.ordered));
  }
  // Set first: a failed launch must stop (and wait for) the loops already running before
  // shutdown() frees them.
  launched_ = true;
  for (unsigned w = 0; w < lcores_.size(); ++w) {
    if (rte_eal_remote_launch(&DpdkWorkerLoop::launch, loops_[w].get(), lcores_[w]) != 0) {
      error = "cannot launch the worker on lcore " + std::to_string(lcores_[w]);
      shutdown();
      return false;
    }
  }
  return true;
}

void DpdkBackend::stopWorkers() {
  if (!launched_) return;
  for (auto& l : loops_) l->stop();
  rte_eal_mp_wait_lcore();
  launched_ = false;
}

void DpdkBackend::shutdown() {
  stopWorkers();
  // The packets the data plane still holds (those waiting for a neighbour) go back to the
  // pool before the pool goes with the ports: freed afterwards, they were written into
  // freed memory, or, with the pool in a mapping of its own, crashed the process on exit.
  loops_.clear();  // they point at the data plane's workers
  dataplane_.reset();
  ports_.close();
}

ApplyResult DpdkBackend::apply(const policy::CompiledPolicy& policy, const std::vector<BackendInterface>&) {
  ApplyResult r;
  if (!dataplane_) {
    r.error = "the data plane is not running";
    return r;
  }
  // The data plane keeps the policy as long as records judged by it may be pending.
  auto shared = std::make_shared<const policy::CompiledPolicy>(policy);
  std::string error;
  if (!dataplane_->installPolicy(std::move(shared), policy::localTimeNow(), &error)) {
    r.error = error;  // the running tables (or none: still dropping everything) stay
    return r;
  }
  r.ok = true;
  return r;
}

void DpdkBackend::tick() {
  if (!dataplane_) return;
  const policy::LocalTime now = policy::localTimeNow();
  const int minute = now.weekday * 1440 + now.minute;
  if (minute == lastMinute_) return;
  lastMinute_ = minute;
  std::string error;
  dataplane_->refreshSchedules(now, &error);
}

bool DpdkBackend::stats(mgmt::GatewayStats& out, std::string& error) {
  if (!dataplane_) {
    error = "the data plane is not running";
    return false;
  }
  // Installs happen on this (the control) thread, so the policy and its counters match.
  const auto policy = dataplane_->policyOf(dataplane_->generation());
  if (!policy) {
    error = "no policy is running";
    return false;
  }
  DataplaneCounts c;
  for (const auto& p : dataplane_->pairTotals()) {
    c.pairForwarded.push_back({p.forwarded.packets, p.forwarded.bytes});
    c.pairDropped.push_back({p.dropped.packets, p.dropped.bytes});
  }
  for (const auto& r : dataplane_->ruleTotals()) c.rules.push_back({r.packets, r.bytes});
  const dataplane::CounterTotals t = dataplane_->totals();
  for (int r = 1; r < dataplane::kDropReasonCount; ++r)
    if (t.drops[r]) c.drops.push_back({dataplane::dropReasonName(static_cast<dataplane::DropReason>(r)), t.drops[r]});
  c.eventsLost = t.eventsLost;
  out = statsFromDataplane(*policy, c);
  return true;
}

size_t DpdkBackend::drainRecords(std::vector<mgmt::Event>& out, size_t max) {
  if (!dataplane_) return 0;
  dataplane::ViolationRecord recs[64];
  size_t total = 0;
  for (unsigned w = 0; w < dataplane_->workerCount() && total < max; ++w) {
    for (;;) {
      const uint32_t n = dataplane_->drainEvents(w, recs, 64);
      for (uint32_t i = 0; i < n; ++i) {
        const auto& r = recs[i];
        auto policy = dataplane_->policyOf(r.policyGeneration);
        const bool known = r.ingressPort < specs_.size();
        out.push_back(recordEvent(r, policy.get(), known ? specs_[r.ingressPort].name : "",
                                  known ? zones_[r.ingressPort] : ""));
        if (r.type < recordsByType_.size()) ++recordsByType_[r.type];
      }
      total += n;
      if (n < 64 || total >= max) break;
    }
  }
  reportTableFull(out);
  return total;
}

void DpdkBackend::reportTableFull(std::vector<mgmt::Event>& out) {
  // At most once a second (the workers count every refusal; this only reads the sum), so a
  // flood of refused flows costs one event a second, and the data path never waits for it.
  const uint64_t now = rte_rdtsc();
  if (now - tableFullCheckedTsc_ < rte_get_tsc_hz()) return;
  tableFullCheckedTsc_ = now;
  const uint64_t refused =
      dataplane_->totals().drops[static_cast<int>(dataplane::DropReason::FlowTableFull)];
  if (refused == tableFullReported_) return;
  mgmt::Event f;
  f.type = mgmt::EventType::Fault;
  f.set("backend", "dpdk");
  f.set("component", "flow-table");
  f.set("reason", "flow-table-full");
  f.set("refused", std::to_string(refused - tableFullReported_));
  f.set("max", std::to_string(flowLimit_));
  f.message = std::to_string(refused - tableFullReported_) + " new flows refused: the flow table is full (" +
              std::to_string(flowLimit_) + " flows)";
  tableFullReported_ = refused;
  out.push_back(std::move(f));
}

uint64_t DpdkBackend::lastRxTsc() const {
  uint64_t t = 0;
  for (const auto& l : loops_) t = std::max(t, l->lastRxTsc());
  return t;
}

uint64_t DpdkBackend::received() const {
  uint64_t n = 0;
  for (const auto& l : loops_) n += l->received();
  return n;
}

uint64_t DpdkBackend::txRefused() const {
  uint64_t n = 0;
  for (const auto& l : loops_) n += l->txRefused();
  return n;
}

}  // namespace isogate::gateway
