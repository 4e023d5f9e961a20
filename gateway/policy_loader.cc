#include "gateway/policy_loader.h"

#include "policy/pipeline.h"

namespace isogate::gateway {

PolicyLoader::PolicyLoader(Backend& backend, EventOutput& events, std::string policyPath,
                           std::vector<BackendInterface> interfaces, const policy::GatewayConfig* config)
    : backend_(backend),
      events_(events),
      policyPath_(std::move(policyPath)),
      interfaces_(std::move(interfaces)),
      config_(config) {}

std::vector<std::string> PolicyLoader::bindInterfaces(const policy::CompiledPolicy& p,
                                                      std::vector<BackendInterface>& out) const {
  std::vector<std::string> errors;
  out = interfaces_;
  for (auto& itf : out) {
    itf.zoneId = p.findZone(itf.zone);
    if (itf.zoneId < 0) errors.push_back("interface '" + itf.name + "': zone '" + itf.zone + "' is not in the policy");
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t j = i + 1; j < out.size(); ++j) {
      const auto &a = out[i], &b = out[j];
      if (a.monitor || b.monitor || a.zoneId < 0 || b.zoneId < 0 || a.zoneId == b.zoneId) continue;
      if (p.pair(a.zoneId, b.zoneId) == policy::PairKind::Physical) {
        errors.push_back("interfaces '" + a.name + "' and '" + b.name + "' forward between physically isolated zones " +
                         a.zone + " and " + b.zone);
      }
    }
  }
  return errors;
}

void PolicyLoader::reject(const std::string& digest, const std::vector<std::string>& diagnostics) {
  mgmt::Event e;
  e.type = mgmt::EventType::PolicyRejected;
  e.set("file", policyPath_);
  if (!digest.empty()) e.set("rejected_policy", digest);
  std::string joined;
  for (const auto& d : diagnostics) joined += (joined.empty() ? "" : "; ") + d;
  e.set("diagnostics", joined);
  e.message = "policy " + policyPath_ + " rejected, " +
              (current_ ? "running policy " + current_->digest + " stays" : "forward path stays closed");
  events_.emit(e);
}

bool PolicyLoader::load() {
  policy::PolicyBuild build = policy::buildPolicyFile(policyPath_);
  if (!build.ok()) {
    std::vector<std::string> lines;
    for (const auto& d : build.diags.sorted()) {
      if (d.severity == policy::Severity::Error) lines.push_back(policy::formatDiagnostic(d));
    }
    reject("", lines);
    return false;
  }
  const policy::CompiledPolicy& compiled = *build.compiled;
  if (config_) {
    policy::Diagnostics configDiags;
    policy::checkGatewayConfig(*config_, build.model, configDiags);
    if (configDiags.hasErrors()) {
      std::vector<std::string> lines;
      for (const auto& d : configDiags.sorted()) {
        if (d.severity == policy::Severity::Error) lines.push_back(policy::formatDiagnostic(d));
      }
      reject(compiled.digest, lines);
      return false;
    }
  }
  std::vector<BackendInterface> bound;
  if (auto errors = bindInterfaces(compiled, bound); !errors.empty()) {
    reject(compiled.digest, errors);
    return false;
  }
  ApplyResult r = backend_.apply(compiled, bound);
  if (!r.ok) {
    if (r.failedClosed) {
      current_.reset();
      mgmt::Event f;
      f.type = mgmt::EventType::Fault;
      f.set("backend", backend_.name());
      f.set("error", r.error);
      f.message = "backend failed closed: forwarding stopped";
      events_.emit(f);
    }
    reject(compiled.digest, {std::string(backend_.name()) + " backend: " + r.error});
    return false;
  }
  current_ = std::make_shared<const policy::CompiledPolicy>(std::move(*build.compiled));
  events_.setPolicy(current_->digest, current_->name);
  mgmt::Event e;
  e.type = mgmt::EventType::PolicyLoaded;
  e.set("file", policyPath_);
  e.set("backend", backend_.name());
  e.set("rules", std::to_string(current_->rules.size()));
  e.message = "policy " + current_->name + " loaded";
  events_.emit(e);
  return true;
}

}  // namespace isogate::gateway
