// JSON-lines events. nlohmann's ordered_json keeps insertion order so the
// line's key order is the same as the syslog SD order.
#include "mgmt/json_lines.h"

#include <fcntl.h>
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
    ++failed_;
    return false;
  }
  std::string buf = line + "\n";
  // One write() per line: O_APPEND makes it atomic with respect to other appenders.
  ssize_t n = ::write(fd_, buf.data(), buf.size());
  if (n != static_cast<ssize_t>(buf.size())) {
    ++failed_;
    return false;
  }
  ++written_;
  return true;
}

}  // namespace isogate::mgmt
