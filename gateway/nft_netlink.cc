#include "gateway/nft_netlink.h"

#include <arpa/inet.h>  // before the kernel headers, which defer to glibc
#include <endian.h>
#include <libmnl/libmnl.h>
#include <libnftnl/gen.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

namespace isogate::gateway {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string errnoText(int err) { return std::strerror(err); }

// Top-level attributes of an nf_tables message, by type (up to 32).
struct Attrs {
  const nlattr* at[32] = {};
  const char* str(int type) const { return at[type] ? mnl_attr_get_str(at[type]) : ""; }
};

Attrs parseAttrs(const nlmsghdr* nlh) {
  Attrs a;
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* attr, void* data) {
        const int type = mnl_attr_get_type(attr);
        if (type < 32) static_cast<Attrs*>(data)->at[type] = attr;
        return MNL_CB_OK;
      },
      &a);
  return a;
}

uint16_t resIdOf(const nlmsghdr* nlh) {
  const auto* g = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  return ntohs(g->res_id);
}

}  // namespace

size_t NftTableCounts::rules() const {
  size_t n = 0;
  for (const auto& [_, count] : rulesPerChain) n += count;
  return n;
}

NftTableCounts expectedNftCounts(const policy::NftRuleset& rs) {
  NftTableCounts c;
  for (const auto& ch : rs.chains) {
    c.rulesPerChain[ch.name] = ch.rules.size();
    for (const auto& r : ch.rules)
      for (const auto& m : r.matches)
        if (m.setName.empty() && m.values.size() > 1) ++c.anonymousSets;
  }
  for (const auto& s : rs.sets) {
    std::vector<policy::NftInterval> keys;
    for (const auto& e : s.elements) keys.push_back(e.key);
    c.elementsPerSet[s.name] =
        nftKernelElementCount(keys, s.key == policy::NftKeyType::Ipv4Addr ? policy::Family::V4 : policy::Family::V6);
  }
  c.counters = rs.counters.size();
  return c;
}

std::string compareNftCounts(const NftTableCounts& kernel, const NftTableCounts& expected) {
  for (const auto& [name, n] : expected.rulesPerChain) {
    auto it = kernel.rulesPerChain.find(name);
    if (it == kernel.rulesPerChain.end()) return "chain " + name + " is missing in the kernel";
    if (it->second != n)
      return "chain " + name + ": " + std::to_string(it->second) + " rules in the kernel, " + std::to_string(n) +
             " expected";
  }
  for (const auto& [name, n] : kernel.rulesPerChain)
    if (!expected.rulesPerChain.count(name)) return "unexpected chain " + name + " in the kernel";
  for (const auto& [name, n] : expected.elementsPerSet) {
    auto it = kernel.elementsPerSet.find(name);
    if (it == kernel.elementsPerSet.end()) return "set " + name + " is missing in the kernel";
    if (it->second != n)
      return "set " + name + ": " + std::to_string(it->second) + " elements in the kernel, " + std::to_string(n) +
             " expected";
  }
  for (const auto& [name, n] : kernel.elementsPerSet)
    if (!expected.elementsPerSet.count(name)) return "unexpected set " + name + " in the kernel";
  if (kernel.anonymousSets != expected.anonymousSets)
    return std::to_string(kernel.anonymousSets) + " anonymous sets in the kernel, " +
           std::to_string(expected.anonymousSets) + " expected";
  if (kernel.counters != expected.counters)
    return std::to_string(kernel.counters) + " counters in the kernel, " + std::to_string(expected.counters) +
           " expected";
  return "";
}

NftNetlink::~NftNetlink() {
  if (nl_) mnl_socket_close(nl_);
}

bool NftNetlink::open(std::string* error) {
  nl_ = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl_) {
    if (error) *error = "cannot open a netfilter netlink socket: " + errnoText(errno);
    return false;
  }
  if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
    if (error) *error = "cannot bind the netfilter netlink socket: " + errnoText(errno);
    mnl_socket_close(nl_);
    nl_ = nullptr;
    return false;
  }
  portId_ = mnl_socket_get_portid(nl_);
  seq_ = static_cast<uint32_t>(std::time(nullptr));
  return true;
}

