#include "gateway/nft_batch.h"

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <memory>
#include <stdexcept>

#include "gateway/nft_rule_encoder.h"

namespace isogate::gateway {

using policy::Family;
using policy::NftInterval;
using policy::NftRuleset;
using policy::NftSet;
using policy::U128;

namespace {

constexpr size_t kHeadroom = 1 << 20;    // the largest single message we build is far below this
constexpr size_t kElementsPerMsg = 512;  // kernel elements per NEWSETELEM message

struct TableDel { void operator()(nftnl_table* p) const { nftnl_table_free(p); } };
struct ChainDel { void operator()(nftnl_chain* p) const { nftnl_chain_free(p); } };
struct SetDel { void operator()(nftnl_set* p) const { nftnl_set_free(p); } };
struct ObjDel { void operator()(nftnl_obj* p) const { nftnl_obj_free(p); } };
struct RuleDel { void operator()(nftnl_rule* p) const { nftnl_rule_free(p); } };
struct UdataDel { void operator()(nftnl_udata_buf* p) const { nftnl_udata_buf_free(p); } };

// Growing buffer of netlink messages (the batch can be tens of MB, more than
// one fixed mnl_nlmsg_batch page); each message gets the next sequence number.
class Writer {
 public:
  explicit Writer(NftBatch& b) : b_(b) { seq_ = b.firstSeq; }

  char* next() {
    if (b_.bytes.size() < off_ + kHeadroom) b_.bytes.resize(std::max(b_.bytes.size() * 2, off_ + kHeadroom));
    return b_.bytes.data() + off_;
  }
  uint32_t seq() const { return seq_; }
  nlmsghdr* header(uint16_t type, uint16_t flags) {
    return nftnl_nlmsg_build_hdr(next(), type, NFPROTO_INET, flags, seq_);
  }
  void done(nlmsghdr* nlh, std::string what) {
    last_ = off_;
    off_ += NLMSG_ALIGN(nlh->nlmsg_len);
    b_.what.push_back(std::move(what));
    ++seq_;
  }
  void finish() { b_.bytes.resize(off_); }
  nlmsghdr* lastMessage() { return reinterpret_cast<nlmsghdr*>(b_.bytes.data() + last_); }

 private:
  NftBatch& b_;
  size_t off_ = 0, last_ = 0;
  uint32_t seq_ = 0;
};

std::unique_ptr<nftnl_table, TableDel> table() {
  std::unique_ptr<nftnl_table, TableDel> t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, policy::kNftTable);
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  return t;
}

void addTable(Writer& w, uint16_t type, uint16_t flags, const char* what) {
  auto t = table();
  nlmsghdr* nlh = w.header(type, flags);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  w.done(nlh, what);
}

void addCounter(Writer& w, const policy::NftCounter& c) {
  std::unique_ptr<nftnl_obj, ObjDel> o(nftnl_obj_alloc());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, policy::kNftTable);
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, c.name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_FAMILY, NFPROTO_INET);
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  nlmsghdr* nlh = w.header(NFT_MSG_NEWOBJ, NLM_F_CREATE);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  w.done(nlh, "add counter " + c.name);
}

uint32_t hookNum(policy::NftHook h) {
  switch (h) {
    case policy::NftHook::Input: return NF_INET_LOCAL_IN;
    case policy::NftHook::Forward: return NF_INET_FORWARD;
    case policy::NftHook::Output: return NF_INET_LOCAL_OUT;
  }
  return NF_INET_FORWARD;
}

void addChain(Writer& w, const policy::NftChain& c) {
  std::unique_ptr<nftnl_chain, ChainDel> ch(nftnl_chain_alloc());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, policy::kNftTable);
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, c.name.c_str());
  nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  if (c.base) {
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, hookNum(c.base->hook));
    nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, c.base->priority);
    nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, "filter");
    nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, c.base->policyDrop ? NF_DROP : NF_ACCEPT);
  }
  nlmsghdr* nlh = w.header(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
  nftnl_chain_nlmsg_build_payload(nlh, ch.get());
  w.done(nlh, "add chain " + c.name);
}

// One element as the kernel stores it: a start (flags 0) or the end marker
// of an interval (INTERVAL_END, key = last + 1).
struct KernelElement {
  U128 key = 0;
  bool end = false;
  bool open = false;  // the interval runs to the family's maximum (nft marks it in userdata)
  const policy::NftVerdict* verdict = nullptr;
};

U128 familyMax(Family f) { return f == Family::V4 ? U128{0xffffffffu} : ~U128{0}; }

