// ctnetlink dump for `flows`. Attributes are walked with bounds checks (mnl_attr_ok) and
// read only when their payload has the size their type needs, so a short or odd message
// yields a partial entry or none, never a read past its end.
#include "gateway/conntrack_flows.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <limits>

#include "policy/evaluate.h"

namespace isogate::gateway {

namespace {

// tb[type] = the last attribute of each type in [first, end) up to `max`.
template <size_t N>
void table(const void* first, const void* end, const nlattr* (&tb)[N]) {
  for (auto& t : tb) t = nullptr;
  const auto* a = static_cast<const nlattr*>(first);
  int left = static_cast<int>(static_cast<const char*>(end) - static_cast<const char*>(first));
  while (left > 0 && mnl_attr_ok(a, left)) {
    const uint16_t type = mnl_attr_get_type(a);
    if (type < N) tb[type] = a;
    const auto* next = mnl_attr_next(a);
    left -= static_cast<int>(reinterpret_cast<const char*>(next) - reinterpret_cast<const char*>(a));
    a = next;
  }
}

template <size_t N>
void nestedTable(const nlattr* attr, const nlattr* (&tb)[N]) {
  const char* p = static_cast<const char*>(mnl_attr_get_payload(attr));
  table(p, p + mnl_attr_get_payload_len(attr), tb);
}

bool has(const nlattr* a, size_t bytes) { return a && mnl_attr_get_payload_len(a) >= bytes; }

policy::IpAddress address(const nlattr* a, policy::Family f) {
  policy::IpAddress out{f, 0};
  const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
  for (int i = 0; i < (f == policy::Family::V4 ? 4 : 16); ++i) out.value = out.value << 8 | p[i];
  return out;
}

bool tuple(const nlattr* t, policy::PacketKey& k) {
  const nlattr* tb[CTA_TUPLE_MAX + 1];
  nestedTable(t, tb);
  if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO]) return false;
  const nlattr* ip[CTA_IP_MAX + 1];
  const nlattr* pr[CTA_PROTO_MAX + 1];
  nestedTable(tb[CTA_TUPLE_IP], ip);
  nestedTable(tb[CTA_TUPLE_PROTO], pr);
  if (has(ip[CTA_IP_V4_SRC], 4) && has(ip[CTA_IP_V4_DST], 4)) {
    k.src = address(ip[CTA_IP_V4_SRC], policy::Family::V4);
    k.dst = address(ip[CTA_IP_V4_DST], policy::Family::V4);
  } else if (has(ip[CTA_IP_V6_SRC], 16) && has(ip[CTA_IP_V6_DST], 16)) {
    k.src = address(ip[CTA_IP_V6_SRC], policy::Family::V6);
    k.dst = address(ip[CTA_IP_V6_DST], policy::Family::V6);
  } else {
    return false;
  }
  if (!has(pr[CTA_PROTO_NUM], 1)) return false;
  k.protocol = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
  k.sport = has(pr[CTA_PROTO_SRC_PORT], 2) ? ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT])) : 0;
  k.dport = has(pr[CTA_PROTO_DST_PORT], 2) ? ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT])) : 0;
  k.icmpType = -1;
  if (has(pr[CTA_PROTO_ICMP_TYPE], 1)) k.icmpType = mnl_attr_get_u8(pr[CTA_PROTO_ICMP_TYPE]);
  if (has(pr[CTA_PROTO_ICMPV6_TYPE], 1)) k.icmpType = mnl_attr_get_u8(pr[CTA_PROTO_ICMPV6_TYPE]);
  return true;
}

