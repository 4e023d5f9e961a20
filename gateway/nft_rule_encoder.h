// Lowers one rule of the nftables model to kernel expressions (meta, payload,
// cmp, bitwise, range, lookup, ct, byteorder, connlimit, objref, limit, log,
// immediate) exactly as nft 1.0.6 lowers the text emitter's spelling of the same rule.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "policy/nft_ruleset.h"

struct nftnl_rule;

namespace isogate::gateway {

// What nft records about the key of an anonymous address set (set userdata
// "typeof": payload protocol description and header field ids).
struct AnonymousSetTypeof {
  uint32_t protoDesc = 0;
  uint32_t field = 0;
};

struct AnonymousSet {
  policy::Family family = policy::Family::V4;
  const std::vector<policy::NftInterval>* values = nullptr;  // sorted, disjoint
  AnonymousSetTypeof typeOf;
};

// Network byte order, 4 or 16 bytes used.
std::array<uint8_t, 16> addressBytes(policy::U128 value, policy::Family family);

class RuleEncoder {
 public:
  // addSet adds an anonymous set to the batch and returns its set id.
  RuleEncoder(nftnl_rule* rule, std::function<uint32_t(const AnonymousSet&)> addSet)
      : rule_(rule), addSet_(std::move(addSet)) {}

  // Throws std::invalid_argument for a form the model allows but nft could not express.
  void encode(const policy::NftRule& rule);

 private:
  void match(const policy::NftMatch& m);
  void load(policy::NftField f, uint32_t lenOverride = 0);
  void cmp(uint32_t op, const void* data, uint32_t len);
  void lookup(const char* set, uint32_t setId, bool invert, bool verdictMap);

  nftnl_rule* rule_;
  std::function<uint32_t(const AnonymousSet&)> addSet_;
};

}  // namespace isogate::gateway
