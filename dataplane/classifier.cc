#include "dataplane/classifier.h"

#include <rte_acl.h>
#include <rte_errno.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace isogate::dataplane {
namespace {

RTE_ACL_RULE_DEF(AclRule4, 5);
RTE_ACL_RULE_DEF(AclRule6, 11);

// A protocol block (value/mask) with the constraints that apply to it.
struct Block {
  uint8_t protoValue, protoMask;
  uint16_t portLo, portHi, icmpLo, icmpHi;
};

// [first, last] as aligned power-of-two blocks of protocol numbers.
void protoBlocks(int first, int last, const Block& shape, std::vector<Block>& out) {
  while (first <= last) {
    int size = 1;
    while ((first & (size * 2 - 1)) == 0 && first + size * 2 - 1 <= last && size < 256) size *= 2;
    Block b = shape;
    b.protoValue = static_cast<uint8_t>(first);
    b.protoMask = static_cast<uint8_t>(~(size - 1));
    out.push_back(b);
    first += size;
  }
}

// Lowers one match term so that, as in policy::termMatches, the port range only
// constrains TCP/UDP and the type range only ICMP/ICMPv6; other protocols match
// on the number alone. The key carries 0 in the field that does not apply.
void lowerTerm(const policy::MatchTerm& t, std::vector<Block>& out) {
  const bool portsFull = t.portFirst == 0 && t.portLast == 65535;
  const bool icmpFull = t.icmpFirst == 0 && t.icmpLast == 255;
  const Block any{0, 0, 0, 65535, 0, 65535};
  int cur = t.protoFirst;
  for (int s : {1, 6, 17, 58}) {
    const bool isPort = s == 6 || s == 17;
    if ((isPort && portsFull) || (!isPort && icmpFull)) continue;
    if (s < cur || s > t.protoLast) continue;
    if (cur < s) protoBlocks(cur, s - 1, any, out);
    Block b = any;
    if (isPort) {
      b.portLo = t.portFirst;
      b.portHi = t.portLast;
    } else {
      b.icmpLo = t.icmpFirst;
      b.icmpHi = t.icmpLast;
    }
    protoBlocks(s, s, b, out);
    cur = s + 1;
  }
  if (cur <= t.protoLast) protoBlocks(cur, t.protoLast, any, out);
}

struct Side {
  bool wildcard = true;
  unsigned __int128 base = 0;
  uint8_t length = 0;
};

// The rule's networks of one family; empty result = the rule cannot match this family.
std::vector<Side> sides(const std::vector<policy::Prefix>& nets, policy::Family f) {
  if (nets.empty()) return {Side{}};
  std::vector<Side> out;
  for (const auto& p : nets) {
    if (p.family == f) out.push_back({false, p.base, p.length});
  }
  return out;
}

void setMask32(rte_acl_field& f, uint32_t value, int length) {
  f.value.u32 = value;
  f.mask_range.u32 = static_cast<uint32_t>(length < 0 ? 0 : (length > 32 ? 32 : length));
}

void fillCommon(rte_acl_field* fld, const Block& b, int portField, int icmpField) {
  fld[0].value.u8 = b.protoValue;
  fld[0].mask_range.u8 = b.protoMask;
  fld[portField].value.u16 = b.portLo;
  fld[portField].mask_range.u16 = b.portHi;
  fld[icmpField].value.u16 = b.icmpLo;
  fld[icmpField].mask_range.u16 = b.icmpHi;
}

rte_acl_field_def def(uint8_t type, uint8_t size, uint8_t index, uint8_t input, uint32_t offset) {
  rte_acl_field_def d{};
  d.type = type;
  d.size = size;
  d.field_index = index;
  d.input_index = input;
  d.offset = offset;
  return d;
}

std::vector<rte_acl_field_def> defs4() {
  return {def(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, 0, offsetof(AclKey4, proto)),
          def(RTE_ACL_FIELD_TYPE_MASK, 4, 1, 1, offsetof(AclKey4, src)),
          def(RTE_ACL_FIELD_TYPE_MASK, 4, 2, 2, offsetof(AclKey4, dst)),
          def(RTE_ACL_FIELD_TYPE_RANGE, 2, 3, 3, offsetof(AclKey4, dport)),
          def(RTE_ACL_FIELD_TYPE_RANGE, 2, 4, 3, offsetof(AclKey4, icmpType))};
}

std::vector<rte_acl_field_def> defs6() {
  std::vector<rte_acl_field_def> d{
      def(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, 0, offsetof(AclKey6, proto))};
  for (uint8_t i = 0; i < 4; ++i)
    d.push_back(def(RTE_ACL_FIELD_TYPE_MASK, 4, 1 + i, 1 + i, offsetof(AclKey6, src) + 4 * i));
  for (uint8_t i = 0; i < 4; ++i)
    d.push_back(def(RTE_ACL_FIELD_TYPE_MASK, 4, 5 + i, 5 + i, offsetof(AclKey6, dst) + 4 * i));
  d.push_back(def(RTE_ACL_FIELD_TYPE_RANGE, 2, 9, 9, offsetof(AclKey6, dport)));
  d.push_back(def(RTE_ACL_FIELD_TYPE_RANGE, 2, 10, 9, offsetof(AclKey6, icmpType)));
  return d;
}

std::atomic<uint64_t> contextSerial{0};

// Creates and builds one context from prepared rules; nullptr + error on failure.
template <class R>
rte_acl_ctx* makeContext(const std::vector<R>& rules, const std::vector<rte_acl_field_def>& defs,
                         std::string* error) {
  char name[RTE_ACL_NAMESIZE];
  std::snprintf(name, sizeof name, "igacl%lu",
                static_cast<unsigned long>(contextSerial.fetch_add(1)));
  rte_acl_param param{};
  param.name = name;
  param.socket_id = SOCKET_ID_ANY;
  param.rule_size = RTE_ACL_RULE_SZ(defs.size());
  param.max_rule_num = static_cast<uint32_t>(rules.size());
  rte_acl_ctx* ctx = rte_acl_create(&param);
  if (!ctx) {
    *error = std::string("rte_acl_create: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  int rc = rte_acl_add_rules(ctx, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                             static_cast<uint32_t>(rules.size()));
  if (rc == 0) {
    rte_acl_config cfg{};
    cfg.num_categories = 1;
    cfg.num_fields = static_cast<uint32_t>(defs.size());
    std::memcpy(cfg.defs, defs.data(), defs.size() * sizeof(rte_acl_field_def));
    rc = rte_acl_build(ctx, &cfg);
  }
  if (rc != 0) {
    *error = std::string("rte_acl: ") + rte_strerror(-rc);
    rte_acl_free(ctx);
    return nullptr;
  }
  return ctx;
}

}  // namespace

Classifier::~Classifier() {
  for (auto* c : ctx_) rte_acl_free(c);
}

bool Classifier::build(const policy::CompiledPolicy& policy, const std::vector<bool>& active,
                       std::string* error) {
  zones_ = policy.zones.size();
  ctx_.assign(zones_ * zones_ * 2, nullptr);
  std::vector<std::vector<AclRule4>> rules4(zones_ * zones_);
  std::vector<std::vector<AclRule6>> rules6(zones_ * zones_);
  std::vector<Block> blocks;
  for (size_t i = 0; i < policy.rules.size(); ++i) {
    if (i < active.size() && !active[i]) continue;
    const policy::CompiledRule& r = policy.rules[i];
    if (r.fromZone >= zones_ || r.toZone >= zones_) {
      *error = "rule '" + r.name + "' names a zone outside the policy";
      return false;
    }
    blocks.clear();
    for (const auto& t : r.terms) lowerTerm(t, blocks);
    const uint32_t priority = RTE_ACL_MAX_PRIORITY - static_cast<uint32_t>(i);
    const size_t pair = r.fromZone * zones_ + r.toZone;
    for (const auto& s : sides(r.src, policy::Family::V4)) {
      for (const auto& d : sides(r.dst, policy::Family::V4)) {
        for (const auto& b : blocks) {
          AclRule4 a{};
          a.data.category_mask = 1;
          a.data.priority = static_cast<int32_t>(priority);
          a.data.userdata = static_cast<uint32_t>(i + 1);
          fillCommon(a.field, b, 3, 4);
          setMask32(a.field[1], static_cast<uint32_t>(s.base), s.wildcard ? 0 : s.length);
          setMask32(a.field[2], static_cast<uint32_t>(d.base), d.wildcard ? 0 : d.length);
          rules4[pair].push_back(a);
        }
      }
    }
    for (const auto& s : sides(r.src, policy::Family::V6)) {
      for (const auto& d : sides(r.dst, policy::Family::V6)) {
        for (const auto& b : blocks) {
          AclRule6 a{};
          a.data.category_mask = 1;
          a.data.priority = static_cast<int32_t>(priority);
          a.data.userdata = static_cast<uint32_t>(i + 1);
          fillCommon(a.field, b, 9, 10);
          for (int k = 0; k < 4; ++k) {
            const int sl = s.wildcard ? 0 : s.length - 32 * k,
                      dl = d.wildcard ? 0 : d.length - 32 * k;
            setMask32(a.field[1 + k], static_cast<uint32_t>(s.base >> (96 - 32 * k)), sl);
            setMask32(a.field[5 + k], static_cast<uint32_t>(d.base >> (96 - 32 * k)), dl);
          }
          rules6[pair].push_back(a);
        }
      }
    }
  }
  const auto d4 = defs4(), d6 = defs6();
  for (size_t pair = 0; pair < rules4.size(); ++pair) {
    const uint16_t from = static_cast<uint16_t>(pair / zones_),
                   to = static_cast<uint16_t>(pair % zones_);
    if (!rules4[pair].empty()) {
      if (!(ctx(from, to, false) = makeContext(rules4[pair], d4, error))) return false;
      aclRules_ += rules4[pair].size();
    }
    if (!rules6[pair].empty()) {
      if (!(ctx(from, to, true) = makeContext(rules6[pair], d6, error))) return false;
      aclRules_ += rules6[pair].size();
    }
  }
  return true;
}

void Classifier::classify(uint16_t from, uint16_t to, bool v6, const uint8_t** keys,
                          uint32_t* results, uint32_t n) const noexcept {
  const rte_acl_ctx* c = ctx_[(from * zones_ + to) * 2 + v6];
  if (!c || rte_acl_classify(c, keys, results, n, 1) != 0) {
    for (uint32_t i = 0; i < n; ++i) results[i] = kNoMatch;
    return;
  }
  for (uint32_t i = 0; i < n; ++i) results[i] = results[i] == 0 ? kNoMatch : results[i] - 1;
}

}  // namespace isogate::dataplane
