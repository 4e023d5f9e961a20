// JSON-lines encoding of events (SPEC §2 `events.json`): one JSON object a line,
// keys in a stable order, and a small append-only writer for the file.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "mgmt/event.h"
#include "mgmt/rfc5424.h"

namespace isogate::mgmt {

// {"time":"..","host":"..","type":"..","severity":"crit","msgid":"VIOLATION",
//  <fields in order>,"count":N,"policy":"..","policy_name":"..","message":".."}
// No trailing newline. Invalid UTF-8 is replaced, never thrown on.
std::string encodeJsonLine(const Event& e, const SyslogIdentity& id);

// Appends lines to a file opened O_APPEND (so logrotate's copytruncate and
// concurrent readers are safe). Write errors are counted, never thrown; a line
// only partly written (disk full) is cut off again, so the file never holds a
// torn line and the next good write starts on a line of its own.
class JsonLinesWriter {
 public:
  // What the last write changed: the first failure of an episode and the first
  // good write after one are what the daemon reports, not every lost line.
  enum class Change { None, Failing, Recovered };

  explicit JsonLinesWriter(std::string path);
  ~JsonLinesWriter();
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  bool open(std::string& error);
  bool write(const std::string& line);  // adds the newline
  void reopen();                        // after log rotation (SIGHUP)
  uint64_t written() const { return written_; }
  uint64_t failed() const { return failed_; }
  const std::string& path() const { return path_; }

  // The change the last write() made, once (then None). For Failing, `error` is
  // why; for Recovered, `lost` is how many lines failed since it began failing.
  Change takeChange(uint64_t& lost, std::string& error);

 private:
  void noteFailure(const std::string& why);

  std::string path_;
  int fd_ = -1;
  uint64_t written_ = 0;
  uint64_t failed_ = 0;
  bool failing_ = false;
  uint64_t lostInEpisode_ = 0;
  std::string episodeError_;
  Change change_ = Change::None;
  std::mutex mu_;
};

}  // namespace isogate::mgmt