std::string NftNetlink::commit(const NftBatch& batch) {
  if (!batch.ok()) return batch.error;
  const int fd = mnl_socket_get_fd(nl_);
  // The whole transaction goes in one sendmsg, so the socket must take it.
  const int size = static_cast<int>(batch.bytes.size()) + (1 << 16);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (mnl_socket_sendto(nl_, batch.bytes.data(), batch.bytes.size()) < 0)
    return "cannot send the netlink batch (" + std::to_string(batch.bytes.size()) + " bytes): " + errnoText(errno);
  // nfnetlink handles the batch inside sendmsg: every answer is queued by
  // now, so read without waiting. Only the last command asked for an ACK;
  // errors are always reported.
  std::vector<char> buf(1 << 16);
  std::string firstError;
  bool acked = false;
  for (;;) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (firstError.empty()) firstError = "cannot read the kernel's answer: " + errnoText(errno);
      break;
    }
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      const uint32_t seq = err->msg.nlmsg_seq;
      if (err->error == 0) {
        acked |= seq == batch.lastSeq - 1;
        continue;
      }
      if (!firstError.empty()) continue;
      const size_t index = seq - batch.firstSeq;
      const std::string what = index < batch.what.size() ? batch.what[index] : "message " + std::to_string(seq);
      firstError = "the kernel rejected the transaction at " + what + ": " + errnoText(-err->error);
    }
  }
  if (!firstError.empty()) return firstError;
  if (!acked) return "the kernel did not acknowledge the transaction";
  return "";
}

std::optional<uint32_t> NftNetlink::generation(std::string* error) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  const uint32_t seq = nextSeq();
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, NLM_F_ACK, seq);
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    if (error) *error = "cannot ask for the generation: " + errnoText(errno);
    return std::nullopt;
  }
  std::optional<uint32_t> gen;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf, sizeof buf);
    if (n < 0) {
      if (error) *error = "cannot read the generation: " + errnoText(errno);
      return std::nullopt;
    }
    const int r = mnl_cb_run(
        buf, static_cast<size_t>(n), seq, portId_,
        [](const nlmsghdr* m, void* data) {
          nftnl_gen* g = nftnl_gen_alloc();
          if (nftnl_gen_nlmsg_parse(m, g) == 0) *static_cast<std::optional<uint32_t>*>(data) = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
          nftnl_gen_free(g);
          return MNL_CB_OK;
        },
        &gen);
    if (r < 0) {
      if (error) *error = "cannot read the generation: " + errnoText(errno);
      return std::nullopt;
    }
    if (r == MNL_CB_STOP) break;
  }
  if (!gen && error) *error = "the kernel sent no generation";
  return gen;
}

std::string NftNetlink::dump(uint16_t type, const std::string& name,
                             const std::function<void(const nlmsghdr*)>& onMessage, uint16_t* resId) {
  std::vector<char> buf(1 << 20);
  const uint32_t seq = nextSeq();
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), type, NFPROTO_INET, NLM_F_DUMP, seq);
  if (type == NFT_MSG_GETSETELEM) {
    nftnl_set* s = nftnl_set_alloc();
    nftnl_set_set_str(s, NFTNL_SET_TABLE, policy::kNftTable);
    nftnl_set_set_str(s, NFTNL_SET_NAME, name.c_str());
    nftnl_set_elems_nlmsg_build_payload(nlh, s);
    nftnl_set_free(s);
  } else {
    mnl_attr_put_strz(nlh, 1 /* NFTA_*_TABLE */, policy::kNftTable);
    // Rules are dumped one chain at a time: the kernel looks the chain up by
    // name and only skips that chain's rules on each continuation.
    if (type == NFT_MSG_GETRULE && !name.empty()) mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, name.c_str());
  }
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return "cannot send a dump request: " + errnoText(errno);
  struct Ctx {
    const std::function<void(const nlmsghdr*)>* on;
    uint16_t* resId;
    bool mixed = false;
    bool first = true;
  } ctx{&onMessage, resId};
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
    if (n < 0) return "cannot read a dump: " + errnoText(errno);
    const int r = mnl_cb_run(
        buf.data(), static_cast<size_t>(n), seq, portId_,
        [](const nlmsghdr* m, void* data) {
          auto* c = static_cast<Ctx*>(data);
          const uint16_t id = resIdOf(m);
          if (c->first) {
            *c->resId = id;
            c->first = false;
          } else if (*c->resId != id) {
            c->mixed = true;
          }
          (*c->on)(m);
          return MNL_CB_OK;
        },
        &ctx);
    if (r < 0) return "dump failed: " + errnoText(errno);
    if (r == MNL_CB_STOP) break;
  }
  if (ctx.mixed) return "the ruleset changed during the readback";
  return "";
}

