// Audit trail. The hash covers the exact bytes of the line before its "hash"
// member: line = BODY + ",\"hash\":\"<64 hex>\"}" where BODY is the compact JSON
// of the record without the closing brace, and hash = sha256(BODY + "}"). So a
// verifier needs no canonical re-serialisation: any changed byte changes the hash.
#include "mgmt/audit_trail.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>

#include "mgmt/rfc5424.h"

namespace isogate::mgmt {
namespace {

const std::string kGenesis(64, '0');
constexpr std::string_view kHashKey = ",\"hash\":\"";

bool isHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Splits a line into its hashed body and the stored hash.
bool splitLine(const std::string& line, std::string& body, std::string& hash) {
  constexpr size_t kTail = 9 + 64 + 2;  // ,"hash":"  <hex>  "}
  if (line.size() < kTail + 2 || line.compare(line.size() - 2, 2, "\"}") != 0) return false;
  size_t at = line.size() - kTail;
  if (line.compare(at, kHashKey.size(), kHashKey) != 0) return false;
  hash = line.substr(at + kHashKey.size(), 64);
  body = line.substr(0, at) + "}";
  return isHex64(hash);
}

bool writeAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string sha256Hex(const std::string& data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

AuditTrail::AuditTrail(std::string path) : path_(std::move(path)) {}

std::string AuditTrail::serialize(const AuditRecord& r, const std::string& prev,
                                  std::string& hash) {
  nlohmann::ordered_json j;
  j["seq"] = r.seq;
  j["time"] = r.time;
  j["actor"] = {{"uid", r.actor.uid}, {"user", r.actor.user}, {"role", r.actor.role}};
  j["action"] = r.action;
  j["result"] = r.result;
  j["details"] = r.details;
  j["policy"] = r.policy;
  j["prev"] = prev;
  std::string body = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  hash = sha256Hex(body);
  body.pop_back();  // the closing brace; the hash member goes last
  return body + std::string(kHashKey) + hash + "\"}";
}

bool AuditTrail::open(std::string& error) {
  std::lock_guard lock(mu_);
  lastSeq_ = 0;
  lastHash_ = kGenesis;
  std::ifstream in(path_);
  if (!in) {
    if (errno == ENOENT) return true;  // created by the first append
    error = "cannot read audit trail " + path_ + ": " + std::strerror(errno);
    return false;
  }
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  if (last.empty()) return true;
  std::string body, hash;
  if (!splitLine(last, body, hash)) {
    error = "audit trail " + path_ + ": last line is not a record";
    return false;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("seq") || !j["seq"].is_number_unsigned()) {
    error = "audit trail " + path_ + ": last line is not a record";
    return false;
  }
  lastSeq_ = j["seq"].get<uint64_t>();
  lastHash_ = hash;
  return true;
}

bool AuditTrail::append(AuditRecord& r, std::string& error) {
  std::lock_guard lock(mu_);
  r.seq = lastSeq_ + 1;
  if (r.time.empty()) r.time = formatTimestamp(std::chrono::system_clock::now());
  r.prev = lastHash_;
  std::string line = serialize(r, r.prev, r.hash) + "\n";
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot open audit trail " + path_ + ": " + std::strerror(errno);
    ++failed_;
    return false;
  }
  struct stat before {};
  bool sized = ::fstat(fd, &before) == 0;
  bool ok = writeAll(fd, line) && ::fdatasync(fd) == 0;
  int err = errno;
  if (!ok) {
    // The record is not stored, so none of it may stay: a torn line (disk full) or a whole one
    // that was not synced would break the chain for every record after it. Cut the file back
    // to where it was; the next record chains onto the last stored one.
    bool cut = sized && ::ftruncate(fd, before.st_size) == 0 && ::fdatasync(fd) == 0;
    ::close(fd);
    error = "cannot write audit trail " + path_ + ": " + std::strerror(err) +
            (cut ? " (record " + std::to_string(r.seq) + " not stored)"
                 : " (a partial record may be left at its end)");
    ++failed_;
    return false;
  }
  ::close(fd);
  lastSeq_ = r.seq;
  lastHash_ = r.hash;
  if (!writeHead(r.seq, r.hash)) {
    error = "audit record " + std::to_string(r.seq) + " stored, but " + path_ +
            ".head could not be updated: " + std::strerror(errno);
    ++failed_;
    return false;
  }
  return true;
}

bool AuditTrail::writeHead(uint64_t seq, const std::string& hash) {
  // Rewritten atomically so a crash leaves the old or the new one. That needs room for a
  // second file; on a full disk the old one is overwritten in place instead (its block is
  // already allocated, and a line this short is written whole or not at all).
  std::string head = path_ + ".head", tmp = head + ".tmp";
  std::string text = std::to_string(seq) + " " + hash + "\n";
  int hf = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (hf >= 0) {
    bool hok = writeAll(hf, text) && ::fdatasync(hf) == 0;
    ::close(hf);
    if (hok && ::rename(tmp.c_str(), head.c_str()) == 0) return true;
    ::unlink(tmp.c_str());
  }
  hf = ::open(head.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (hf < 0) return false;
  bool ok = ::pwrite(hf, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()) &&
            ::ftruncate(hf, static_cast<off_t>(text.size())) == 0 && ::fdatasync(hf) == 0;
  int err = errno;
  ::close(hf);
  errno = err;
  return ok;
}

AuditVerifyResult AuditTrail::verify() const {
  std::lock_guard lock(mu_);
  AuditVerifyResult res;
  // `line` set: the message is "line N: why"; else `why` is the whole message and `bad` the line.
  auto fail = [&](uint64_t line, std::string why, uint64_t bad = 0) {
    res.ok = false;
    res.badLine = line ? line : bad;
    res.error = line ? "line " + std::to_string(line) + ": " + why : why;
    return res;
  };
  std::ifstream in(path_);
  if (!in) {
    if (errno != ENOENT) return fail(0, "cannot read " + path_ + ": " + std::strerror(errno));
  }
  std::string prev = kGenesis, line;
  uint64_t lineNo = 0, seq = 0;
  // Names the record too: an edited or unreadable line by the number the chain expects there
  // (its own text cannot be trusted), one whose hash holds by the number it carries.
  auto record = [](uint64_t n) { return " (record " + std::to_string(n) + "): "; };
  while (in && std::getline(in, line)) {
    ++lineNo;
    std::string body, hash;
    std::string at = "line " + std::to_string(lineNo);
    if (!splitLine(line, body, hash))
      return fail(0, at + record(seq + 1) + "not an audit record", lineNo);
    if (sha256Hex(body) != hash)
      return fail(0, at + record(seq + 1) + "hash mismatch (record edited)", lineNo);
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return fail(0, at + record(seq + 1) + "not valid JSON", lineNo);
    auto s = j.find("seq");
    std::string carried =
        s != j.end() && s->is_number_unsigned() ? record(s->get<uint64_t>()) : ": ";
    auto p = j.find("prev");
    if (p == j.end() || !p->is_string() || p->get<std::string>() != prev)
      return fail(0,
                  at + carried +
                      "previous-hash mismatch (a record before it was deleted, inserted or moved)",
                  lineNo);
    if (s == j.end() || !s->is_number_unsigned() || s->get<uint64_t>() != seq + 1)
      return fail(0,
                  at + carried + "sequence number " +
                      (s != j.end() ? s->dump() : std::string("missing")) + ", expected " +
                      std::to_string(seq + 1),
                  lineNo);
    seq = s->get<uint64_t>();
    prev = hash;
    ++res.records;
  }
  // The head file names the last record written; fewer records means the tail was cut.
  std::ifstream headIn(path_ + ".head");
  uint64_t headSeq = 0;
  std::string headHash;
  if (headIn >> headSeq >> headHash) {
    if (headSeq != seq || headHash != (seq ? prev : std::string(kGenesis)))
      return fail(lineNo + 1, "trail ends at record " + std::to_string(seq) + " but record " +
                                  std::to_string(headSeq) +
                                  " was written (records removed from the end)");
  }
  return res;
}

std::vector<nlohmann::ordered_json> AuditTrail::tail(size_t max) const {
  std::lock_guard lock(mu_);
  std::deque<nlohmann::ordered_json> keep;
  std::ifstream in(path_);
  std::string line;
  while (in && std::getline(in, line)) {
    auto j = nlohmann::ordered_json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    keep.push_back(std::move(j));
    if (max && keep.size() > max) keep.pop_front();
  }
  return {std::make_move_iterator(keep.begin()), std::make_move_iterator(keep.end())};
}

}  // namespace isogate::mgmt
