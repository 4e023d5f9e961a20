// EventPipeline. Encoding happens once per message; each destination gets its
// own copy in its own bounded queue, so one slow receiver costs only its queue.
#include "mgmt/event_pipeline.h"

#include <unistd.h>

#include <cstring>

namespace isogate::mgmt {

EventPipeline::EventPipeline(PipelineOptions options)
    : options_(std::move(options)),
      aggregator_(options_.aggregation),
      violations_(options_.violationLogSize) {
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  counters_.aggregatorMaxKeys = aggregator_.maxKeys();
  counters_.policyDigest = options_.identity.policyDigest;
  counters_.policyName = options_.identity.policyName;
}

EventPipeline::~EventPipeline() {
  stop();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

bool EventPipeline::start(std::string& error) {
  if (!options_.jsonPath.empty()) {
    json_ = std::make_unique<JsonLinesWriter>(options_.jsonPath);
    if (!json_->open(error)) return false;
  }
  for (const auto& url : options_.syslog) {
    auto d = std::make_unique<SyslogDestination>(
        url, options_.limits, [this](const std::string& which, uint64_t lost) {
          Event f;
          f.type = EventType::Fault;
          f.set("component", "syslog");
          f.set("destination", which);
          f.set("lost", std::to_string(lost));
          f.message = std::to_string(lost) + " events lost while syslog destination " + which +
                      " was unreachable or too slow";
          post(std::move(f));
        });
    d->start();
    destinations_.push_back(std::move(d));
  }
  return true;
}

void EventPipeline::stop() {
  if (destinations_.empty() && !json_) return;
  std::vector<Event> out;
  aggregator_.flushAll(out);
  for (const auto& e : out) emit(e);
  for (auto& d : destinations_) d->stop();
  destinations_.clear();
  json_.reset();
}

void EventPipeline::setPolicy(const std::string& digest, const std::string& name,
                              std::chrono::system_clock::time_point at) {
  options_.identity.policyDigest = digest;
  options_.identity.policyName = name;
  std::lock_guard lock(mu_);
  counters_.policyDigest = digest;
  counters_.policyName = name;
  counters_.policyLoadedAt = at;
}

void EventPipeline::submit(Event e, SteadyTime now) {
  if (e.type == EventType::PolicyLoaded) {
    const std::string* d = e.field("policy");
    const std::string* n = e.field("policy_name");
    if (d) setPolicy(*d, n ? *n : std::string(), e.time);
  }
  {
    std::lock_guard lock(mu_);
    counters_.eventsIn[eventTypeName(e.type)] += e.count ? e.count : 1;
  }
  std::vector<Event> out;
  aggregator_.offer(std::move(e), now, out);
  for (const auto& m : out) emit(m);
}

void EventPipeline::tick(SteadyTime now) {
  std::vector<Event> out;
  aggregator_.flush(now, out);
  for (const auto& m : out) emit(m);
  std::lock_guard lock(mu_);
  counters_.aggregatorKeys = aggregator_.keyCount();
  counters_.aggregatorOverflowed = aggregator_.stats().overflowed;
}

void EventPipeline::post(Event e) {
  {
    std::lock_guard lock(mu_);
    if (posted_.size() >= options_.postQueueMax) {
      ++counters_.postDropped;
      return;
    }
    posted_.push_back(std::move(e));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof(one));
}

void EventPipeline::drainPosted(SteadyTime now) {
  uint64_t v = 0;
  [[maybe_unused]] ssize_t n = ::read(wakeFd_, &v, sizeof(v));
  std::deque<Event> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(posted_);
  }
  for (auto& e : batch) submit(std::move(e), now);
}

void EventPipeline::emit(const Event& e) {
  std::string line = encodeRfc5424(e, options_.identity);
  for (auto& d : destinations_) d->enqueue(line);
  bool jsonOk = true;
  if (json_) {
    jsonOk = json_->write(encodeJsonLine(e, options_.identity));
    reportJsonChange();
  }
  std::lock_guard lock(mu_);
  counters_.messagesOut[eventTypeName(e.type)] += 1;
  counters_.occurrencesOut[eventTypeName(e.type)] += e.count;
  if (json_) (jsonOk ? counters_.jsonWritten : counters_.jsonFailed) += 1;
  if (isViolation(e.type)) violations_.add(e);
}

void EventPipeline::reportJsonChange() {
  // Once when the JSON log starts failing (disk full, I/O error) and once when it works again,
  // with the count: a fault per lost line would itself be a line that cannot be written.
  uint64_t lost = 0;
  std::string error;
  auto change = json_->takeChange(lost, error);
  if (change == JsonLinesWriter::Change::None) return;
  Event f;
  f.type = EventType::Fault;
  f.set("component", "json-log");
  f.set("path", json_->path());
  f.set("error", error);
  if (change == JsonLinesWriter::Change::Failing) {
    f.message = "cannot write the JSON event log " + json_->path() + ": " + error +
                "; events still go to syslog, lost lines are counted";
  } else {
    f.set("lost", std::to_string(lost));
    f.message = std::to_string(lost) + " events not written to the JSON event log " +
                json_->path() + " (" + error + "); writing resumed";
  }
  post(std::move(f));
}

PipelineCounters EventPipeline::counters() const {
  std::lock_guard lock(mu_);
  PipelineCounters c = counters_;
  for (const auto& d : destinations_) c.destinations.push_back(d->stats());
  return c;
}

std::vector<Event> EventPipeline::violations(
    std::optional<std::chrono::system_clock::time_point> since, std::optional<EventType> type,
    size_t limit) const {
  std::lock_guard lock(mu_);
  return violations_.query(since, type, limit);
}

void EventPipeline::reopenJson() {
  if (json_) json_->reopen();
}

}  // namespace isogate::mgmt