std::optional<NftTableCounts> NftNetlink::readBack(std::string* error, uint32_t* generationOut) {
  auto fail = [&](const std::string& e) -> std::optional<NftTableCounts> {
    if (error) *error = e;
    return std::nullopt;
  };
  std::string err;
  const auto gen = generation(&err);
  if (!gen) return fail(err);
  const uint16_t want = static_cast<uint16_t>(*gen & 0xffff);
  NftTableCounts c;
  bool tableFound = false;
  auto check = [&](uint16_t resId, bool any) { return !any || resId == want; };
  uint16_t resId = want;
  bool any = false;
  err = dump(NFT_MSG_GETTABLE, "", [&](const nlmsghdr* m) {
    any = true;
    tableFound |= std::strcmp(parseAttrs(m).str(NFTA_TABLE_NAME), policy::kNftTable) == 0;
  }, &resId);
  if (!err.empty()) return fail(err);
  if (!tableFound) return fail("table inet isogate is not in the kernel");
  if (!check(resId, any)) return fail("the ruleset changed during the readback");
  any = false;
  err = dump(NFT_MSG_GETCHAIN, "", [&](const nlmsghdr* m) {
    const Attrs a = parseAttrs(m);
    if (std::strcmp(a.str(NFTA_CHAIN_TABLE), policy::kNftTable) != 0) return;
    any = true;
    c.rulesPerChain[a.str(NFTA_CHAIN_NAME)] = 0;
  }, &resId);
  if (!err.empty()) return fail(err);
  if (!check(resId, any)) return fail("the ruleset changed during the readback");
  for (auto& [chain, count] : c.rulesPerChain) {
    any = false;
    err = dump(NFT_MSG_GETRULE, chain, [&](const nlmsghdr* m) {
      const Attrs a = parseAttrs(m);
      if (std::strcmp(a.str(NFTA_RULE_TABLE), policy::kNftTable) != 0 || chain != a.str(NFTA_RULE_CHAIN)) return;
      any = true;
      ++count;
    }, &resId);
    if (!err.empty()) return fail("chain " + chain + ": " + err);
    if (!check(resId, any)) return fail("the ruleset changed during the readback");
  }
  std::vector<std::string> named;
  any = false;
  err = dump(NFT_MSG_GETSET, "", [&](const nlmsghdr* m) {
    const Attrs a = parseAttrs(m);
    if (std::strcmp(a.str(NFTA_SET_TABLE), policy::kNftTable) != 0) return;
    any = true;
    const uint32_t flags = a.at[NFTA_SET_FLAGS] ? ntohl(mnl_attr_get_u32(a.at[NFTA_SET_FLAGS])) : 0;
    if (flags & NFT_SET_ANONYMOUS) {
      ++c.anonymousSets;
    } else {
      named.push_back(a.str(NFTA_SET_NAME));
    }
  }, &resId);
  if (!err.empty()) return fail(err);
  if (!check(resId, any)) return fail("the ruleset changed during the readback");
  for (const auto& name : named) {
    size_t count = 0;
    any = false;
    err = dump(NFT_MSG_GETSETELEM, name, [&](const nlmsghdr* m) {
      any = true;
      const Attrs a = parseAttrs(m);
      if (!a.at[NFTA_SET_ELEM_LIST_ELEMENTS]) return;
      const nlattr* nest = a.at[NFTA_SET_ELEM_LIST_ELEMENTS];
      const char* payload = static_cast<const char*>(mnl_attr_get_payload(nest));
      const char* end = payload + mnl_attr_get_payload_len(nest);
      for (auto* el = reinterpret_cast<const nlattr*>(payload);
           mnl_attr_ok(el, static_cast<int>(end - reinterpret_cast<const char*>(el))); el = mnl_attr_next(el))
        ++count;
    }, &resId);
    if (!err.empty()) return fail("set " + name + ": " + err);
    if (!check(resId, any)) return fail("the ruleset changed during the readback");
    c.elementsPerSet[name] = count;
  }
  any = false;
  err = dump(NFT_MSG_GETOBJ, "", [&](const nlmsghdr* m) {
    const Attrs a = parseAttrs(m);
    if (std::strcmp(a.str(NFTA_OBJ_TABLE), policy::kNftTable) != 0) return;
    any = true;
    ++c.counters;
  }, &resId);
  if (!err.empty()) return fail(err);
  if (!check(resId, any)) return fail("the ruleset changed during the readback");
  std::string again;
  const auto after = generation(&again);
  if (!after) return fail(again);
  if (*after != *gen) return fail("the ruleset changed during the readback");
  if (generationOut) *generationOut = *gen;
  return c;
}