const char* tcpStateName(uint8_t s) {
  switch (s) {
    case TCP_CONNTRACK_NONE:
      return "none";
    case TCP_CONNTRACK_SYN_SENT:
      return "syn-sent";
    case TCP_CONNTRACK_SYN_RECV:
      return "syn-received";
    case TCP_CONNTRACK_ESTABLISHED:
      return "established";
    case TCP_CONNTRACK_FIN_WAIT:
      return "fin-wait";
    case TCP_CONNTRACK_CLOSE_WAIT:
      return "close-wait";
    case TCP_CONNTRACK_LAST_ACK:
      return "last-ack";
    case TCP_CONNTRACK_TIME_WAIT:
      return "time-wait";
    case TCP_CONNTRACK_CLOSE:
      return "closed";
    case TCP_CONNTRACK_SYN_SENT2:
      return "syn-sent2";
    default:
      return "unknown";
  }
}

// Adds one direction's counters (CTA_COUNTERS_ORIG / _REPLY) to the entry.
void addCounters(const nlattr* c, ConntrackEntry& out) {
  if (!c) return;
  const nlattr* tb[CTA_COUNTERS_MAX + 1];
  nestedTable(c, tb);
  if (!has(tb[CTA_COUNTERS_PACKETS], 8) || !has(tb[CTA_COUNTERS_BYTES], 8)) return;
  out.packets = out.packets.value_or(0) + be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
  out.bytes = out.bytes.value_or(0) + be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
}

// 127.0.0.0/8 and ::1: the gateway's own traffic, which the `any` zone would otherwise claim.
bool isLoopback(const policy::IpAddress& a) {
  if (a.family == policy::Family::V4) return (a.value >> 24) == 127;
  return a.value == 1;
}

// flowRecordOf(), naming the rule only when `now` is given (the costly part).
std::optional<mgmt::FlowRecord> recordOf(const ConntrackEntry& e, const policy::CompiledPolicy& policy,
                                         const std::vector<policy::IpAddress>& local, const policy::LocalTime* now);

struct DumpState {
  const policy::CompiledPolicy* policy;
  const std::vector<policy::IpAddress>* local;
  policy::LocalTime now;
  size_t max;
  mgmt::FlowSnapshot* out;
};

int onEntry(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<DumpState*>(data);
  ConntrackEntry e;
  if (!parseConntrackEntry(nlh, e)) return MNL_CB_OK;
  if (st->out->flows.size() >= st->max) {
    // Past the flows shown only the count matters. Naming the rule is a scan of the policy's
    // rules: for every entry of a 100k table that was 0.3 s of CPU a dump at 1k rules, and
    // ten times that at 10k (docs/PERFORMANCE.md, control-plane cost of the reports).
    if (isShownFlow(e, *st->policy, *st->local)) ++st->out->total;
    return MNL_CB_OK;
  }
  const bool nameRule = st->out->flows.size() < flowsWithRuleNamed(st->policy->rules.size());
  auto rec = recordOf(e, *st->policy, *st->local, nameRule ? &st->now : nullptr);
  if (!rec) return MNL_CB_OK;
  ++st->out->total;
  if (st->out->flows.size() < st->max) st->out->flows.push_back(std::move(*rec));
  return MNL_CB_OK;
}

}  // namespace

bool parseConntrackEntry(const nlmsghdr* nlh, ConntrackEntry& out) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nfgenmsg))) return false;
  const nlattr* tb[CTA_MAX + 1];
  table(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)), mnl_nlmsg_get_payload_tail(nlh), tb);
  out = ConntrackEntry{};
  if (!tb[CTA_TUPLE_ORIG] || !tuple(tb[CTA_TUPLE_ORIG], out.orig)) return false;
  if (has(tb[CTA_TIMEOUT], 4)) out.timeoutS = ntohl(mnl_attr_get_u32(tb[CTA_TIMEOUT]));
  const uint32_t status = has(tb[CTA_STATUS], 4) ? ntohl(mnl_attr_get_u32(tb[CTA_STATUS])) : 0;
  out.state = (status & IPS_SEEN_REPLY) ? "replied" : "unreplied";
  if (out.orig.protocol == policy::kProtoTcp && tb[CTA_PROTOINFO]) {
    const nlattr* pi[CTA_PROTOINFO_MAX + 1];
    nestedTable(tb[CTA_PROTOINFO], pi);
    if (pi[CTA_PROTOINFO_TCP]) {
      const nlattr* tcp[CTA_PROTOINFO_TCP_MAX + 1];
      nestedTable(pi[CTA_PROTOINFO_TCP], tcp);
      if (has(tcp[CTA_PROTOINFO_TCP_STATE], 1)) out.state = tcpStateName(mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]));
    }
  }
  addCounters(tb[CTA_COUNTERS_ORIG], out);
  addCounters(tb[CTA_COUNTERS_REPLY], out);
  return true;
}

