#include "gateway/nft_netlink_sink.h"

#include <optional>
#include <string>
#include <vector>

#include "gateway/nft_batch.h"
#include "gateway/nft_netlink.h"

namespace isogate::gateway {

namespace {

// Commit and readback are kept apart (not NftNetlink::apply) because the backend must know
// which one failed: a refused commit left the old rules in force, a readback mismatch did not.
class NetlinkSink : public RulesetSink {
 public:
  bool replace(const policy::NftRuleset& ruleset, std::string& error) override {
    if (!ensureOpen(error)) return false;
    generationBefore_ = nl_.generation(&error);
    if (!generationBefore_) return false;
    const NftBatch batch = encodeNftBatch(ruleset, nl_.nextSeq(0));
    if (!batch.ok()) {
      error = batch.error;
      return false;
    }
    nl_.nextSeq(static_cast<uint32_t>(batch.what.size()));
    error = nl_.commit(batch);
    if (!error.empty()) return false;
    counterNames_.clear();
    for (const auto& c : ruleset.counters) counterNames_.push_back(c.name);
    return true;
  }

  bool verify(const policy::NftRuleset& ruleset, std::string& error) override {
    uint32_t generation = 0;
    const auto kernel = nl_.readBack(&error, &generation);
    if (!kernel) return false;
    if (generationBefore_ && generation == *generationBefore_) {
      error = "ruleset generation did not change (" + std::to_string(generation) + ")";
      return false;
    }
    error = compareNftCounts(*kernel, expectedNftCounts(ruleset));
    return error.empty();
  }

  bool counters(std::map<std::string, PacketBytesCount>& out, std::string& error) override {
    if (!ensureOpen(error)) return false;
    // The kernel's object dump is quadratic in the objects of the table (1.9 s of CPU for
    // 100k counters), lookups by name are linear; they break even near 30k counters
    // (docs/PERFORMANCE.md, control-plane cost of the reports).
    const auto read = counterNames_.size() > kCountersByNameAbove ? nl_.countersByName(counterNames_, &error)
                                                                 : nl_.counters(&error);
    if (!read) return false;
    out.clear();
    for (const auto& [name, v] : *read) out[name] = {v.packets, v.bytes};
    return true;
  }

  bool tableExists() override {
    std::string error;
    return ensureOpen(error) && nl_.readBack(&error).has_value();
  }

 private:
  bool ensureOpen(std::string& error) {
    if (!open_) open_ = nl_.open(&error);
    return open_;
  }

  static constexpr size_t kCountersByNameAbove = 30000;

  NftNetlink nl_;
  bool open_ = false;
  std::vector<std::string> counterNames_;  // of the ruleset last committed
  std::optional<uint32_t> generationBefore_;
};

}  // namespace

std::unique_ptr<RulesetSink> makeKernelRulesetSink() { return std::make_unique<NetlinkSink>(); }

}  // namespace isogate::gateway
