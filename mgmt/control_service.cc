// ControlService. The audit record is written before the response is returned,
// so a client that saw "ok" can rely on the trail holding the action.
#include "mgmt/control_service.h"

#include <unistd.h>

#include "mgmt/rfc5424.h"
#include "policy/model.h"

namespace isogate::mgmt {
namespace {

using ojson = nlohmann::ordered_json;

ojson eventJson(const Event& e) {
  ojson j;
  j["time"] = formatTimestamp(e.time);
  j["type"] = eventTypeName(e.type);
  j["severity"] = severityName(eventSeverity(e.type));
  for (const auto& [k, v] : e.fields)
    if (k != "type" && k != "count" && k != "time") j[k] = v;
  j["count"] = e.count;
  j["message"] = e.message;
  return j;
}

std::string failure(const char* code, const std::string& message, const ojson& extra = ojson()) {
  ojson j;
  j["ok"] = false;
  j["error"] = {{"code", code}, {"message", message}};
  if (extra.is_object())
    for (auto it = extra.begin(); it != extra.end(); ++it) j["error"][it.key()] = it.value();
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::string deadlineText(std::chrono::system_clock::time_point t) { return formatTimestamp(t); }

}  // namespace

ControlService::ControlService(ControlDeps deps) : deps_(std::move(deps)) {}

std::string ControlService::currentDigest() const {
  auto cur = deps_.policy.current();
  return cur ? cur->digest : deps_.pipeline.identity().policyDigest;
}

void ControlService::record(const PeerIdentity& who, const std::string& role,
                            const std::string& action, const std::string& result, ojson details) {
  AuditRecord r;
  r.actor.uid = who.uid;
  r.actor.user = who.user;
  r.actor.role = role;
  r.action = action;
  r.result = result;
  r.details = details;
  r.policy = currentDigest();
  std::string error;
  bool stored = deps_.audit.append(r, error);
  Event e;
  e.type = EventType::Audit;
  e.set("actor", who.user);
  e.set("uid", std::to_string(who.uid));
  e.set("role", role);
  e.set("action", action);
  e.set("result", result);
  if (stored) e.set("audit_seq", std::to_string(r.seq));
  e.message = who.user + " (" + role + ") " + action + ": " + result;
  if (details.contains("error") && details["error"].is_string())
    e.message += ": " + details["error"].get<std::string>();
  deps_.pipeline.post(std::move(e));
  if (!stored) {
    Event f;
    f.type = EventType::Fault;
    f.set("component", "audit-trail");
    f.message = "audit record not stored: " + error;
    deps_.pipeline.post(std::move(f));
  }
}

std::string ControlService::handle(const PeerIdentity& who, std::string_view line,
                                   std::chrono::system_clock::time_point now) {
  Role role = deps_.roles.resolve(who);
  ControlRequest req;
  std::string error;
  if (!parseRequest(line, req, error)) {
    record(who, roleName(role), "bad-request", "error", {{"error", error}});
    return errorResponse(kErrBadRequest, error);
  }
  ojson details = ojson::parse(requestToJson(req));
  details.erase("cmd");
  if (!roleAllows(role, req.cmd)) {
    std::string msg = std::string("'") + commandName(req.cmd) + "' is not allowed for " + who.user +
                      " (role " + roleName(role) + ")";
    details["error"] = msg;
    record(who, roleName(role), commandName(req.cmd), "refused", details);
    return errorResponse(kErrForbidden, msg);
  }
  std::string result = "ok";
  std::string response = run(req, who, role, now, details, result);
  record(who, roleName(role), commandName(req.cmd), result, details);
  return response;
}

std::string ControlService::policyChange(Command cmd, const PolicyOutcome& out, ojson& details,
                                         std::string& result) {
  ojson r;
  r["digest"] = out.digest;
  r["name"] = out.name;
  r["previous"] = out.previousDigest;
  r["confirm_deadline"] = out.confirmDeadline ? ojson(deadlineText(*out.confirmDeadline)) : ojson();
  r["unchanged"] = out.unchanged;
  r["gateway_notified"] = out.gatewayNotified;
  r["diagnostics"] = out.diagnostics;
  details["digest"] = out.digest;
  if (out.confirmDeadline) details["confirm_deadline"] = deadlineText(*out.confirmDeadline);
  if (!out.ok) {
    result = "error";
    details["error"] = out.error;
    if (cmd == Command::Reload && !out.diagnostics.empty()) {
      Event e;
      e.type = EventType::PolicyRejected;
      e.set("file", deps_.policy.policyPath());
      e.set("errors", std::to_string(out.diagnostics.size()));
      std::string text;
      for (const auto& d : out.diagnostics) {
        if (text.size() > 1500) break;
        text += (text.empty() ? "" : "; ") + d;
      }
      e.message = text;
      deps_.pipeline.post(std::move(e));
    }
    return failure(kErrFailed, out.error, {{"diagnostics", out.diagnostics}});
  }
  if (deps_.policyChanged) deps_.policyChanged();
  return okResponse(cmd, r);
}

std::string ControlService::run(const ControlRequest& req, const PeerIdentity& who, Role role,
                                std::chrono::system_clock::time_point now, ojson& details,
                                std::string& result) {
  switch (req.cmd) {
    case Command::Status: {
      ojson r;
      auto cur = deps_.policy.current();
      ojson pol;
      pol["digest"] = cur ? cur->digest : "";
      pol["name"] = cur ? cur->name : "";
      pol["file"] = deps_.policy.policyPath();
      pol["applied_at"] = cur ? cur->appliedAt : "";
      pol["applied_by"] = cur ? cur->by : "";
      pol["gateway_reports"] = deps_.pipeline.identity().policyDigest;
      r["policy"] = pol;
      auto pending = deps_.policy.pendingDeadline();
      if (pending) {
        auto left = std::chrono::duration_cast<std::chrono::seconds>(*pending - now).count();
        r["pending_confirm"] = {{"deadline", deadlineText(*pending)},
                                {"seconds_left", left < 0 ? 0 : left}};
      } else {
        r["pending_confirm"] = nullptr;
      }
      ojson dests = ojson::array();
      for (const auto& d : deps_.pipeline.counters().destinations)
        dests.push_back({{"url", d.url},
                         {"connected", d.connected},
                         {"queued", d.queued},
                         {"dropped", d.dropped},
                         {"last_error", d.lastError}});
      r["syslog"] = dests;
      r["you"] = {{"user", who.user}, {"uid", who.uid}, {"role", roleName(role)}};
      if (deps_.statusExtra) r["daemon"] = deps_.statusExtra();
      return okResponse(req.cmd, r);
    }
    case Command::Stats: {
      PipelineCounters c = deps_.pipeline.counters();
      ojson r;
      r["events_in"] = c.eventsIn;
      r["messages_out"] = c.messagesOut;
      r["occurrences_out"] = c.occurrencesOut;
      r["aggregation"] = {{"keys", c.aggregatorKeys},
                          {"max_keys", c.aggregatorMaxKeys},
                          {"overflowed", c.aggregatorOverflowed}};
      r["drops"] = {{"internal_queue", c.postDropped}, {"json_write", c.jsonFailed}};
      ojson dests = ojson::array();
      for (const auto& d : c.destinations)
        dests.push_back({{"url", d.url},
                         {"sent", d.sent},
                         {"dropped", d.dropped},
                         {"queued", d.queued},
                         {"reconnects", d.reconnects}});
      r["syslog"] = dests;
      r["json_lines_written"] = c.jsonWritten;
      if (deps_.statsExtra) {
        ojson extra = deps_.statsExtra();
        for (auto it = extra.begin(); it != extra.end(); ++it) r[it.key()] = it.value();
      }
      return okResponse(req.cmd, r);
    }
    case Command::Violations: {
      std::optional<std::chrono::system_clock::time_point> since;
      if (req.since) since = now - *req.since;
      ojson list = ojson::array();
      for (const auto& e : deps_.pipeline.violations(since, req.type, req.limit ? req.limit : 1000))
        list.push_back(eventJson(e));
      details["returned"] = list.size();
      return okResponse(req.cmd, {{"violations", list}});
    }
    case Command::Flows:
      return flows(now, details, result);
    case Command::Reload: {
      std::optional<std::chrono::seconds> within;
      if (req.confirmSeconds) within = std::chrono::seconds(*req.confirmSeconds);
      return policyChange(req.cmd, deps_.policy.apply(who.user, within, now), details, result);
    }
    case Command::Confirm:
      return policyChange(req.cmd, deps_.policy.confirm(who.user, now), details, result);
    case Command::Rollback:
      return policyChange(req.cmd, deps_.policy.rollback(who.user, now), details, result);
    case Command::AuditShow: {
      ojson list = ojson::array();
      for (auto& rec : deps_.audit.tail(req.limit ? req.limit : 100))
        list.push_back(std::move(rec));
      return okResponse(req.cmd, {{"records", list}});
    }
    case Command::AuditVerify: {
      AuditVerifyResult v = deps_.audit.verify();
      details["verified"] = v.ok;
      if (!v.ok) {
        result = "error";
        details["error"] = v.error;
        return failure(kErrFailed, "audit trail " + deps_.audit.path() + " is damaged: " + v.error,
                       {{"records", v.records}, {"bad_line", v.badLine}});
      }
      return okResponse(req.cmd,
                        {{"verified", true}, {"records", v.records}, {"file", deps_.audit.path()}});
    }
  }
  return errorResponse(kErrInternal, "unhandled command");
}

std::string ControlService::flows(std::chrono::system_clock::time_point now, ojson& details,
                                  std::string& result) {
  const std::optional<StoredFlows> none;
  const auto& latest = flows_ ? flows_->latest() : none;
  std::string why;
  int64_t age = 0;
  if (!latest) {
    why = "flows: no flow table from the gateway yet (isogate-gw sends one every " +
          std::to_string(kFlowSnapshotPeriodSeconds) +
          " s when it runs with --mgmt-socket; is it running?)";
  } else {
    age = std::chrono::duration_cast<std::chrono::seconds>(now - latest->receivedAt).count();
    if (age < 0) age = 0;
    if (age > kFlowSnapshotStaleSeconds)
      why = "flows: the gateway's last flow table is " + std::to_string(age) +
            " s old (it sends one every " + std::to_string(kFlowSnapshotPeriodSeconds) +
            " s; is isogate-gw running?)";
  }
  if (!why.empty()) {
    result = "error";
    details["error"] = why;
    return errorResponse(kErrUnavailable, why);
  }
  const FlowSnapshot& s = latest->snapshot;
  ojson list = ojson::array();
  for (const auto& f : s.flows) {
    ojson j;
    j["family"] = f.family == 6 ? "ipv6" : "ipv4";
    j["proto"] = policy::protocolName(f.proto);
    j["src"] = f.src;
    j["sport"] = f.sport;
    j["dst"] = f.dst;
    j["dport"] = f.dport;
    j["from_zone"] = f.fromZone;
    j["to_zone"] = f.toZone;
    j["rule"] = f.rule;
    j["state"] = f.state;
    j["timeout_s"] = f.timeoutS;
    j["packets"] = f.packets ? ojson(*f.packets) : ojson();
    j["bytes"] = f.bytes ? ojson(*f.bytes) : ojson();
    list.push_back(std::move(j));
  }
  details["returned"] = list.size();
  ojson r;
  r["backend"] = s.backend;
  r["taken_at"] = formatTimestamp(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(s.timeMs)));
  r["age_s"] = age;
  r["total"] = s.total;
  r["returned"] = list.size();
  r["truncated"] = s.total > list.size();
  r["flows"] = std::move(list);
  return okResponse(Command::Flows, r);
}

void ControlService::tick(std::chrono::system_clock::time_point now) {
  auto out = deps_.policy.tick(now);
  if (!out) return;
  PeerIdentity self;
  self.uid = static_cast<int64_t>(::getuid());
  self.user = "isogate-mgmtd";
  ojson details = {{"reason", "reload not confirmed in time"},
                   {"digest", out->digest},
                   {"rolled_back", out->previousDigest}};
  if (!out->ok) details["error"] = out->error;
  record(self, "daemon", "auto-rollback", out->ok ? "ok" : "error", details);
  if (out->ok && deps_.policyChanged) deps_.policyChanged();
}

}  // namespace isogate::mgmt
