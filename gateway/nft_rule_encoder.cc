#include "gateway/nft_rule_encoder.h"

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace isogate::gateway {

using policy::Family;
using policy::NftField;
using policy::U128;

namespace {

uint32_t fieldLength(NftField f) {
  switch (f) {
    case NftField::NfProto:
    case NftField::L4Proto:
    case NftField::IcmpType:
    case NftField::Icmpv6Type:
    case NftField::MetaDay: return 1;
    case NftField::ThDport: return 2;
    case NftField::Saddr4:
    case NftField::Daddr4:
    case NftField::CtState:
    case NftField::MetaHour: return 4;
    case NftField::IifName:
    case NftField::OifName:
    case NftField::Saddr6:
    case NftField::Daddr6: return 16;
  }
  return 0;
}

std::optional<Family> addressFamily(NftField f) {
  if (f == NftField::Saddr4 || f == NftField::Daddr4) return Family::V4;
  if (f == NftField::Saddr6 || f == NftField::Daddr6) return Family::V6;
  return std::nullopt;
}

// A value as the register holds it after load (and hton for meta hour):
// network byte order, `len` bytes.
std::vector<uint8_t> valueBytes(U128 v, uint32_t len) {
  std::vector<uint8_t> b(len);
  for (uint32_t i = 0; i < len; ++i) b[len - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

// Prefix length when [first, last] is exactly one prefix, else -1.
int prefixLength(const policy::NftInterval& iv, Family f) {
  const U128 diff = iv.last - iv.first;
  if ((diff & (diff + 1)) != 0 || (iv.first & diff) != 0) return -1;
  int host = 0;
  for (U128 d = diff; d != 0; d >>= 1) ++host;
  return policy::familyBits(f) - host;
}

AnonymousSetTypeof typeOf(NftField f) {
  // nft's proto_desc ids (ip 12, ip6 13) and header template indexes.
  switch (f) {
    case NftField::Saddr4: return {12, 11};
    case NftField::Daddr4: return {12, 12};
    case NftField::Saddr6: return {13, 8};
    case NftField::Daddr6: return {13, 9};
    default: break;
  }
  throw std::invalid_argument("an inline set is only supported for addresses");
}

nftnl_expr* newExpr(const char* name) {
  nftnl_expr* e = nftnl_expr_alloc(name);
  if (!e) throw std::runtime_error(std::string("libnftnl has no expression ") + name);
  return e;
}

uint32_t verdictCode(policy::NftVerdictKind k) {
  switch (k) {
    case policy::NftVerdictKind::Accept: return NF_ACCEPT;
    case policy::NftVerdictKind::Drop: return NF_DROP;
    case policy::NftVerdictKind::Jump: return static_cast<uint32_t>(NFT_JUMP);
    case policy::NftVerdictKind::Goto: return static_cast<uint32_t>(NFT_GOTO);
    case policy::NftVerdictKind::None: break;
  }
  return 0;
}

}  // namespace

std::array<uint8_t, 16> addressBytes(U128 value, Family family) {
  std::array<uint8_t, 16> out{};
  const auto b = valueBytes(value, family == Family::V4 ? 4 : 16);
  std::memcpy(out.data(), b.data(), b.size());
  return out;
}

void RuleEncoder::load(NftField f, uint32_t lenOverride) {
  auto meta = [&](uint32_t key) {
    nftnl_expr* e = newExpr("meta");
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
    nftnl_rule_add_expr(rule_, e);
  };
  auto payload = [&](uint32_t base, uint32_t offset, uint32_t len) {
    nftnl_expr* e = newExpr("payload");
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, lenOverride ? lenOverride : len);
    nftnl_rule_add_expr(rule_, e);
  };
  switch (f) {
    case NftField::NfProto: return meta(NFT_META_NFPROTO);
    case NftField::L4Proto: return meta(NFT_META_L4PROTO);
    case NftField::IifName: return meta(NFT_META_IIFNAME);
    case NftField::OifName: return meta(NFT_META_OIFNAME);
    case NftField::MetaDay: return meta(NFT_META_TIME_DAY);
    case NftField::MetaHour: {
      meta(NFT_META_TIME_HOUR);
      nftnl_expr* e = newExpr("byteorder");  // the kernel's hour is host order; compare in network order
      nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
      nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 4);
      nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 4);
      nftnl_rule_add_expr(rule_, e);
      return;
    }
    case NftField::Saddr4: return payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
    case NftField::Daddr4: return payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
    case NftField::Saddr6: return payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 16);
    case NftField::Daddr6: return payload(NFT_PAYLOAD_NETWORK_HEADER, 24, 16);
    case NftField::ThDport: return payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    case NftField::IcmpType:
    case NftField::Icmpv6Type: return payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
    case NftField::CtState: {
      nftnl_expr* e = newExpr("ct");
      nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
      nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
      nftnl_rule_add_expr(rule_, e);
      return;
    }
  }
}

void RuleEncoder::cmp(uint32_t op, const void* data, uint32_t len) {
  nftnl_expr* e = newExpr("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  nftnl_rule_add_expr(rule_, e);
}

void RuleEncoder::lookup(const char* set, uint32_t setId, bool invert, bool verdictMap) {
  nftnl_expr* e = newExpr("lookup");
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
  if (setId) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, setId);
  if (verdictMap) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
  if (invert) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
  nftnl_rule_add_expr(rule_, e);
}

