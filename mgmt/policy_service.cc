// PolicyService. On-disk state, all under stateDir:
//   history/NNNNNNNN.yaml   the exact policy text that was applied
//   history/NNNNNNNN.json   {seq, digest, name, applied_at, by}
//   rolled-back/NNNNNNNN.yaml  texts taken out of force by a rollback (last `keep`)
//   pending.json            {"deadline_ms": N} while a reload awaits `confirm`
// Files are written to a temporary name and renamed, so a crash never leaves a
// half-written policy where the gateway reads it.
#include "mgmt/policy_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mgmt/rfc5424.h"

namespace isogate::mgmt {
namespace fs = std::filesystem;
namespace {

bool readFile(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool writeFileAtomic(const std::string& path, const std::string& data, std::string& error) {
  std::string tmp = path + ".tmp-isogate";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  bool ok = true;
  while (ok && off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) off += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    error = "cannot write " + path + ": " + std::strerror(err);
    return false;
  }
  return true;
}

std::string seqName(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08llu", static_cast<unsigned long long>(seq));
  return buf;
}

int64_t toMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

PolicyService::PolicyService(PolicyServiceOptions options, PolicyChecker checker,
                             GatewayReloadHook reload)
    : options_(std::move(options)), checker_(std::move(checker)), reload_(std::move(reload)) {
  if (options_.keep < 2) options_.keep = 2;  // rollback needs the one before
}

bool PolicyService::init(std::string& error) {
  std::error_code ec;
  fs::create_directories(fs::path(options_.stateDir) / "history", ec);
  if (ec) {
    error = "cannot create " + options_.stateDir + "/history: " + ec.message();
    return false;
  }
  history_.clear();
  for (const auto& de : fs::directory_iterator(fs::path(options_.stateDir) / "history", ec)) {
    if (de.path().extension() != ".json") continue;
    std::string text, err;
    if (!readFile(de.path().string(), text, err)) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    PolicyEntry e;
    e.seq = j.value("seq", uint64_t{0});
    e.digest = j.value("digest", "");
    e.name = j.value("name", "");
    e.appliedAt = j.value("applied_at", "");
    e.by = j.value("by", "");
    e.file = (fs::path(options_.stateDir) / "history" / (seqName(e.seq) + ".yaml")).string();
    if (e.seq == 0 || !fs::exists(e.file)) continue;  // a half-saved entry: ignore
    history_.push_back(std::move(e));
  }
  std::sort(history_.begin(), history_.end(),
            [](const PolicyEntry& a, const PolicyEntry& b) { return a.seq < b.seq; });
  if (history_.empty()) {
    PolicyCheck check = checker_(options_.policyPath);
    std::string text, err;
    if (check.ok && readFile(options_.policyPath, text, err))
      saveEntry(text, check, "baseline", Clock::now(), err);
  }
  pending_.reset();
  std::string text, err;
  if (readFile(options_.stateDir + "/pending.json", text, err)) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("deadline_ms") &&
        j["deadline_ms"].is_number_integer())
      pending_ = Clock::time_point(std::chrono::milliseconds(j["deadline_ms"].get<int64_t>()));
  }
  return true;
}

std::optional<PolicyEntry> PolicyService::current() const {
  if (history_.empty()) return std::nullopt;
  return history_.back();
}

bool PolicyService::saveEntry(const std::string& text, const PolicyCheck& check,
                              const std::string& by, Clock::time_point now, std::string& error) {
  PolicyEntry e;
  e.seq = history_.empty() ? 1 : history_.back().seq + 1;
  e.digest = check.digest;
  e.name = check.name;
  e.appliedAt = formatTimestamp(now);
  e.by = by;
  fs::path dir = fs::path(options_.stateDir) / "history";
  e.file = (dir / (seqName(e.seq) + ".yaml")).string();
  nlohmann::ordered_json meta = {{"seq", e.seq},
                                 {"digest", e.digest},
                                 {"name", e.name},
                                 {"applied_at", e.appliedAt},
                                 {"by", e.by}};
  // Text first, metadata last: init() ignores metadata without its text.
  if (!writeFileAtomic(e.file, text, error) ||
      !writeFileAtomic((dir / (seqName(e.seq) + ".json")).string(), meta.dump() + "\n", error))
    return false;
  history_.push_back(std::move(e));
  trimHistory();
  return true;
}

void PolicyService::trimHistory() {
  while (history_.size() > options_.keep) {
    fs::path dir = fs::path(options_.stateDir) / "history";
    std::error_code ec;
    fs::remove(dir / (seqName(history_.front().seq) + ".json"), ec);
    fs::remove(dir / (seqName(history_.front().seq) + ".yaml"), ec);
    history_.erase(history_.begin());
  }
}

