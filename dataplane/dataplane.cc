#include "dataplane/dataplane.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <chrono>
#include <cstdio>

namespace isogate::dataplane {

namespace {
std::atomic<unsigned> instanceSerial{0};
}

std::unique_ptr<Dataplane> Dataplane::create(const DataplaneConfig& config, std::string* error) {
  std::unique_ptr<Dataplane> dp(new Dataplane());
  dp->config_ = config;
  if (dp->config_.workers == 0) dp->config_.workers = 1;
  if (dp->config_.workers > RTE_MAX_LCORE) {
    *error = "too many workers";
    return nullptr;
  }
  if (!dp->topology_.build(dp->config_, error)) return nullptr;
  dp->neighbours_ = std::make_unique<NeighbourTable>(dp->config_.neighbourCapacity);
  const unsigned workers = dp->config_.workers;
  const size_t rcuSize = rte_rcu_qsbr_get_memsize(workers);
  dp->rcu_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("isogate_rcu", rcuSize, RTE_CACHE_LINE_SIZE));
  if (!dp->rcu_ || rte_rcu_qsbr_init(dp->rcu_, workers) != 0) {
    *error = "cannot create the RCU variable (is the EAL initialised?)";
    return nullptr;
  }
  const unsigned serial = instanceSerial.fetch_add(1);
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t baseTsc = rte_get_tsc_cycles();
  const uint64_t baseNs =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  const int socket = config.socket < 0 ? SOCKET_ID_ANY : config.socket;
  for (unsigned w = 0; w < workers; ++w) {
    rte_rcu_qsbr_thread_register(dp->rcu_, w);
    auto worker = std::make_unique<Worker>(w, dp->topology_, *dp->neighbours_,
                                           dp->config_.fragmentCapacity, dp->tables_, dp->rcu_);
    worker->setFastLane(dp->config_.fastLane);
    WorkerContext& ctx = worker->context();
    char name[RTE_RING_NAMESIZE];
    std::snprintf(name, sizeof name, "igct%u_%u", serial, w);
    if (!ctx.flows.init(name, dp->config_.flowCapacity, socket, error)) return nullptr;
    std::snprintf(name, sizeof name, "igev%u_%u", serial, w);
    uint32_t ringSize = 64;
    while (ringSize < dp->config_.eventRingSize) ringSize <<= 1;
    ctx.events = rte_ring_create_elem(name, sizeof(ViolationRecord), ringSize, socket,
                                      RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (!ctx.events) {
      *error = std::string("rte_ring_create_elem: ") + rte_strerror(rte_errno);
      return nullptr;
    }
    dp->rings_.push_back(ctx.events);
    ctx.timeouts = TickTimeouts::from(dp->config_.timeouts, hz);
    ctx.hz = hz;
    ctx.baseTsc = baseTsc;
    ctx.baseUnixNs = baseNs;
    dp->workers_.push_back(std::move(worker));
  }
  return dp;
}

Dataplane::~Dataplane() {
  workers_.clear();
  for (auto* r : rings_) rte_ring_free(r);
  owned_.reset();
  rte_free(rcu_);
}

bool Dataplane::publish(std::unique_ptr<PolicyTables> next, RetiredPolicy* retired) {
  history_[next->generation()] = next->policyPtr();
  while (history_.size() > 16) history_.erase(history_.begin());
  tables_.store(next.get(), std::memory_order_release);
  // Every worker that could hold the old pointer passes a quiescent state first.
  rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
  std::unique_ptr<PolicyTables> old = std::move(owned_);
  owned_ = std::move(next);
  if (old && retired) {
    retired->policy = old->policyPtr();
    retired->generation = old->generation();
    retired->rules = old->ruleTotals();
    retired->pairs = old->pairTotals();
  }
  return true;
}

bool Dataplane::installPolicy(std::shared_ptr<const policy::CompiledPolicy> policy,
                              const policy::LocalTime& now, std::string* error,
                              RetiredPolicy* retired) {
  std::lock_guard<std::mutex> lock(control_);
  if (!policy) {
    *error = "no policy";
    return false;
  }
  auto next = PolicyTables::build(std::move(policy), config_, now, nextGeneration_, error);
  if (!next) return false;
  ++nextGeneration_;
  return publish(std::move(next), retired);
}

bool Dataplane::refreshSchedules(const policy::LocalTime& now, std::string* error,
                                 RetiredPolicy* retired) {
  std::lock_guard<std::mutex> lock(control_);
  if (!owned_) return false;
  if (PolicyTables::activeRules(owned_->policy(), now) == owned_->active()) return false;
  auto next = PolicyTables::build(owned_->policyPtr(), config_, now, nextGeneration_, error);
  if (!next) return false;
  ++nextGeneration_;
  return publish(std::move(next), retired);
}

uint32_t Dataplane::generation() const {
  const PolicyTables* t = tables_.load(std::memory_order_acquire);
  return t ? t->generation() : 0;
}

std::shared_ptr<const policy::CompiledPolicy> Dataplane::policyOf(uint32_t generation) const {
  std::lock_guard<std::mutex> lock(control_);
  auto it = history_.find(generation);
  return it == history_.end() ? nullptr : it->second;
}

CounterTotals Dataplane::totals() const {
  CounterTotals t;
  for (const auto& w : workers_) {
    const WorkerCounters& c = w->counters();
    auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    t.rx += ld(c.rx);
    t.tx += ld(c.tx);
    t.forwarded += ld(c.forwarded);
    t.answered += ld(c.answered);
    for (int i = 0; i < kDropReasonCount; ++i) t.drops[i] += ld(c.drops[i]);
    t.eventsLost += ld(c.eventsLost);
    t.flowsCreated += ld(c.flowsCreated);
    t.flowsExpired += ld(c.flowsExpired);
    t.flowsActive += w->context().flows.size();
  }
  return t;
}

std::vector<PacketBytesTotal> Dataplane::ruleTotals() const {
  std::lock_guard<std::mutex> lock(control_);
  return owned_ ? owned_->ruleTotals() : std::vector<PacketBytesTotal>{};
}

std::vector<PairTotals> Dataplane::pairTotals() const {
  std::lock_guard<std::mutex> lock(control_);
  return owned_ ? owned_->pairTotals() : std::vector<PairTotals>{};
}

uint32_t Dataplane::drainEvents(unsigned w, ViolationRecord* out, uint32_t max) noexcept {
  if (w >= rings_.size()) return 0;
  return rte_ring_dequeue_burst_elem(rings_[w], out, sizeof(ViolationRecord), max, nullptr);
}

}  // namespace isogate::dataplane
