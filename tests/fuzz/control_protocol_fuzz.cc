// Fuzz target: any bytes as one control-socket request line. Invariants: a
// refusal always says why; an accepted request survives requestToJson and a
// second parse unchanged; nothing over the size bound is accepted. The same
// bytes also go through the strict JSON parser and the duration parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mgmt/control_protocol.h"
#include "mgmt/strict_json.h"
#include "tests/fuzz/fuzz_check.h"

using namespace isogate::mgmt;

namespace {

bool same(const ControlRequest& a, const ControlRequest& b) {
  return a.cmd == b.cmd && a.since == b.since && a.type == b.type &&
         a.confirmSeconds == b.confirmSeconds && a.limit == b.limit;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  std::string error;
  const auto json = parseStrictJson(line, error);
  FUZZ_CHECK(json.has_value() == error.empty());

  ControlRequest r;
  error.clear();
  if (!parseRequest(line, r, error)) {
    FUZZ_CHECK(!error.empty());
  } else {
    FUZZ_CHECK(size <= kMaxControlRequest);
    const std::string again = requestToJson(r);
    ControlRequest r2;
    std::string error2;
    FUZZ_CHECK(parseRequest(again, r2, error2));
    FUZZ_CHECK(same(r, r2));
    for (Role role : {Role::Admin, Role::Officer, Role::Auditor}) (void)roleAllows(role, r.cmd);
  }

  if (const auto d = parseDuration(line)) {
    FUZZ_CHECK(d->count() >= 0);
    FUZZ_CHECK(d->count() <= 10LL * 366 * 86400);
  }
  (void)okResponse(r.cmd, nlohmann::ordered_json(std::string(line)));
  (void)errorResponse(kErrBadRequest, std::string(line));
  return 0;
}
