// The tamper-evident audit trail (REGULATION art. 26): an append-only file,
// one JSON record per line, each carrying the sha256 of the previous record and
// its own, so an edited, deleted or reordered line breaks the chain at a named
// line. A sidecar "<path>.head" holds the last seq and hash, so cutting records
// off the end is detected as well.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace isogate::mgmt {

inline constexpr const char* kDefaultAuditPath = "/var/lib/isogate/audit.log";

struct AuditActor {
  int64_t uid = -1;  // -1: the daemon itself
  std::string user;  // "isogate-mgmtd" for the daemon's own actions
  std::string role;
};

struct AuditRecord {
  uint64_t seq = 0;
  std::string time;  // RFC 3339 UTC, ms
  AuditActor actor;
  std::string action;  // "reload", "confirm", "rollback", "auto-rollback", "refused", ...
  std::string result;  // "ok" | "error" | "refused"
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
  std::string policy;  // digest of the running policy after the action
  std::string prev, hash;
};

struct AuditVerifyResult {
  bool ok = true;
  uint64_t records = 0;
  uint64_t badLine = 0;  // 1-based line of the first bad record (0 when ok)
  std::string error;     // "line 7: hash mismatch (record edited)"
};

class AuditTrail {
 public:
  explicit AuditTrail(std::string path);

  // Reads the current end of the chain. A trail that fails verification is not
  // "repaired": new records chain onto the last line, and verify keeps failing
  // at the damaged record, so the damage stays visible.
  bool open(std::string& error);

  // Appends one record (fsynced). Fills in seq, time, prev, hash. On failure (disk
  // full, I/O error) nothing of the record stays in the file, so the chain stays
  // intact and the next record continues it; `error` says why, and failed() counts it.
  bool append(AuditRecord& record, std::string& error);
  uint64_t failed() const { return failed_; }

  AuditVerifyResult verify() const;
  // The last `max` records (all when 0), oldest first; lines that do not parse are skipped.
  std::vector<nlohmann::ordered_json> tail(size_t max) const;

  const std::string& path() const { return path_; }

  // The exact line for a record (without newline); exposed for tests.
  static std::string serialize(const AuditRecord& r, const std::string& prev, std::string& hash);

 private:
  std::string path_;
  mutable std::mutex mu_;
  bool writeHead(uint64_t seq, const std::string& hash);

  uint64_t lastSeq_ = 0;
  std::string lastHash_;
  std::atomic<uint64_t> failed_{0};
};

std::string sha256Hex(const std::string& data);

}  // namespace isogate::mgmt
