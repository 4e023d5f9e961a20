// ViolationLog: a deque used as a ring; queries walk it newest first so a
// small limit does not scan the whole ring.
#include "mgmt/violation_log.h"

#include <algorithm>

namespace isogate::mgmt {

void ViolationLog::add(const Event& e) {
  if (events_.size() == capacity_) events_.pop_front();
  events_.push_back(e);
}

std::vector<Event> ViolationLog::query(std::optional<std::chrono::system_clock::time_point> since,
                                       std::optional<EventType> type, size_t limit) const {
  std::vector<Event> out;
  for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
    if (limit && out.size() >= limit) break;
    if (type && it->type != *type) continue;
    if (since && it->time < *since) continue;
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace isogate::mgmt
