// The kernel backend's part of `isogatectl flows`: one ctnetlink dump of the connection
// table (IPCTNL_MSG_CT_GET, libmnl) turned into a bounded mgmt::FlowSnapshot of the
// flows between two policy zones. Read-only: the table is never changed here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <linux/netlink.h>

#include "mgmt/flow_snapshot.h"
#include "policy/compiled.h"
#include "policy/model.h"

namespace isogate::gateway {

// What one conntrack entry says about its flow.
struct ConntrackEntry {
  policy::PacketKey orig;  // the original direction: the initiator is orig.src
  std::string state;       // TCP: "established", "syn-sent", ...; others: "replied" | "unreplied"
  uint32_t timeoutS = 0;   // CTA_TIMEOUT
  std::optional<uint64_t> packets, bytes;  // both directions; only with net.netfilter.nf_conntrack_acct=1
};

// Parses one entry of a dump (an IPCTNL_MSG_CT_NEW message). false when it has no complete
// original tuple (addresses and protocol), which no entry of a real table lacks.
bool parseConntrackEntry(const nlmsghdr* nlh, ConntrackEntry& out);

// Whether `flows` shows the entry (both ends in zones of the policy, neither the gateway's
// own nor loopback): what flowRecordOf() decides, without evaluating the policy's rules, so
// that entries beyond the snapshot's first `max` are counted cheaply.
bool isShownFlow(const ConntrackEntry& e, const policy::CompiledPolicy& policy,
                 const std::vector<policy::IpAddress>& local);

// The flow record of an entry, or nullopt for a flow `flows` does not show: an end outside
// every zone of the policy, or an address of the gateway itself or a loopback address (its
// own traffic, e.g. to a local syslog). The rule
// is the one of `policy` that admits the flow's first packet at `now` (the kernel keeps no
// trace of it; flows the policy no longer allows are removed at reload), empty for
// intra-zone traffic or when none does.
std::optional<mgmt::FlowRecord> flowRecordOf(const ConntrackEntry& e, const policy::CompiledPolicy& policy,
                                             const std::vector<policy::IpAddress>& local,
                                             const policy::LocalTime& now);

// Naming a flow's rule scans the policy's rules, so a snapshot names it for at most
// kRuleNamingBudget / (rules in the policy) flows: all 1000 shown up to 10k rules, the first
// 100 at 100k. The other flows shown leave `rule` empty ("not known"), which keeps one dump
// of a big policy bounded (docs/PERFORMANCE.md, control-plane cost of the reports).
inline constexpr size_t kRuleNamingBudget = 10'000'000;
size_t flowsWithRuleNamed(size_t policyRules);

// Dumps the connection table of the caller's network namespace: the first `max` flows
// shown, and how many there were in `total`. false + error when ctnetlink fails.
bool snapshotConntrack(const policy::CompiledPolicy& policy, const std::vector<policy::IpAddress>& local,
                       const policy::LocalTime& now, size_t max, mgmt::FlowSnapshot& out, std::string& error);

}  // namespace isogate::gateway