bool isShownFlow(const ConntrackEntry& e, const policy::CompiledPolicy& policy,
                 const std::vector<policy::IpAddress>& local) {
  for (const auto& l : local)
    if (l == e.orig.src || l == e.orig.dst) return false;
  if (isLoopback(e.orig.src) || isLoopback(e.orig.dst)) return false;  // the box's own
  return policy.zoneOf(e.orig.src) && policy.zoneOf(e.orig.dst);
}

size_t flowsWithRuleNamed(size_t policyRules) {
  return policyRules == 0 ? std::numeric_limits<size_t>::max() : kRuleNamingBudget / policyRules;
}

std::optional<mgmt::FlowRecord> flowRecordOf(const ConntrackEntry& e, const policy::CompiledPolicy& policy,
                                             const std::vector<policy::IpAddress>& local,
                                             const policy::LocalTime& now) {
  return recordOf(e, policy, local, &now);
}

namespace {

std::optional<mgmt::FlowRecord> recordOf(const ConntrackEntry& e, const policy::CompiledPolicy& policy,
                                         const std::vector<policy::IpAddress>& local, const policy::LocalTime* now) {
  if (!isShownFlow(e, policy, local)) return std::nullopt;
  const auto from = policy.zoneOf(e.orig.src);
  const auto to = policy.zoneOf(e.orig.dst);
  mgmt::FlowRecord r;
  r.family = e.orig.src.family == policy::Family::V6 ? 6 : 4;
  r.proto = e.orig.protocol;
  r.src = policy::toString(e.orig.src);
  r.dst = policy::toString(e.orig.dst);
  if (e.orig.protocol == policy::kProtoTcp || e.orig.protocol == policy::kProtoUdp) {
    r.sport = e.orig.sport;
    r.dport = e.orig.dport;
  }
  r.fromZone = policy.zones[*from].name;
  r.toZone = policy.zones[*to].name;
  if (now) {
    const policy::Verdict v = policy::evaluateCompiled(policy, e.orig, *now);
    if (v.allow && v.rule >= 0 && static_cast<size_t>(v.rule) < policy.rules.size()) r.rule = policy.rules[v.rule].name;
  }
  r.state = e.state;
  r.timeoutS = e.timeoutS;
  r.packets = e.packets;
  r.bytes = e.bytes;
  return r;
}

}  // namespace

bool snapshotConntrack(const policy::CompiledPolicy& policy, const std::vector<policy::IpAddress>& local,
                       const policy::LocalTime& now, size_t max, mgmt::FlowSnapshot& out, std::string& error) {
  out.backend = "nftables";
  out.total = 0;
  out.flows.clear();
  out.timeMs = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    error = std::string("ctnetlink: ") + std::strerror(errno);
    if (nl) mnl_socket_close(nl);
    return false;
  }
  const uint32_t portid = mnl_socket_get_portid(nl);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  const uint32_t seq = static_cast<uint32_t>(time(nullptr));
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  DumpState st{&policy, &local, now, max, &out};
  bool ok = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0;
  while (ok) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) {
      ok = false;
      break;
    }
    const int ret = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, onEntry, &st);
    if (ret < 0) ok = false;
    if (ret <= MNL_CB_STOP) break;
  }
  if (!ok) error = std::string("ctnetlink dump: ") + std::strerror(errno);
  mnl_socket_close(nl);
  return ok;
}

}  // namespace isogate::gateway
