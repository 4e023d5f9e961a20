// The kernel side of the nftables backend: sends the netlink batch of an
// NftRuleset (gateway/nft_batch.h) as one transaction that replaces table
// inet isogate (all or nothing; conntrack untouched), then reads the table
// back and confirms it (generation id, chains, sets and their elements,
// counters, rules per chain). Works in the caller's network namespace.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/nft_batch.h"
#include "policy/nft_ruleset.h"

struct mnl_socket;
struct nlmsghdr;

namespace isogate::gateway {

struct NftApplyResult {
  bool ok = false;
  std::string error;        // empty when ok; else what failed, naming the message and the kernel's reason
  uint32_t generation = 0;  // the ruleset generation after the commit
  size_t messages = 0, bytes = 0;
  double encodeSeconds = 0, commitSeconds = 0, verifySeconds = 0;
};

// What a readback compares: the objects of table inet isogate.
struct NftTableCounts {
  std::map<std::string, size_t> rulesPerChain;   // every chain, with its rule count
  std::map<std::string, size_t> elementsPerSet;  // named sets and maps, kernel elements
  size_t anonymousSets = 0;
  size_t counters = 0;
  size_t rules() const;
  friend bool operator==(const NftTableCounts&, const NftTableCounts&) = default;
};

NftTableCounts expectedNftCounts(const policy::NftRuleset& ruleset);
// "" when equal, else the first difference in words ("chain x: 3 rules in the kernel, 4 expected").
std::string compareNftCounts(const NftTableCounts& kernel, const NftTableCounts& expected);

class NftNetlink {
 public:
  NftNetlink() = default;
  ~NftNetlink();
  NftNetlink(const NftNetlink&) = delete;
  NftNetlink& operator=(const NftNetlink&) = delete;

  // Opens a NETLINK_NETFILTER socket (needs CAP_NET_ADMIN). False + error on failure.
  bool open(std::string* error);

  // Encode, commit and verify. On any failure `ok` is false and the kernel
  // keeps whatever it had before (a rejected batch changes nothing).
  NftApplyResult apply(const policy::NftRuleset& ruleset);

  // Sends a batch and collects the kernel's answer; "" when committed.
  std::string commit(const NftBatch& batch);

  // The current ruleset generation (NFT_MSG_GETGEN).
  std::optional<uint32_t> generation(std::string* error);

  // Reads table inet isogate back; all dumps must come from one generation
  // (its low 16 bits are in every dump message), returned in *generation.
  std::optional<NftTableCounts> readBack(std::string* error, uint32_t* generation = nullptr);

  // The named counters of table inet isogate (name -> packets, bytes), one dump:
  // what the gateway reports as its per-rule and per-pair statistics.
  struct CounterValue {
    uint64_t packets = 0, bytes = 0;
  };
  std::optional<std::map<std::string, CounterValue>> counters(std::string* error);
  // The same for the given counter names, each looked up by name (NFT_MSG_GETOBJ without
  // dump, in batches): linear in the names, where the kernel's object dump is quadratic
  // (1.9 s of CPU for 100k counters; docs/PERFORMANCE.md). A missing name is an error.
  std::optional<std::map<std::string, CounterValue>> countersByName(const std::vector<std::string>& names,
                                                                     std::string* error);

  // readBack() compared with the ruleset; "" when they agree.
  std::string verify(const policy::NftRuleset& ruleset);

  // Deletes table inet isogate if present (for tests and shutdown); "" on success.
  std::string removeTable();

  // Next sequence number to use (batches take a range of them).
  uint32_t nextSeq(uint32_t count = 1) {
    const uint32_t s = seq_;
    seq_ += count;
    return s;
  }

 private:
  std::string dump(uint16_t type, const std::string& name,  // the set (GETSETELEM) or chain (GETRULE) to dump
                   const std::function<void(const nlmsghdr*)>& onMessage, uint16_t* resId);

  mnl_socket* nl_ = nullptr;
  uint32_t portId_ = 0;
  uint32_t seq_ = 1;
};

}  // namespace isogate::gateway
