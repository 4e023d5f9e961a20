// The sensors' inspector in isogate-mgmtd: policy::SegmentAuditor for one
// monitor interface's zone, turned into `isolation-breach` events. The auditor
// is rebuilt when the running policy changes; a capture thread always sees
// either the old or the new one, never a half-built one.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "mgmt/event.h"
#include "mgmt/sensor.h"
#include "policy/compiled.h"
#include "policy/segment_audit.h"

namespace isogate::mgmt {

class SegmentInspector {
 public:
  SegmentInspector(std::string interface, std::string zone);

  // false + error when the zone is not in the policy (the sensor then reports nothing).
  bool setPolicy(const policy::CompiledPolicy& policy, std::string& error);

  std::optional<Event> inspect(int linkType, const uint8_t* data, size_t len) const;
  FrameInspector asInspector() const;

 private:
  struct State {
    std::shared_ptr<const policy::SegmentAuditor> auditor;
    std::vector<std::string> zoneNames;
    std::string digest, policyName;
  };
  std::string interface_, zone_;
  mutable std::mutex mu_;
  std::shared_ptr<const State> state_;
};

}  // namespace isogate::mgmt