template <class GetInterval, class GetVerdict>
std::vector<KernelElement> kernelElements(size_t n, GetInterval interval, GetVerdict verdict, Family f) {
  std::vector<KernelElement> out;
  for (size_t i = 0; i < n; ++i) {
    const NftInterval iv = interval(i);
    if (i == 0 && iv.first != 0) out.push_back({0, true, false, nullptr});
    const bool open = iv.last == familyMax(f);
    out.push_back({iv.first, false, open, verdict(i)});
    if (!open) out.push_back({iv.last + 1, true, false, nullptr});
  }
  return out;
}

std::vector<KernelElement> elementsOf(const NftSet& s) {
  const Family f = s.key == policy::NftKeyType::Ipv4Addr ? Family::V4 : Family::V6;
  return kernelElements(
      s.elements.size(), [&](size_t i) { return s.elements[i].key; },
      [&](size_t i) { return s.isMap ? &s.elements[i].verdict : nullptr; }, f);
}

uint32_t verdictCode(policy::NftVerdictKind k) {
  switch (k) {
    case policy::NftVerdictKind::Accept: return NF_ACCEPT;
    case policy::NftVerdictKind::Drop: return NF_DROP;
    case policy::NftVerdictKind::Jump: return static_cast<uint32_t>(NFT_JUMP);
    case policy::NftVerdictKind::Goto: return static_cast<uint32_t>(NFT_GOTO);
    case policy::NftVerdictKind::None: break;
  }
  throw std::invalid_argument("a map element without a verdict");
}

std::unique_ptr<nftnl_set, SetDel> setHandle(const std::string& name, uint32_t id) {
  std::unique_ptr<nftnl_set, SetDel> s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, policy::kNftTable);
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  return s;
}

void addElements(Writer& w, const std::string& name, uint32_t id, Family f, const std::vector<KernelElement>& els) {
  const uint32_t len = f == Family::V4 ? 4 : 16;
  for (size_t from = 0; from < els.size(); from += kElementsPerMsg) {
    auto s = setHandle(name, id);
    const size_t to = std::min(els.size(), from + kElementsPerMsg);
    for (size_t i = from; i < to; ++i) {
      const auto& e = els[i];
      nftnl_set_elem* el = nftnl_set_elem_alloc();
      const auto key = addressBytes(e.key, f);
      nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key.data(), len);
      if (e.end) nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      if (e.verdict) {
        nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, verdictCode(e.verdict->kind));
        if (!e.verdict->chain.empty()) nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, e.verdict->chain.c_str());
      }
      if (e.open) {
        std::unique_ptr<nftnl_udata_buf, UdataDel> ud(nftnl_udata_buf_alloc(16));
        nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_ELEM_FLAGS, 1 /* NFTNL_SET_ELEM_F_INTERVAL_OPEN */);
        nftnl_set_elem_set(el, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
      }
      nftnl_set_elem_add(s.get(), el);
    }
    nlmsghdr* nlh = w.header(NFT_MSG_NEWSETELEM, NLM_F_CREATE);
    nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
    w.done(nlh, "add elements to set " + name);
  }
}

// Set userdata as nft writes it (key byte order big endian; for verdict
// maps also the data byte order and interval flag), so `nft list` shows the
// same thing whichever emitter loaded the table.
void setUserdata(nftnl_set* s, bool isMap, const AnonymousSetTypeof* typeOf) {
  std::unique_ptr<nftnl_udata_buf, UdataDel> ud(nftnl_udata_buf_alloc(64));
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, 2 /* BYTEORDER_BIG_ENDIAN */);
  if (isMap) {
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATABYTEORDER, 0);
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_DATA_INTERVAL, 0);
  }
  if (typeOf) {
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_MERGE_ELEMENTS, 1);
    nftnl_udata* nest = nftnl_udata_nest_start(ud.get(), NFTNL_UDATA_SET_KEY_TYPEOF);
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_TYPEOF_EXPR, 7 /* payload */);
    nftnl_udata* data = nftnl_udata_nest_start(ud.get(), NFTNL_UDATA_SET_TYPEOF_DATA);
    nftnl_udata_put_u32(ud.get(), 0 /* protocol description */, typeOf->protoDesc);
    nftnl_udata_put_u32(ud.get(), 1 /* header field */, typeOf->field);
    nftnl_udata_nest_end(ud.get(), data);
    nftnl_udata_nest_end(ud.get(), nest);
  }
  nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
}

