#include "gateway/nft_netlink_sink.h"

#include <optional>

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
    return error.empty();
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
    const auto read = nl_.counters(&error);
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

  NftNetlink nl_;
  bool open_ = false;
  std::optional<uint32_t> generationBefore_;
};

}  // namespace

std::unique_ptr<RulesetSink> makeKernelRulesetSink() { return std::make_unique<NetlinkSink>(); }

}  // namespace isogate::gateway
