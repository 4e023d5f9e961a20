// Metrics rendering. Every family is always present (possibly without
// samples), so dashboards and alerts do not break on a quiet gateway.
#include "mgmt/metrics_text.h"

#include <chrono>
#include <cstdio>

namespace isogate::mgmt {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const char* name, const std::string& labels, double v) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  char buf[64];
  std::snprintf(buf, sizeof(buf), " %.17g\n", v);
  out += buf;
}

void sample(std::string& out, const char* name, const std::string& labels, uint64_t v) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ' + std::to_string(v) + '\n';
}

std::string label(const char* k, const std::string& v) {
  return std::string(k) + "=\"" + escapeLabelValue(v) + "\"";
}

}  // namespace

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string renderMetrics(const MetricsSnapshot& s) {
  std::string out;
  const PipelineCounters& p = s.pipeline;
  family(out, "isogate_mgmt_uptime_seconds", "gauge", "Seconds since isogate-mgmtd started.");
  sample(out, "isogate_mgmt_uptime_seconds", "", s.uptimeSeconds);

  family(out, "isogate_policy_info", "gauge", "The running policy (digest and name as labels).");
  if (!p.policyDigest.empty())
    sample(out, "isogate_policy_info",
           label("digest", p.policyDigest) + "," + label("name", p.policyName), uint64_t{1});
  family(out, "isogate_policy_load_time_seconds", "gauge",
         "Unix time the running policy was loaded.");
  if (p.policyLoadedAt) {
    double t = std::chrono::duration<double>(p.policyLoadedAt->time_since_epoch()).count();
    sample(out, "isogate_policy_load_time_seconds", "", t);
  }

  family(out, "isogate_events_total", "counter", "Event occurrences received, by type.");
  for (const auto& [t, n] : p.eventsIn) sample(out, "isogate_events_total", label("type", t), n);
  family(out, "isogate_event_messages_total", "counter",
         "Event messages emitted after aggregation, by type.");
  for (const auto& [t, n] : p.messagesOut)
    sample(out, "isogate_event_messages_total", label("type", t), n);

  family(out, "isogate_event_drops_total", "counter",
         "Events lost before any destination, by stage.");
  sample(out, "isogate_event_drops_total", label("stage", "intake-malformed"), s.intake.malformed);
  sample(out, "isogate_event_drops_total", label("stage", "internal-queue"), p.postDropped);
  sample(out, "isogate_event_drops_total", label("stage", "json-write"), p.jsonFailed);
  if (s.gateway)
    sample(out, "isogate_event_drops_total", label("stage", "gateway"), s.gateway->eventsDropped);

  family(out, "isogate_intake_datagrams_total", "counter", "Datagrams read from the event socket.");
  sample(out, "isogate_intake_datagrams_total", "", s.intake.received);

  family(out, "isogate_aggregation_keys", "gauge", "Distinct violation keys being aggregated.");
  sample(out, "isogate_aggregation_keys", "", static_cast<uint64_t>(p.aggregatorKeys));
  family(out, "isogate_aggregation_keys_max", "gauge", "Capacity of the aggregation table.");
  sample(out, "isogate_aggregation_keys_max", "", static_cast<uint64_t>(p.aggregatorMaxKeys));
  family(out, "isogate_aggregation_overflow_total", "counter",
         "Violations folded into overflow buckets because the table was full.");
  sample(out, "isogate_aggregation_overflow_total", "", p.aggregatorOverflowed);

  family(out, "isogate_syslog_sent_total", "counter", "Messages sent, per syslog destination.");
  for (const auto& d : p.destinations)
    sample(out, "isogate_syslog_sent_total", label("destination", d.url), d.sent);
  family(out, "isogate_syslog_dropped_total", "counter",
         "Messages dropped (queue full), per syslog destination.");
  for (const auto& d : p.destinations)
    sample(out, "isogate_syslog_dropped_total", label("destination", d.url), d.dropped);
  family(out, "isogate_syslog_queued", "gauge", "Messages waiting, per syslog destination.");
  for (const auto& d : p.destinations)
    sample(out, "isogate_syslog_queued", label("destination", d.url),
           static_cast<uint64_t>(d.queued));
  family(out, "isogate_syslog_up", "gauge", "1 when connected, per syslog destination.");
  for (const auto& d : p.destinations)
    sample(out, "isogate_syslog_up", label("destination", d.url), uint64_t{d.connected ? 1u : 0u});
  family(out, "isogate_json_lines_written_total", "counter",
         "Lines written to the JSON event file.");
  sample(out, "isogate_json_lines_written_total", "", p.jsonWritten);

  family(out, "isogate_sensor_frames_total", "counter", "Frames inspected by monitor sensors.");
  sample(out, "isogate_sensor_frames_total", "", s.sensorFrames);
  family(out, "isogate_sensor_breaches_total", "counter",
         "Frames that proved an isolation breach.");
  sample(out, "isogate_sensor_breaches_total", "", s.sensorBreaches);

  family(out, "isogate_packets_total", "counter",
         "Packets per zone pair, rule and verdict (from the gateway's last report).");
  family(out, "isogate_bytes_total", "counter",
         "Bytes per zone pair, rule and verdict (from the gateway's last report).");
  family(out, "isogate_drops_total", "counter", "Gateway drops by reason.");
  if (s.gateway) {
    std::string pk, by;
    for (const auto& c : s.gateway->pairs) {
      std::string l = label("from_zone", c.fromZone) + "," + label("to_zone", c.toZone) + "," +
                      label("rule", c.rule) + "," + label("verdict", c.verdict);
      sample(pk, "isogate_packets_total", l, c.packets);
      sample(by, "isogate_bytes_total", l, c.bytes);
    }
    // Families must be contiguous: packets, then bytes, then drops.
    auto at = out.find("# HELP isogate_bytes_total");
    out.insert(at, pk);
    at = out.find("# HELP isogate_drops_total");
    out.insert(at, by);
    for (const auto& [reason, n] : s.gateway->drops)
      sample(out, "isogate_drops_total", label("reason", reason), n);
  }
  return out;
}

}  // namespace isogate::mgmt