bool PolicyService::persistPending(std::string& error) {
  std::string path = options_.stateDir + "/pending.json";
  if (!pending_) {
    std::error_code ec;
    fs::remove(path, ec);
    return true;
  }
  return writeFileAtomic(path, "{\"deadline_ms\":" + std::to_string(toMs(*pending_)) + "}\n",
                         error);
}

PolicyOutcome PolicyService::apply(const std::string& by,
                                   std::optional<std::chrono::seconds> confirmWithin,
                                   Clock::time_point now) {
  PolicyOutcome out;
  auto cur = current();
  out.previousDigest = cur ? cur->digest : "";
  if (pending_) {
    out.error = "a reload is awaiting confirmation; confirm or roll back first";
    return out;
  }
  std::string text;
  if (!readFile(options_.policyPath, text, out.error)) return out;
  PolicyCheck check = checker_(options_.policyPath);
  out.diagnostics = check.diagnostics;
  out.digest = check.digest;
  out.name = check.name;
  if (!check.ok) {
    out.error = "policy " + options_.policyPath + " rejected; the running policy stays in force";
    return out;
  }
  std::string again;
  if (!readFile(options_.policyPath, again, out.error)) return out;
  if (again != text) {
    out.error = "policy " + options_.policyPath + " changed while it was checked; reload again";
    return out;
  }
  out.unchanged = cur && cur->digest == check.digest;
  if (!out.unchanged) {
    if (!saveEntry(text, check, by, now, out.error)) return out;
  }
  // Re-applying the policy in force has nothing to roll back to: no deadline.
  if (confirmWithin && !out.unchanged) {
    // Armed before the gateway is told, so a crash in between still rolls back.
    pending_ = now + *confirmWithin;
    if (!persistPending(out.error)) {
      pending_.reset();
      return out;
    }
    out.confirmDeadline = pending_;
  }
  std::string err;
  out.gatewayNotified = reload_ ? reload_(err) : false;
  if (!out.gatewayNotified) {
    out.error = "policy accepted and saved, but the gateway could not be told to reload: " + err;
    return out;
  }
  out.ok = true;
  return out;
}

PolicyOutcome PolicyService::confirm(const std::string&, Clock::time_point) {
  PolicyOutcome out;
  auto cur = current();
  if (cur) {
    out.digest = cur->digest;
    out.name = cur->name;
  }
  if (!pending_) {
    out.error = "nothing to confirm: no reload is awaiting confirmation";
    return out;
  }
  pending_.reset();
  if (!persistPending(out.error)) return out;
  out.ok = true;
  return out;
}

PolicyOutcome PolicyService::rollback(const std::string& by, Clock::time_point now) {
  return restorePrevious(by, now);
}

std::optional<PolicyOutcome> PolicyService::tick(Clock::time_point now) {
  if (!pending_ || now < *pending_) return std::nullopt;
  return restorePrevious("isogate-mgmtd (confirmation timed out)", now);
}

PolicyOutcome PolicyService::restorePrevious(const std::string&, Clock::time_point) {
  PolicyOutcome out;
  if (history_.size() < 2) {
    out.error = "no previous policy to roll back to";
    if (!history_.empty()) {
      out.digest = history_.back().digest;
      out.name = history_.back().name;
    }
    // A pending confirmation with nothing before it cannot be rolled back; drop it
    // so the deadline does not fire forever.
    pending_.reset();
    std::string ignored;
    persistPending(ignored);
    return out;
  }
  const PolicyEntry& from = history_[history_.size() - 1];
  const PolicyEntry& to = history_[history_.size() - 2];
  out.previousDigest = from.digest;
  std::string text;
  if (!readFile(to.file, text, out.error)) return out;
  PolicyCheck check = checker_(to.file);
  out.diagnostics = check.diagnostics;
  if (!check.ok) {
    out.error = "the previous policy (" + to.digest + ") no longer compiles; nothing changed";
    return out;
  }
  // Keep the text being taken out of force: it may be the officer's only copy.
  std::error_code ec;
  fs::path rb = fs::path(options_.stateDir) / "rolled-back";
  fs::create_directories(rb, ec);
  fs::copy_file(from.file, rb / (seqName(from.seq) + ".yaml"), fs::copy_options::overwrite_existing,
                ec);
  if (!writeFileAtomic(options_.policyPath, text, out.error)) return out;
  fs::path dir = fs::path(options_.stateDir) / "history";
  fs::remove(dir / (seqName(from.seq) + ".json"), ec);
  fs::remove(dir / (seqName(from.seq) + ".yaml"), ec);
  history_.pop_back();
  pending_.reset();
  persistPending(out.error);
  out.digest = history_.back().digest;
  out.name = history_.back().name;
  std::string err;
  out.gatewayNotified = reload_ ? reload_(err) : false;
  if (!out.gatewayNotified) {
    out.error = "previous policy restored to " + options_.policyPath +
                ", but the gateway could not be told to reload: " + err;
    return out;
  }
  out.error.clear();
  out.ok = true;
  return out;
}

}  // namespace isogate::mgmt
