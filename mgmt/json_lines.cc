// JSON-lines events. nlohmann's ordered_json keeps insertion order so the
// line's key order is the same as the syslog SD order.
#include "mgmt/json_lines.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace isogate::mgmt {

std::string encodeJsonLine(const Event& e, const SyslogIdentity& id) {
  nlohmann::ordered_json j;
  j["time"] = formatTimestamp(e.time);
  j["host"] = id.hostname;
  j["type"] = eventTypeName(e.type);
  j["severity"] = severityName(eventSeverity(e.type));
  j["msgid"] = eventMsgId(e.type);
  for (const auto& [k, v] : e.fields) {
    if (k == "type" || k == "count" || k == "policy" || k == "policy_name" || k == "time" ||
        k == "host" || k == "severity" || k == "msgid" || k == "message")
      continue;
    j[k] = v;
  }
  j["count"] = e.count;
  const std::string* policy = e.field("policy");
  const std::string* policyName = e.field("policy_name");
  j["policy"] = policy ? *policy : id.policyDigest;
  j["policy_name"] = policyName ? *policyName : id.policyName;
  j["message"] = e.message;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

JsonLinesWriter::JsonLinesWriter(std::string path) : path_(std::move(path)) {}

JsonLinesWriter::~JsonLinesWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool JsonLinesWriter::open(std::string& error) {
  std::lock_guard lock(mu_);
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = "cannot open " + path_ + ": " + std::strerror(errno);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return true;
}

void JsonLinesWriter::reopen() {
  std::string ignored;
  open(ignored);
}

bool JsonLinesWriter::write(const std::string& line) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) {
    noteFailure("not open");
    return false;
  }
  std::string buf = line + "\n";
  struct stat before {};
  bool sized = ::fstat(fd_, &before) == 0;
  // One write() per line: O_APPEND makes it atomic with respect to other appenders. A short
  // write (disk full) is continued once more to learn why it stopped.
  size_t off = 0;
  int err = 0;
  while (off < buf.size()) {
    ssize_t n = ::write(fd_, buf.data() + off, buf.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (off != buf.size()) {
    std::string why = std::strerror(err);
    // A torn line would glue itself to the next one; cut it off (nothing else appends here).
    if (off > 0 && (!sized || ::ftruncate(fd_, before.st_size) != 0))
      why += " (a partial line is left in the file)";
    noteFailure(why);
    return false;
  }
  ++written_;
  if (failing_) {
    failing_ = false;
    change_ = Change::Recovered;
  }
  return true;
}

void JsonLinesWriter::noteFailure(const std::string& why) {
  ++failed_;
  if (!failing_) {
    failing_ = true;
    lostInEpisode_ = 0;
    episodeError_ = why;
    change_ = Change::Failing;
  }
  ++lostInEpisode_;
}

JsonLinesWriter::Change JsonLinesWriter::takeChange(uint64_t& lost, std::string& error) {
  std::lock_guard lock(mu_);
  Change c = change_;
  change_ = Change::None;
  lost = lostInEpisode_;
  error = episodeError_;
  return c;
}

}  // namespace isogate::mgmt