void RuleEncoder::match(const policy::NftMatch& m) {
  const uint32_t len = fieldLength(m.field);
  const uint32_t eq = m.negate ? NFT_CMP_NEQ : NFT_CMP_EQ;
  if (m.field == NftField::CtState) {
    load(m.field);
    nftnl_expr* e = newExpr("bitwise");
    const uint32_t zero = 0;
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &m.mask, 4);  // ct state is host order
    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
    nftnl_rule_add_expr(rule_, e);
    cmp(m.negate ? NFT_CMP_EQ : NFT_CMP_NEQ, &zero, 4);
    return;
  }
  if (m.field == NftField::IifName || m.field == NftField::OifName) {
    if (m.text.empty() || m.text.size() >= 16) throw std::invalid_argument("bad interface name '" + m.text + "'");
    char name[16] = {};
    std::memcpy(name, m.text.data(), m.text.size());
    load(m.field);
    cmp(eq, name, 16);
    return;
  }
  const auto fam = addressFamily(m.field);
  if (!m.setName.empty()) {
    load(m.field);
    lookup(m.setName.c_str(), 0, m.negate, false);
    return;
  }
  if (m.values.empty()) throw std::invalid_argument("a match without a value");
  if (m.values.size() > 1) {
    if (!fam) throw std::invalid_argument("an inline set is only supported for addresses");
    load(m.field);
    const uint32_t id = addSet_(AnonymousSet{*fam, &m.values, typeOf(m.field)});
    lookup("__set%d", id, m.negate, false);
    return;
  }
  const auto& iv = m.values[0];
  if (fam && iv.first != iv.last) {
    const int plen = prefixLength(iv, *fam);
    if (plen == 0) throw std::invalid_argument("a match on the whole address family");
    if (plen > 0) {
      const auto base = valueBytes(iv.first, len);
      if (plen % 8 == 0) {  // whole bytes: load just those, as nft does
        load(m.field, static_cast<uint32_t>(plen / 8));
        cmp(eq, base.data(), static_cast<uint32_t>(plen / 8));
        return;
      }
      load(m.field);
      const auto mask = valueBytes(~(~U128{0} >> plen), 16);  // top plen bits of 128
      std::vector<uint8_t> famMask(mask.begin(), mask.begin() + len);
      std::vector<uint8_t> zero(len, 0);
      nftnl_expr* e = newExpr("bitwise");
      nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
      nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
      nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, famMask.data(), len);
      nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero.data(), len);
      nftnl_rule_add_expr(rule_, e);
      cmp(eq, base.data(), len);
      return;
    }
  }
  load(m.field);
  const auto first = valueBytes(iv.first, len);
  if (iv.first == iv.last) {
    cmp(eq, first.data(), len);
    return;
  }
  const auto last = valueBytes(iv.last, len);
  if (!m.negate) {
    cmp(NFT_CMP_GTE, first.data(), len);
    cmp(NFT_CMP_LTE, last.data(), len);
    return;
  }
  nftnl_expr* e = newExpr("range");
  nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_NEQ);
  nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, first.data(), len);
  nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, last.data(), len);
  nftnl_rule_add_expr(rule_, e);
}

void RuleEncoder::encode(const policy::NftRule& rule) {
  for (const auto& m : rule.matches) match(m);
  if (rule.ctCountOver) {  // nft: `ct count over N` = connlimit count N flags 1 (inverted)
    nftnl_expr* e = newExpr("connlimit");
    nftnl_expr_set_u32(e, NFTNL_EXPR_CONNLIMIT_COUNT, *rule.ctCountOver);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CONNLIMIT_FLAGS, NFT_CONNLIMIT_F_INV);
    nftnl_rule_add_expr(rule_, e);
  }
  if (!rule.counter.empty()) {
    nftnl_expr* e = newExpr("objref");
    nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
    nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, rule.counter.c_str());
    nftnl_rule_add_expr(rule_, e);
  }
  if (rule.limit) {  // nft: `limit rate R/second burst B packets`
    nftnl_expr* e = newExpr("limit");
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rule.limit->perSecond);
    nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);  // seconds
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, rule.limit->burst);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
    nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
    nftnl_rule_add_expr(rule_, e);
  }
  if (rule.log) {
    if (rule.log->prefix.size() > policy::kNftLogPrefixMax) throw std::invalid_argument("log prefix too long");
    nftnl_expr* e = newExpr("log");
    nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, rule.log->prefix.c_str());
    nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, rule.log->group);
    nftnl_rule_add_expr(rule_, e);
  }
  if (rule.vmap) {
    load(rule.vmap->field);
    lookup(rule.vmap->map.c_str(), 0, false, true);
  }
  if (rule.verdict.kind != policy::NftVerdictKind::None) {
    nftnl_expr* e = newExpr("immediate");
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdictCode(rule.verdict.kind));
    if (!rule.verdict.chain.empty()) nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, rule.verdict.chain.c_str());
    nftnl_rule_add_expr(rule_, e);
  }
}

}  // namespace isogate::gateway
