// The recent violations as they were reported (after aggregation), kept in a
// fixed-size ring for `isogatectl violations`. Memory is bounded by `capacity`.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <vector>

#include "mgmt/event.h"

namespace isogate::mgmt {

class ViolationLog {
 public:
  explicit ViolationLog(size_t capacity = 10000) : capacity_(capacity ? capacity : 1) {}

  void add(const Event& e);
  // Newest last; at most `limit` (the newest ones), only events at or after `since`.
  std::vector<Event> query(std::optional<std::chrono::system_clock::time_point> since,
                           std::optional<EventType> type, size_t limit) const;
  size_t size() const { return events_.size(); }

 private:
  size_t capacity_;
  std::deque<Event> events_;
};

}  // namespace isogate::mgmt