namespace {

// A counter object of table inet isogate (an NFT_MSG_NEWOBJ message): false for anything else.
bool counterOf(const nlmsghdr* m, std::string& name, NftNetlink::CounterValue& v) {
  const Attrs a = parseAttrs(m);
  if (std::strcmp(a.str(NFTA_OBJ_TABLE), policy::kNftTable) != 0) return false;
  if (!a.at[NFTA_OBJ_TYPE] || ntohl(mnl_attr_get_u32(a.at[NFTA_OBJ_TYPE])) != NFT_OBJECT_COUNTER) return false;
  if (!a.at[NFTA_OBJ_DATA]) return false;
  v = {};
  const nlattr* nested = a.at[NFTA_OBJ_DATA];
  const auto* end = reinterpret_cast<const char*>(nested) + mnl_attr_get_len(nested);
  for (auto* at = static_cast<const nlattr*>(mnl_attr_get_payload(nested));
       mnl_attr_ok(at, static_cast<int>(end - reinterpret_cast<const char*>(at))); at = mnl_attr_next(at)) {
    if (mnl_attr_get_type(at) == NFTA_COUNTER_PACKETS) v.packets = be64toh(mnl_attr_get_u64(at));
    if (mnl_attr_get_type(at) == NFTA_COUNTER_BYTES) v.bytes = be64toh(mnl_attr_get_u64(at));
  }
  name = a.str(NFTA_OBJ_NAME);
  return true;
}

}  // namespace

std::optional<std::map<std::string, NftNetlink::CounterValue>> NftNetlink::countersByName(
    const std::vector<std::string>& names, std::string* error) {
  auto fail = [&](const std::string& e) -> std::optional<std::map<std::string, CounterValue>> {
    if (error) *error = "cannot read the counters: " + e;
    return std::nullopt;
  };
  // Each answer is a message of its own (a few KB of socket buffer): room for a batch of them.
  constexpr size_t kBatch = 256;
  const int room = 8 << 20;
  setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room);
  std::map<std::string, CounterValue> out;
  std::vector<char> req(kBatch * 512), buf(1 << 20);
  for (size_t i = 0; i < names.size();) {
    size_t used = 0, asked = 0;
    const uint32_t first = seq_;
    for (; i < names.size() && asked < kBatch; ++i, ++asked) {
      if (names[i].size() > 256) return fail("counter name too long: " + names[i].substr(0, 64));
      nlmsghdr* nlh = nftnl_nlmsg_build_hdr(req.data() + used, NFT_MSG_GETOBJ, NFPROTO_INET, 0, nextSeq());
      mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, policy::kNftTable);
      mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, names[i].c_str());
      mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
      used += NLMSG_ALIGN(nlh->nlmsg_len);
    }
    if (mnl_socket_sendto(nl_, req.data(), used) < 0) return fail("cannot send the requests: " + errnoText(errno));
    // Every answer of the batch is read, also after an error: one left in the socket would
    // confuse the next request on it (a dump, a commit).
    size_t answered = 0;
    std::string firstError;
    while (answered < asked) {
      const ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
      if (n < 0) return fail("cannot read the answers: " + errnoText(errno));
      int left = static_cast<int>(n);
      for (auto* m = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(m, left);
           m = mnl_nlmsg_next(m, &left)) {
        if (m->nlmsg_pid != portId_ || m->nlmsg_seq - first >= asked) continue;  // not an answer to this batch
        ++answered;
        std::string name;
        CounterValue v;
        if (m->nlmsg_type == NLMSG_ERROR) {
          const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
          const size_t at = i - asked + (m->nlmsg_seq - first);
          if (firstError.empty()) firstError = "counter " + names[at] + ": " + errnoText(-e->error);
        } else if (counterOf(m, name, v)) {
          out[name] = v;
        } else if (firstError.empty()) {
          firstError = "unexpected answer (message type " + std::to_string(m->nlmsg_type) + ")";
        }
      }
    }
    if (!firstError.empty()) return fail(firstError);
  }
  return out;
}

