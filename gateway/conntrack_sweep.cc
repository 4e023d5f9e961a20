#include "gateway/conntrack_sweep.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include "policy/evaluate.h"

namespace isogate::gateway {

namespace {

// One entry to remove: its family, the original tuple (nested attribute payload, copied
// as the kernel sent it) and its conntrack zone.
struct Doomed {
  uint8_t family = 0;
  std::vector<uint8_t> tuple;
  std::optional<uint16_t> zone;  // network order, as sent
};

struct DumpState {
  const policy::CompiledPolicy* policy;
  const std::vector<policy::IpAddress>* local;
  policy::LocalTime now;
  std::vector<Doomed> doomed;
  size_t seen = 0;
};

// Attributes from `first` up to `end` (libmnl's iteration macros do not compile as C++).
template <class Fn>
void forEachAttr(const void* first, const void* end, Fn fn) {
  const auto* a = static_cast<const nlattr*>(first);
  while (mnl_attr_ok(a, static_cast<int>(static_cast<const char*>(end) - reinterpret_cast<const char*>(a)))) {
    fn(a);
    a = mnl_attr_next(a);
  }
}

std::vector<const nlattr*> nested(const nlattr* attr, int max) {
  std::vector<const nlattr*> tb(max + 1, nullptr);
  const char* payload = static_cast<const char*>(mnl_attr_get_payload(attr));
  forEachAttr(payload, payload + mnl_attr_get_payload_len(attr), [&](const nlattr* a) {
    int type = mnl_attr_get_type(a);
    if (type <= max) tb[type] = a;
  });
  return tb;
}

policy::IpAddress readAddress(const nlattr* a, policy::Family f) {
  policy::IpAddress out{f, 0};
  const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
  int bytes = f == policy::Family::V4 ? 4 : 16;
  for (int i = 0; i < bytes && i < static_cast<int>(mnl_attr_get_payload_len(a)); ++i) out.value = out.value << 8 | p[i];
  return out;
}

std::optional<policy::PacketKey> readTuple(const nlattr* tuple) {
  auto t = nested(tuple, CTA_TUPLE_MAX);
  if (!t[CTA_TUPLE_IP] || !t[CTA_TUPLE_PROTO]) return std::nullopt;
  auto ip = nested(t[CTA_TUPLE_IP], CTA_IP_MAX);
  auto pr = nested(t[CTA_TUPLE_PROTO], CTA_PROTO_MAX);
  policy::PacketKey k;
  if (ip[CTA_IP_V4_SRC] && ip[CTA_IP_V4_DST]) {
    k.src = readAddress(ip[CTA_IP_V4_SRC], policy::Family::V4);
    k.dst = readAddress(ip[CTA_IP_V4_DST], policy::Family::V4);
  } else if (ip[CTA_IP_V6_SRC] && ip[CTA_IP_V6_DST]) {
    k.src = readAddress(ip[CTA_IP_V6_SRC], policy::Family::V6);
    k.dst = readAddress(ip[CTA_IP_V6_DST], policy::Family::V6);
  } else {
    return std::nullopt;
  }
  if (!pr[CTA_PROTO_NUM]) return std::nullopt;
  k.protocol = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
  if (pr[CTA_PROTO_SRC_PORT]) k.sport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]));
  if (pr[CTA_PROTO_DST_PORT]) k.dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
  if (pr[CTA_PROTO_ICMP_TYPE]) k.icmpType = mnl_attr_get_u8(pr[CTA_PROTO_ICMP_TYPE]);
  if (pr[CTA_PROTO_ICMPV6_TYPE]) k.icmpType = mnl_attr_get_u8(pr[CTA_PROTO_ICMPV6_TYPE]);
  return k;
}

int onEntry(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<DumpState*>(data);
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* orig = nullptr;
  const nlattr* zone = nullptr;
  forEachAttr(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)), mnl_nlmsg_get_payload_tail(nlh),
              [&](const nlattr* a) {
                if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG) orig = a;
                if (mnl_attr_get_type(a) == CTA_ZONE) zone = a;
              });
  if (!orig) return MNL_CB_OK;
  ++st->seen;
  auto key = readTuple(orig);
  if (!key) return MNL_CB_OK;
  for (const auto& l : *st->local) {
    if (l == key->src || l == key->dst) return MNL_CB_OK;
  }
  if (policy::evaluateCompiled(*st->policy, *key, st->now).allow) return MNL_CB_OK;
  Doomed d;
  d.family = nfg->nfgen_family;
  const auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(orig));
  d.tuple.assign(p, p + mnl_attr_get_payload_len(orig));
  if (zone) d.zone = mnl_attr_get_u16(zone);
  st->doomed.push_back(std::move(d));
  return MNL_CB_OK;
}

nlmsghdr* header(char* buf, uint16_t msg, uint16_t flags, uint8_t family, uint32_t seq) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = family;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = 0;
  return nlh;
}

}  // namespace

SweepResult sweepConntrack(const policy::CompiledPolicy& policy, const std::vector<policy::IpAddress>& local,
                           const policy::LocalTime& now) {
  SweepResult r;
  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    r.error = std::string("ctnetlink: ") + std::strerror(errno);
    if (nl) mnl_socket_close(nl);
    return r;
  }
  const uint32_t portid = mnl_socket_get_portid(nl);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  DumpState st{&policy, &local, now, {}, 0};
  uint32_t seq = static_cast<uint32_t>(time(nullptr));
  nlmsghdr* nlh = header(buf.data(), IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC, seq);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
    r.error = std::string("ctnetlink dump: ") + std::strerror(errno);
    mnl_socket_close(nl);
    return r;
  }
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) {
      r.error = std::string("ctnetlink dump: ") + std::strerror(errno);
      mnl_socket_close(nl);
      return r;
    }
    int ret = mnl_cb_run(buf.data(), n, seq, portid, onEntry, &st);
    if (ret < 0) {
      r.error = std::string("ctnetlink dump: ") + std::strerror(errno);
      mnl_socket_close(nl);
      return r;
    }
    if (ret == MNL_CB_STOP) break;
  }
  r.seen = st.seen;
  // Deletes after the dump, one acknowledged request each; an entry that ended meanwhile
  // (ENOENT) is simply gone already.
  for (const auto& d : st.doomed) {
    nlh = header(buf.data(), IPCTNL_MSG_CT_DELETE, NLM_F_ACK, d.family, ++seq);
    mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, d.tuple.size(), d.tuple.data());
    if (d.zone) mnl_attr_put_u16(nlh, CTA_ZONE, *d.zone);
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) continue;
    ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) continue;
    if (mnl_cb_run(buf.data(), n, seq, portid, nullptr, nullptr) >= 0) ++r.removed;
  }
  mnl_socket_close(nl);
  r.ok = true;
  return r;
}

}  // namespace isogate::gateway
