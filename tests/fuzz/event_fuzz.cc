// Fuzz target for the event path of isogate-mgmtd: any bytes as an intake
// datagram (fromWire), and the same bytes cut into an arbitrary Event (any
// type, field names and values, message) for the encoders. Invariants: a
// decoded datagram re-encodes to itself (a flow snapshot part: to parts with
// the same flows); encodeJsonLine always yields one line
// of valid JSON; encodeRfc5424 one line starting with its PRI; nothing throws.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mgmt/event_wire.h"
#include "mgmt/json_lines.h"
#include "mgmt/rfc5424.h"
#include "tests/fuzz/fuzz_check.h"

using namespace isogate::mgmt;

namespace {

void checkEncoders(const Event& e, const SyslogIdentity& id) {
  const std::string line = encodeJsonLine(e, id);
  FUZZ_CHECK(line.find('\n') == std::string::npos);
  FUZZ_CHECK(nlohmann::json::accept(line));
  const std::string syslog = encodeRfc5424(e, id);
  FUZZ_CHECK(syslog.rfind("<", 0) == 0);
  FUZZ_CHECK(syslog.find('\n') == std::string::npos);
}

// The input as an Event: byte 0 the type, then '\n'-separated lines: the message,
// then name/value pairs (names and values as they come, valid or not).
Event eventFrom(std::string_view in) {
  Event e;
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795600000000));
  if (in.empty()) return e;
  e.type = static_cast<EventType>(static_cast<uint8_t>(in[0]) % 10);
  e.count = static_cast<uint8_t>(in[0]) + 1;
  in.remove_prefix(1);
  auto next = [&in]() {
    const size_t nl = in.find('\n');
    std::string_view part = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    return std::string(part);
  };
  e.message = next();
  while (!in.empty()) {
    std::string name = next();
    e.fields.emplace_back(std::move(name), next());
  }
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  SyslogIdentity id;
  id.hostname = "gw1";
  id.policyDigest = "sha256:00";
  id.policyName = "fuzz";

  WireMessage msg;
  std::string error;
  if (!fromWire(in, msg, error)) {
    FUZZ_CHECK(!error.empty());
  } else if (msg.kind == WireMessage::Kind::Flows) {
    // A flow snapshot part re-encodes into parts that decode to the same flows and total.
    size_t flows = 0;
    for (const auto& part : toWireParts(msg.flows.data, msg.flows.snapshot)) {
      WireMessage again;
      std::string error2;
      FUZZ_CHECK(fromWire(part, again, error2));
      FUZZ_CHECK(again.kind == WireMessage::Kind::Flows);
      FUZZ_CHECK(again.flows.data.total == msg.flows.data.total);
      flows += again.flows.data.flows.size();
    }
    FUZZ_CHECK(flows == msg.flows.data.flows.size());
  } else {
    const std::string wire =
        msg.kind == WireMessage::Kind::Event ? toWire(msg.event) : toWire(msg.stats);
    WireMessage again;
    std::string error2;
    FUZZ_CHECK(fromWire(wire, again, error2));
    FUZZ_CHECK(again.kind == msg.kind);
    FUZZ_CHECK(wire == (again.kind == WireMessage::Kind::Event ? toWire(again.event)
                                                               : toWire(again.stats)));
    if (msg.kind == WireMessage::Kind::Event) checkEncoders(msg.event, id);
  }

  checkEncoders(eventFrom(in), id);
  return 0;
}
