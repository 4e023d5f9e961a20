// Human output of isogatectl. Unknown or missing members print as "-" rather
// than failing: a newer daemon may add fields.
#include "mgmt/ctl/ctl_output.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace isogate::mgmt::ctl {
namespace {

using ojson = nlohmann::ordered_json;

std::string str(const ojson& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "-";
  const ojson& v = j[key];
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

void kv(std::ostringstream& o, const std::string& k, const std::string& v) {
  o << k << std::string(k.size() < 16 ? 16 - k.size() : 1, ' ') << v << "\n";
}

std::string status(const ojson& r) {
  std::ostringstream o;
  const ojson& p = r.value("policy", ojson::object());
  kv(o, "policy", str(p, "name") + " " + str(p, "digest"));
  kv(o, "applied", str(p, "applied_at") + " by " + str(p, "applied_by"));
  kv(o, "file", str(p, "file"));
  kv(o, "gateway runs", str(p, "gateway_reports"));
  if (r.contains("pending_confirm") && r["pending_confirm"].is_object())
    kv(o, "pending",
       "reload awaiting confirmation until " + str(r["pending_confirm"], "deadline") + " (" +
           str(r["pending_confirm"], "seconds_left") + " s left; isogatectl confirm)");
  else
    kv(o, "pending", "none");
  for (const auto& d : r.value("syslog", ojson::array())) {
    bool up = d.value("connected", false);
    bool failed = !up && str(d, "last_error") != "-";
    kv(o, "syslog",
       str(d, "url") +
           (up       ? " up"
            : failed ? " DOWN"
                     : " idle (nothing sent yet)") +
           ", " + str(d, "queued") + " queued, " + str(d, "dropped") + " dropped" +
           (failed ? " (" + str(d, "last_error") + ")" : ""));
  }
  if (r.contains("you")) kv(o, "you", str(r["you"], "user") + " (" + str(r["you"], "role") + ")");
  if (r.contains("daemon"))
    kv(o, "daemon",
       "pid " + str(r["daemon"], "pid") + ", up " + str(r["daemon"], "uptime_s") + " s");
  return o.str();
}

void flatten(std::ostringstream& o, const std::string& prefix, const ojson& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(o, prefix.empty() ? it.key() : prefix + "." + it.key(), it.value());
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) flatten(o, prefix + "[" + std::to_string(i) + "]", j[i]);
  } else {
    kv(o, prefix, j.is_string() ? j.get<std::string>() : j.dump());
  }
}

std::string violations(const ojson& r) {
  std::ostringstream o;
  const ojson& list = r.value("violations", ojson::array());
  if (list.empty()) return "no violations\n";
  for (const auto& v : list) {
    o << str(v, "time") << "  " << str(v, "type") << "  " << str(v, "from_zone") << " -> "
      << str(v, "to_zone") << "  " << str(v, "src") << " -> " << str(v, "dst");
    if (v.contains("proto")) o << " " << str(v, "proto");
    if (v.contains("dport")) o << "/" << str(v, "dport");
    o << "  count=" << str(v, "count");
    if (v.contains("rule") && !str(v, "rule").empty() && str(v, "rule") != "-")
      o << "  rule=" << str(v, "rule");
    o << "\n";
  }
  return o.str();
}

std::string endpoint(const ojson& f, const char* addr, const char* port) {
  std::string a = str(f, addr);
  const std::string p = str(f, port);
  if (p == "0" || p == "-") return a;  // ICMP and other protocols without ports
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + p;
}

// One line per flow, columns as wide as their widest cell.
std::string flows(const ojson& r) {
  std::ostringstream o;
  const ojson& list = r.value("flows", ojson::array());
  o << "backend " << str(r, "backend") << ", table taken " << str(r, "taken_at") << " ("
    << str(r, "age_s") << " s ago): " << list.size() << " of " << str(r, "total") << " flows";
  if (r.value("truncated", false)) o << " (the gateway sends at most " << list.size() << ")";
  o << "\n";
  if (list.empty()) return o.str();
  std::vector<std::vector<std::string>> rows = {
      {"PROTO", "SOURCE", "DESTINATION", "ZONES", "RULE", "STATE", "TIMEOUT", "PACKETS", "BYTES"}};
  for (const auto& f : list)
    rows.push_back({str(f, "proto"), endpoint(f, "src", "sport"), endpoint(f, "dst", "dport"),
                    str(f, "from_zone") + "->" + str(f, "to_zone"), str(f, "rule"), str(f, "state"),
                    str(f, "timeout_s"), str(f, "packets"), str(f, "bytes")});
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += row[c] + (c + 1 < row.size() ? std::string(width[c] - row[c].size() + 2, ' ') : "");
    o << line << "\n";
  }
  return o.str();
}

std::string policyChange(Command cmd, const ojson& r) {
  std::ostringstream o;
  for (const auto& d : r.value("diagnostics", ojson::array())) o << d.get<std::string>() << "\n";
  if (cmd == Command::Reload && r.value("unchanged", false))
    o << "policy " << str(r, "name") << " " << str(r, "digest")
      << " is already in force; reloaded\n";
  else
    o << "policy " << str(r, "name") << " " << str(r, "digest") << " now in force"
      << (cmd == Command::Confirm ? " (confirmed)" : "") << "\n";
  if (r.contains("confirm_deadline") && r["confirm_deadline"].is_string())
    o << "rolls back at " << r["confirm_deadline"].get<std::string>()
      << " unless confirmed: isogatectl confirm\n";
  return o.str();
}

std::string auditShow(const ojson& r) {
  std::ostringstream o;
  for (const auto& rec : r.value("records", ojson::array())) {
    const ojson& a = rec.value("actor", ojson::object());
    o << str(rec, "seq") << "  " << str(rec, "time") << "  " << str(a, "user") << " ("
      << str(a, "role") << ")  " << str(rec, "action") << "  " << str(rec, "result");
    if (rec.contains("details") && !rec["details"].empty()) o << "  " << rec["details"].dump();
    o << "\n";
  }
  return o.str();
}

}  // namespace

std::string renderHuman(Command cmd, const ojson& r) {
  switch (cmd) {
    case Command::Status:
      return status(r);
    case Command::Violations:
      return violations(r);
    case Command::Reload:
    case Command::Confirm:
    case Command::Rollback:
      return policyChange(cmd, r);
    case Command::AuditShow:
      return auditShow(r);
    case Command::AuditVerify:
      return "audit trail " + str(r, "file") + ": " + str(r, "records") +
             " records, chain intact\n";
    case Command::Flows:
      return flows(r);
    case Command::Stats: {
      std::ostringstream o;
      flatten(o, "", r);
      return o.str();
    }
  }
  return r.dump(2) + "\n";
}

}  // namespace isogate::mgmt::ctl