void addNamedSet(Writer& w, const NftSet& set, uint32_t id) {
  const Family f = set.key == policy::NftKeyType::Ipv4Addr ? Family::V4 : Family::V6;
  auto s = setHandle(set.name, id);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_INTERVAL | (set.isMap ? NFT_SET_MAP : 0));
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, f == Family::V4 ? 7 /* ipv4_addr */ : 8 /* ipv6_addr */);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, f == Family::V4 ? 4 : 16);
  if (set.isMap) {
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, 16);
  }
  setUserdata(s.get(), set.isMap, nullptr);
  nlmsghdr* nlh = w.header(NFT_MSG_NEWSET, NLM_F_CREATE);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  w.done(nlh, "add set " + set.name);
  addElements(w, set.name, id, f, elementsOf(set));
}

class BatchEncoder {
 public:
  explicit BatchEncoder(NftBatch& b) : w_(b), b_(b) {}

  void encode(const NftRuleset& rs) {
    nlmsghdr* begin = nftnl_batch_begin(w_.next(), w_.seq());
    w_.done(begin, "batch begin");
    addTable(w_, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table inet isogate (so it exists to delete)");
    addTable(w_, NFT_MSG_DELTABLE, 0, "delete table inet isogate");
    addTable(w_, NFT_MSG_NEWTABLE, NLM_F_CREATE, "add table inet isogate");
    for (const auto& c : rs.counters) addCounter(w_, c);
    for (const auto& c : rs.chains) addChain(w_, c);
    for (const auto& s : rs.sets) addNamedSet(w_, s, nextSetId_++);
    for (const auto& c : rs.chains)
      for (size_t i = 0; i < c.rules.size(); ++i) addRule(c, i);
    // Ask for one ACK, on the last command: its arrival (or an error) tells
    // the sender how the transaction ended.
    w_.lastMessage()->nlmsg_flags |= NLM_F_ACK;
    nlmsghdr* end = nftnl_batch_end(w_.next(), w_.seq());
    b_.lastSeq = w_.seq();
    w_.done(end, "batch end");
    w_.finish();
  }

 private:
  void addRule(const policy::NftChain& c, size_t index) {
    const auto& rule = c.rules[index];
    std::unique_ptr<nftnl_rule, RuleDel> r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, policy::kNftTable);
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.name.c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
    RuleEncoder enc(r.get(), [&](const AnonymousSet& set) { return addAnonymousSet(c, index, set); });
    try {
      enc.encode(rule);
    } catch (const std::exception& e) {
      throw std::invalid_argument("chain " + c.name + " rule " + std::to_string(index) + ": " + e.what());
    }
    if (!rule.comment.empty()) {
      std::unique_ptr<nftnl_udata_buf, UdataDel> ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
      nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_RULE_COMMENT, rule.comment.c_str());
      nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.get()), nftnl_udata_buf_len(ud.get()));
    }
    nlmsghdr* nlh = w_.header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    w_.done(nlh, "add rule " + std::to_string(index) + " to chain " + c.name +
                     (rule.comment.empty() ? std::string() : " (" + rule.comment + ")"));
  }

  // An inline list of addresses: an anonymous constant interval set, sent
  // just before the rule that looks it up by id, as nft does.
  uint32_t addAnonymousSet(const policy::NftChain& c, size_t index, const AnonymousSet& a) {
    const uint32_t id = nextSetId_++;
    auto s = setHandle("__set%d", id);
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, a.family == Family::V4 ? 7 : 8);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, a.family == Family::V4 ? 4 : 16);
    const auto els = kernelElements(
        a.values->size(), [&](size_t i) { return (*a.values)[i]; }, [](size_t) { return nullptr; }, a.family);
    nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, static_cast<uint32_t>(els.size()));
    setUserdata(s.get(), false, &a.typeOf);
    nlmsghdr* nlh = w_.header(NFT_MSG_NEWSET, NLM_F_CREATE);
    nftnl_set_nlmsg_build_payload(nlh, s.get());
    w_.done(nlh, "add anonymous set for rule " + std::to_string(index) + " of chain " + c.name);
    addElements(w_, "__set%d", id, a.family, els);
    return id;
  }

  Writer w_;
  NftBatch& b_;
  uint32_t nextSetId_ = 1;
};

}  // namespace

NftBatch encodeNftBatch(const NftRuleset& ruleset, uint32_t firstSeq) {
  NftBatch b;
  b.firstSeq = firstSeq;
  try {
    BatchEncoder(b).encode(ruleset);
  } catch (const std::exception& e) {
    NftBatch failed;
    failed.firstSeq = firstSeq;
    failed.error = std::string("cannot encode the ruleset: ") + e.what();
    return failed;
  }
  return b;
}

size_t nftKernelElementCount(const std::vector<NftInterval>& v, Family f) {
  return kernelElements(v.size(), [&](size_t i) { return v[i]; }, [](size_t) { return nullptr; }, f).size();
}

}  // namespace isogate::gateway
