// The rule classifier for new flows: one small rte_acl context per directed
// zone pair and family, built only from the rules of that pair that are active
// now (schedules). Cost stays flat as the policy grows because a packet only
// meets the rules of its own pair. Priority = file order (first match wins).
// Built off the fast path; immutable afterwards; classify() is thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/compiled.h"

struct rte_acl_ctx;

namespace isogate::dataplane {

// The classifier's input, laid out as rte_acl reads it (network byte order).
struct alignas(8) AclKey4 {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src, dst;
  uint16_t dport, icmpType;  // dport for TCP/UDP, type for ICMP; 0 otherwise
};
struct alignas(8) AclKey6 {
  uint8_t proto;
  uint8_t pad[3];
  uint8_t src[16], dst[16];
  uint16_t dport, icmpType;
};
static_assert(sizeof(AclKey4) == 16);
static_assert(sizeof(AclKey6) == 40);

inline constexpr uint32_t kNoMatch = 0xffffffff;

class Classifier {
 public:
  Classifier() = default;
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;
  ~Classifier();

  // active[i]: whether rule i takes part (its schedule is active). False with
  // *error when rte_acl fails (out of memory, ...).
  bool build(const policy::CompiledPolicy& policy, const std::vector<bool>& active,
             std::string* error);

  // Results are rule indices or kNoMatch. keys are AclKey4 / AclKey6.
  void classify(uint16_t from, uint16_t to, bool v6, const uint8_t** keys, uint32_t* results,
                uint32_t n) const noexcept;

  size_t aclRuleCount() const { return aclRules_; }

 private:
  rte_acl_ctx*& ctx(uint16_t from, uint16_t to, bool v6) {
    return ctx_[(from * zones_ + to) * 2 + v6];
  }
  std::vector<rte_acl_ctx*> ctx_;
  size_t zones_ = 0;
  size_t aclRules_ = 0;
};

}  // namespace isogate::dataplane
