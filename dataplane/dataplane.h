// The public face of the DPDK data plane for the gateway process: created from
// a DataplaneConfig after rte_eal_init(), given a CompiledPolicy (and later new
// ones, swapped in with RCU), it hands out one Worker per lcore, and exposes
// counters and the workers' violation records. Packets in, packets and
// counters out: no YAML, no I/O but packets, no logging.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/neighbour_table.h"
#include "dataplane/policy_tables.h"
#include "dataplane/topology.h"
#include "dataplane/violation_record.h"
#include "dataplane/worker.h"
#include "policy/compiled.h"

struct rte_rcu_qsbr;

namespace isogate::dataplane {

// What a policy accumulated while it was installed, handed back when it is replaced.
struct RetiredPolicy {
  std::shared_ptr<const policy::CompiledPolicy> policy;
  uint32_t generation = 0;
  std::vector<PacketBytesTotal> rules;  // per rule index
  std::vector<PairTotals> pairs;        // zones^2, row = source zone
};

class Dataplane {
 public:
  // Call after rte_eal_init(). nullptr with *error on a bad config or when
  // DPDK objects cannot be created. No policy is installed: until
  // installPolicy() succeeds every packet is dropped (`no-policy`); only ARP
  // and neighbour solicitations for the gateway's own addresses are answered.
  static std::unique_ptr<Dataplane> create(const DataplaneConfig& config, std::string* error);
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  // Builds the tables for `policy` (rules whose schedule is active at `now`)
  // off the fast path, publishes them atomically, and returns once no worker
  // can still see the old ones (RCU). Established flows are re-checked lazily
  // against the new policy on their next packet and cut if no longer allowed.
  // On failure (*error set) the running policy stays untouched. Call from one
  // control thread; workers that are inside enterLoop() must keep calling
  // processBurst() (or leaveLoop()) or this waits for them.
  bool installPolicy(std::shared_ptr<const policy::CompiledPolicy> policy,
                     const policy::LocalTime& now, std::string* error,
                     RetiredPolicy* retired = nullptr);
  // Rebuilds from the installed policy when the set of rules whose schedule is
  // active at `now` changed (call about once a minute). True when it swapped.
  bool refreshSchedules(const policy::LocalTime& now, std::string* error,
                        RetiredPolicy* retired = nullptr);

  unsigned workerCount() const { return static_cast<unsigned>(workers_.size()); }
  Worker& worker(unsigned i) { return *workers_[i]; }
  const Topology& topology() const { return topology_; }
  NeighbourTable& neighbours() { return *neighbours_; }

  // Generation of the installed tables (0 = none). Records carry it.
  uint32_t generation() const;
  // The policy that judged records of `generation` (the last 16 are kept), or nullptr.
  std::shared_ptr<const policy::CompiledPolicy> policyOf(uint32_t generation) const;

  CounterTotals totals() const;
  std::vector<PacketBytesTotal> ruleTotals() const;  // of the installed policy
  std::vector<PairTotals> pairTotals() const;

  // Moves up to max records from worker w's ring into out (single consumer:
  // one control thread). Returns how many.
  uint32_t drainEvents(unsigned w, ViolationRecord* out, uint32_t max) noexcept;

 private:
  Dataplane() = default;
  bool publish(std::unique_ptr<PolicyTables> next, RetiredPolicy* retired);

  DataplaneConfig config_;
  Topology topology_;
  std::unique_ptr<NeighbourTable> neighbours_;
  rte_rcu_qsbr* rcu_ = nullptr;
  std::atomic<const PolicyTables*> tables_{nullptr};
  std::unique_ptr<PolicyTables> owned_;  // what tables_ points at
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<rte_ring*> rings_;
  uint32_t nextGeneration_ = 1;
  std::map<uint32_t, std::shared_ptr<const policy::CompiledPolicy>> history_;
  mutable std::mutex control_;
};

}  // namespace isogate::dataplane