std::optional<std::map<std::string, NftNetlink::CounterValue>> NftNetlink::counters(std::string* error) {
  std::map<std::string, CounterValue> out;
  uint16_t resId = 0;
  const std::string err = dump(NFT_MSG_GETOBJ, "", [&](const nlmsghdr* m) {
    std::string name;
    CounterValue v;
    if (counterOf(m, name, v)) out[name] = v;
  }, &resId);
  if (!err.empty()) {
    if (error) *error = "cannot read the counters: " + err;
    return std::nullopt;
  }
  return out;
}

std::string NftNetlink::verify(const policy::NftRuleset& ruleset) {
  std::string err;
  const auto kernel = readBack(&err);
  if (!kernel) return "readback failed: " + err;
  const std::string diff = compareNftCounts(*kernel, expectedNftCounts(ruleset));
  return diff.empty() ? "" : "readback mismatch: " + diff;
}

NftApplyResult NftNetlink::apply(const policy::NftRuleset& ruleset) {
  NftApplyResult r;
  if (!nl_) {
    r.error = "netlink socket not open";
    return r;
  }
  std::string err;
  const auto before = generation(&err);
  if (!before) {
    r.error = err;
    return r;
  }
  auto t = Clock::now();
  const NftBatch batch = encodeNftBatch(ruleset, nextSeq(0));
  r.encodeSeconds = since(t);
  if (!batch.ok()) {
    r.error = batch.error;
    return r;
  }
  nextSeq(static_cast<uint32_t>(batch.what.size()));
  r.messages = batch.what.size();
  r.bytes = batch.bytes.size();
  t = Clock::now();
  r.error = commit(batch);
  r.commitSeconds = since(t);
  if (!r.error.empty()) return r;
  t = Clock::now();
  uint32_t gen = 0;
  const auto kernel = readBack(&err, &gen);
  r.verifySeconds = since(t);
  if (!kernel) {
    r.error = "committed, but the readback failed: " + err;
    return r;
  }
  if (gen == *before) {
    r.error = "committed, but the ruleset generation did not change (" + std::to_string(gen) + ")";
    return r;
  }
  const std::string diff = compareNftCounts(*kernel, expectedNftCounts(ruleset));
  if (!diff.empty()) {
    r.error = "committed, but the readback does not match: " + diff;
    return r;
  }
  r.generation = gen;
  r.ok = true;
  return r;
}

std::string NftNetlink::removeTable() {
  NftBatch b;
  b.firstSeq = nextSeq(4);
  b.bytes.resize(4 * MNL_SOCKET_BUFFER_SIZE);
  char* p = b.bytes.data();
  nlmsghdr* begin = nftnl_batch_begin(p, b.firstSeq);
  p += NLMSG_ALIGN(begin->nlmsg_len);
  for (uint16_t type : {static_cast<uint16_t>(NFT_MSG_NEWTABLE), static_cast<uint16_t>(NFT_MSG_DELTABLE)}) {
    nftnl_table* t = nftnl_table_alloc();
    nftnl_table_set_str(t, NFTNL_TABLE_NAME, policy::kNftTable);
    nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
    const uint32_t seq = b.firstSeq + (type == NFT_MSG_NEWTABLE ? 1 : 2);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(p, type, NFPROTO_INET,
                                          type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : NLM_F_ACK, seq);
    nftnl_table_nlmsg_build_payload(nlh, t);
    nftnl_table_free(t);
    p += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  nlmsghdr* end = nftnl_batch_end(p, b.firstSeq + 3);
  p += NLMSG_ALIGN(end->nlmsg_len);
  b.bytes.resize(static_cast<size_t>(p - b.bytes.data()));
  b.what = {"batch begin", "add table inet isogate", "delete table inet isogate", "batch end"};
  b.lastSeq = b.firstSeq + 3;
  return commit(b);
}

}  // namespace isogate::gateway
