// Aggregator: see aggregator.h. The overflow bucket keeps no per-key state at
// all, which is what bounds memory when an attacker varies addresses and ports.
#include "mgmt/aggregator.h"

namespace isogate::mgmt {
namespace {

std::string fieldOr(const Event& e, std::string_view k) {
  const std::string* v = e.field(k);
  return v ? *v : std::string();
}

}  // namespace

Aggregator::Aggregator(AggregatorConfig config) : config_(config) {
  if (config_.maxKeys == 0) config_.maxKeys = 1;
}

Aggregator::Key Aggregator::keyOf(const Event& e) {
  return Key{static_cast<uint8_t>(e.type),
             fieldOr(e, "from_zone"),
             fieldOr(e, "to_zone"),
             fieldOr(e, "src"),
             fieldOr(e, "dst"),
             fieldOr(e, "dport")};
}

void Aggregator::offer(Event e, TimePoint now, std::vector<Event>& out) {
  if (e.count == 0) e.count = 1;
  if (!aggregates(e.type)) {
    out.push_back(std::move(e));
    return;
  }
  stats_.offered += e.count;
  Key key = keyOf(e);
  auto it = keys_.find(key);
  if (it != keys_.end()) {
    it->second.pending += e.count;
    it->second.sample = std::move(e);
    return;
  }
  if (keys_.size() >= config_.maxKeys) {
    auto idx = static_cast<size_t>(e.type) % overflow_.size();
    Overflow& o = overflow_[idx];
    if (o.pending == 0) o.since = now;
    o.pending += e.count;
    stats_.overflowed += e.count;
    o.sample = std::move(e);
    return;
  }
  // First of its key: out at once, with the count it came with.
  stats_.emitted += e.count;
  Entry entry;
  entry.sample = e;
  entry.lastEmit = now;
  keys_.emplace(std::move(key), std::move(entry));
  out.push_back(std::move(e));
}

Event Aggregator::countMessage(const Entry& entry) const {
  Event m = entry.sample;
  m.count = entry.pending;
  return m;
}

Event Aggregator::overflowMessage(EventType type, const Overflow& o) const {
  // The keyed fields differ between the folded events; "*" says so honestly
  // instead of attributing them all to the last one.
  Event m;
  m.type = type;
  m.time = o.sample.time;
  m.count = o.pending;
  for (const auto& [k, v] : o.sample.fields) {
    if (k == "from_zone" || k == "to_zone" || k == "src" || k == "dst")
      m.fields.emplace_back(k, "*");
    else if (k == "policy" || k == "policy_name")
      m.fields.emplace_back(k, v);
  }
  for (const char* k : {"from_zone", "to_zone", "src", "dst"})
    if (!m.field(k)) m.set(k, "*");
  m.set("overflow", "true");
  m.message = std::to_string(o.pending) + " " + eventTypeName(type) +
              " events of distinct keys (aggregation table full at " +
              std::to_string(config_.maxKeys) + " keys)";
  return m;
}

void Aggregator::flush(TimePoint now, std::vector<Event>& out) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    Entry& entry = it->second;
    if (now - entry.lastEmit < config_.interval) {
      ++it;
      continue;
    }
    if (entry.pending > 0) {
      out.push_back(countMessage(entry));
      stats_.emitted += entry.pending;
      entry.pending = 0;
      entry.lastEmit = now;
      ++it;
    } else {
      it = keys_.erase(it);  // quiet for a whole interval
      ++stats_.keysEvicted;
    }
  }
  for (size_t i = 0; i < overflow_.size(); ++i) {
    Overflow& o = overflow_[i];
    if (o.pending == 0 || now - o.since < config_.interval) continue;
    out.push_back(overflowMessage(o.sample.type, o));
    stats_.emitted += o.pending;
    o.pending = 0;
  }
}

void Aggregator::flushAll(std::vector<Event>& out) {
  for (auto& [key, entry] : keys_) {
    if (entry.pending == 0) continue;
    out.push_back(countMessage(entry));
    stats_.emitted += entry.pending;
    entry.pending = 0;
  }
  for (auto& o : overflow_) {
    if (o.pending == 0) continue;
    out.push_back(overflowMessage(o.sample.type, o));
    stats_.emitted += o.pending;
    o.pending = 0;
  }
}

}  // namespace isogate::mgmt
