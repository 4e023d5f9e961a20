// Exact RFC 5424 strings (SPEC §4), escaping, and the JSON-lines form.
#include "mgmt/rfc5424.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mgmt/json_lines.h"

namespace isogate::mgmt {
namespace {

using namespace std::chrono;

Event violation() {
  Event e;
  e.type = EventType::PhysicalIsolation;
  e.time = system_clock::time_point(milliseconds(1795687200123));  // 2026-11-26T10:00:00.123Z
  e.fields = {{"from_zone", "intranet"}, {"to_zone", "extranet"},
              {"src", "10.10.1.5"},      {"dst", "10.20.1.9"},
              {"proto", "tcp"},          {"sport", "40000"},
              {"dport", "445"},          {"rule", ""}};
  e.message = "blocked intranet -> extranet";
  return e;
}

SyslogIdentity identity() {
  SyslogIdentity id;
  id.hostname = "gw-tj-01";
  id.policyDigest = "sha256:" + std::string(64, 'a');
  id.policyName = "tianjin-egov-boundary";
  return id;
}

TEST(Rfc5424, SpecExample) {
  EXPECT_EQ(encodeRfc5424(violation(), identity()),
            "<162>1 2026-11-26T10:00:00.123Z gw-tj-01 isogate - VIOLATION [isogate@32473 "
            "type=\"physical-isolation\" from_zone=\"intranet\" to_zone=\"extranet\" "
            "src=\"10.10.1.5\" dst=\"10.20.1.9\" proto=\"tcp\" sport=\"40000\" dport=\"445\" "
            "rule=\"\" count=\"1\" policy=\"sha256:" +
                std::string(64, 'a') +
                "\" policy_name=\"tianjin-egov-boundary\"] blocked intranet -> extranet");
}

TEST(Rfc5424, PriorityPerTypeAndFacility) {
  Event e = violation();
  auto id = identity();
  e.type = EventType::LogicalIsolation;
  EXPECT_EQ(encodeRfc5424(e, id).substr(0, 6), "<164>1");
  e.type = EventType::FlowAllowed;
  EXPECT_NE(encodeRfc5424(e, id).find("<166>1 "), std::string::npos);
  EXPECT_NE(encodeRfc5424(e, id).find(" isogate - FLOW ["), std::string::npos);
  id.facility = facilityFromName("local0");
  e.type = EventType::Audit;
  EXPECT_EQ(encodeRfc5424(e, id).substr(0, 6), "<133>1");
  EXPECT_EQ(facilityFromName("local7"), 23);
  EXPECT_EQ(facilityFromName("3"), 3);
  EXPECT_EQ(facilityFromName("24"), -1);
  EXPECT_EQ(facilityFromName("bogus"), -1);
}

TEST(Rfc5424, EscapesSdValues) {
  EXPECT_EQ(escapeSdValue(R"(a"b\c]d)"), R"(a\"b\\c\]d)");
  Event e;
  e.type = EventType::Audit;
  e.time = system_clock::time_point(milliseconds(0));
  e.fields = {{"actor", "eve\"] [x"}, {"bad name", "dropped"}, {"count", "99"}};
  e.message = "line1\nline2";
  EXPECT_EQ(encodeRfc5424(e, SyslogIdentity{}),
            "<165>1 1970-01-01T00:00:00.000Z - isogate - AUDIT [isogate@32473 type=\"audit\" "
            "actor=\"eve\\\"\\] [x\" count=\"1\" policy=\"\" policy_name=\"\"] line1 line2");
}

TEST(Rfc5424, EventPolicyFieldsWinAndGoLast) {
  Event e = violation();
  e.fields.insert(e.fields.begin(), {"policy", "sha256:ff"});
  e.set("policy_name", "other");
  e.count = 7;
  e.message.clear();
  std::string s = encodeRfc5424(e, identity());
  EXPECT_NE(s.find("rule=\"\" count=\"7\" policy=\"sha256:ff\" policy_name=\"other\"]"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.back(), ']');
}

TEST(Rfc5424, HostnameSanitised) {
  auto id = identity();
  id.hostname = "gw 1\n";
  EXPECT_NE(encodeRfc5424(violation(), id).find(" gw_1_ isogate "), std::string::npos);
}

TEST(Rfc5424, Timestamp) {
  EXPECT_EQ(formatTimestamp(system_clock::time_point(milliseconds(1795687200123))),
            "2026-11-26T10:00:00.123Z");
  EXPECT_EQ(formatTimestamp(system_clock::time_point(milliseconds(-1))),
            "1969-12-31T23:59:59.999Z");
}

TEST(JsonLines, StableOrderAndValues) {
  Event e = violation();
  e.count = 3;
  std::string line = encodeJsonLine(e, identity());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind("{\"time\":\"2026-11-26T10:00:00.123Z\",\"host\":\"gw-tj-01\",\"type\":"
                       "\"physical-isolation\",\"severity\":\"crit\",\"msgid\":\"VIOLATION\","
                       "\"from_zone\":\"intranet\",",
                       0),
            0u)
      << line;
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["dport"], "445");
  EXPECT_EQ(j["policy_name"], "tianjin-egov-boundary");
  EXPECT_EQ(j["message"], "blocked intranet -> extranet");
}

TEST(JsonLines, InvalidUtf8IsReplacedNotThrown) {
  Event e;
  e.type = EventType::Fault;
  e.message = std::string("bad \xff byte");
  std::string line;
  EXPECT_NO_THROW(line = encodeJsonLine(e, SyslogIdentity{}));
  EXPECT_NO_THROW(nlohmann::json::parse(line));
}

TEST(EventTable, NamesSeveritiesMsgIds) {
  EXPECT_STREQ(eventTypeName(EventType::IsolationBreach), "isolation-breach");
  EXPECT_EQ(eventTypeFromName("spoofed-source"), EventType::SpoofedSource);
  EXPECT_EQ(eventTypeFromName("nope"), std::nullopt);
  EXPECT_EQ(eventSeverity(EventType::PolicyRejected), Severity::Err);
  EXPECT_EQ(eventSeverity(EventType::Malformed), Severity::Notice);
  EXPECT_STREQ(eventMsgId(EventType::PolicyLoaded), "POLICY");
  EXPECT_TRUE(isViolation(EventType::Malformed));
  EXPECT_FALSE(isViolation(EventType::FlowAllowed));
}

}  // namespace
}  // namespace isogate::mgmt
