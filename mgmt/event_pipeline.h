// The daemon's event path: events in (intake, sensors, the daemon's own audit
// and fault events) -> aggregation -> RFC 5424 to every syslog destination,
// JSON lines, and the recent-violations ring. Owned by the main loop; other
// threads hand events over with post(), which never blocks.
#pragma once

#include <sys/eventfd.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mgmt/aggregator.h"
#include "mgmt/event.h"
#include "mgmt/gateway_stats.h"
#include "mgmt/json_lines.h"
#include "mgmt/rfc5424.h"
#include "mgmt/syslog_destination.h"
#include "mgmt/syslog_url.h"
#include "mgmt/violation_log.h"

namespace isogate::mgmt {

struct PipelineOptions {
  SyslogIdentity identity;
  AggregatorConfig aggregation;
  std::vector<SyslogUrl> syslog;
  DestinationLimits limits;
  std::string jsonPath;  // empty = none
  size_t violationLogSize = 10000;
  size_t postQueueMax = 4096;
};

struct PipelineCounters {
  std::map<std::string, uint64_t> eventsIn;        // by type: occurrences offered (sum of counts)
  std::map<std::string, uint64_t> messagesOut;     // by type: messages emitted
  std::map<std::string, uint64_t> occurrencesOut;  // by type: sum of the counts emitted
  uint64_t postDropped = 0;                        // post() queue full
  uint64_t jsonWritten = 0, jsonFailed = 0;
  size_t aggregatorKeys = 0, aggregatorMaxKeys = 0;
  uint64_t aggregatorOverflowed = 0;
  std::vector<DestinationStats> destinations;
  std::string policyDigest, policyName;
  std::optional<std::chrono::system_clock::time_point> policyLoadedAt;
};

class EventPipeline {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit EventPipeline(PipelineOptions options);
  ~EventPipeline();
  EventPipeline(const EventPipeline&) = delete;
  EventPipeline& operator=(const EventPipeline&) = delete;

  bool start(std::string& error);  // JSON file, sender threads
  void stop();                     // flushes aggregated counts, then stops senders

  void submit(Event e, SteadyTime now);  // main loop only
  void tick(SteadyTime now);             // main loop: aggregation intervals

  // Any thread; never blocks. Wakes the main loop through wakeFd().
  void post(Event e);
  int wakeFd() const { return wakeFd_; }
  void drainPosted(SteadyTime now);  // main loop, when wakeFd is readable

  // The running policy as the gateway reported it (policy-loaded) or the daemon knows it.
  void setPolicy(const std::string& digest, const std::string& name,
                 std::chrono::system_clock::time_point at);
  const SyslogIdentity& identity() const { return options_.identity; }

  PipelineCounters counters() const;  // any thread
  std::vector<Event> violations(std::optional<std::chrono::system_clock::time_point> since,
                                std::optional<EventType> type, size_t limit) const;
  void reopenJson();

 private:
  void emit(const Event& e);
  void reportJsonChange();  // a `fault` when the JSON log starts or stops failing

  PipelineOptions options_;
  Aggregator aggregator_;
  std::vector<std::unique_ptr<SyslogDestination>> destinations_;
  std::unique_ptr<JsonLinesWriter> json_;
  int wakeFd_ = -1;

  mutable std::mutex mu_;  // everything below
  std::deque<Event> posted_;
  ViolationLog violations_;
  PipelineCounters counters_;
};

}  // namespace isogate::mgmt
