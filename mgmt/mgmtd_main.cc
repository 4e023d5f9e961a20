// isogate-mgmtd --config GATEWAY.yaml: wires the management libraries together
// (events in -> aggregation -> syslog/JSON out, control socket, audit trail,
// policy service, sensors, metrics) around one poll loop. No logic of its own
// beyond start-up order and the loop. docs/mgmtd.md has the options.
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mgmt/audit_trail.h"
#include "mgmt/control_server.h"
#include "mgmt/control_service.h"
#include "mgmt/event_pipeline.h"
#include "mgmt/event_sender.h"
#include "mgmt/gateway_reload.h"
#include "mgmt/intake.h"
#include "mgmt/metrics_http.h"
#include "mgmt/metrics_text.h"
#include "mgmt/policy_check.h"
#include "mgmt/policy_service.h"
#include "mgmt/privileges.h"
#include "mgmt/segment_inspector.h"
#include "mgmt/sensor.h"
#include "mgmt/sensor_ports.h"
#include "policy/gateway_config.h"

namespace mg = isogate::mgmt;
namespace pol = isogate::policy;
using ojson = nlohmann::ordered_json;

namespace {

constexpr int kExitConfig = 1, kExitUsage = 2, kExitSetup = 3;

struct Options {
  std::string config;
  std::string eventSocket = mg::kDefaultEventSocket;
  std::string stateDir = "/var/lib/isogate";
  std::string auditLog = mg::kDefaultAuditPath;
  std::string gatewayPidfile = mg::kDefaultGatewayPidfile;
  std::string controlSocket;  // empty: from the config
  std::string controlGroup = "isogate";
  bool controlGroupGiven = false;
  std::string user;  // --user: switch to it once sockets, files and sensors are open
  bool sensors = true;
  size_t maxKeys = 4096;
  size_t syslogQueue = 10000;
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: isogate-mgmtd --config GATEWAY.yaml [--event-socket PATH] [--state-dir DIR]\n"
      "                     [--audit-log PATH] [--gateway-pidfile PATH]\n"
      "                     [--control-socket PATH] [--control-group GROUP]\n"
      "                     [--max-keys N] [--no-sensors] [--user NAME]\n"
      "  --user NAME: started as root, run as user NAME (its groups) with no capability once\n"
      "  the sockets, sensors and files are open; the event socket is given to NAME, files it\n"
      "  rewrites (audit trail, JSON log, --state-dir) too if root owns them. docs/deployment.md\n");
}

bool parseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "isogate-mgmtd: %s needs a value\n", a.c_str());
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (a == "--config") {
      if (!value(o.config)) return false;
    } else if (a == "--event-socket") {
      if (!value(o.eventSocket)) return false;
    } else if (a == "--state-dir") {
      if (!value(o.stateDir)) return false;
    } else if (a == "--audit-log") {
      if (!value(o.auditLog)) return false;
    } else if (a == "--gateway-pidfile") {
      if (!value(o.gatewayPidfile)) return false;
    } else if (a == "--control-socket") {
      if (!value(o.controlSocket)) return false;
    } else if (a == "--control-group") {
      if (!value(o.controlGroup)) return false;
      o.controlGroupGiven = true;
    } else if (a == "--max-keys") {
      std::string v;
      if (!value(v)) return false;
      char* end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end || n == 0 || n > 1000000) {
        std::fprintf(stderr, "isogate-mgmtd: --max-keys: expected 1..1000000, got '%s'\n",
                     v.c_str());
        return false;
      }
      o.maxKeys = n;
    } else if (a == "--syslog-queue") {
      std::string v;
      if (!value(v)) return false;
      char* end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end || n == 0 || n > 10000000) {
        std::fprintf(stderr, "isogate-mgmtd: --syslog-queue: expected 1..10000000, got '%s'\n",
                     v.c_str());
        return false;
      }
      o.syslogQueue = n;
    } else if (a == "--user") {
      if (!value(o.user)) return false;
    } else if (a == "--no-sensors") {
      o.sensors = false;
    } else if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "isogate-mgmtd: unknown argument '%s'\n", a.c_str());
      return false;
    }
  }
  if (o.config.empty()) {
    std::fprintf(stderr, "isogate-mgmtd: --config is required\n");
    return false;
  }
  return true;
}

mg::Event daemonEvent(mg::EventType t, const std::string& component, const std::string& message) {
  mg::Event e;
  e.type = t;
  e.set("component", component);
  e.message = message;
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parseArgs(argc, argv, opt)) {
    usage(stderr);
    return kExitUsage;
  }
  ::signal(SIGPIPE, SIG_IGN);
  // Blocked before any thread starts, so every thread inherits the mask and
  // the signals reach the main loop's signalfd only.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  // --user: no capability survives the switch (sensors' pcap handles are open by then and
  // never reopened). The bounding set is cut now, before the syslog, sensor and metrics
  // threads start: that part is per thread and only inherited.
  mg::DropTarget dropTo;
  if (!opt.user.empty()) {
    std::string error;
    if (!mg::resolveDropTarget(opt.user, dropTo, error)) {
      std::fprintf(stderr, "isogate-mgmtd: --user: %s\n", error.c_str());
      return kExitUsage;
    }
    if (!mg::limitCapabilityBound(0, error)) {
      std::fprintf(stderr, "isogate-mgmtd: --user: %s\n", error.c_str());
      return kExitSetup;
    }
  }

  pol::Diagnostics diags;
  pol::GatewayConfig config = pol::loadGatewayConfigFile(opt.config, diags);
  for (const auto& d : diags.sorted())
    std::fprintf(stderr, "%s\n", pol::formatDiagnostic(d).c_str());
  if (diags.hasErrors()) return kExitConfig;

  std::vector<mg::Event> startupEvents;
  std::shared_ptr<const pol::CompiledPolicy> compiled;
  mg::PolicyCheck initial = mg::checkPolicyFile(config.policyPath, &compiled);
  if (!initial.ok) {
    // The daemon still runs: events, audit and control (rollback) matter most
    // exactly when the policy on disk is broken.
    for (const auto& d : initial.diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
    mg::Event e = daemonEvent(mg::EventType::PolicyRejected, "isogate-mgmtd",
                              "policy " + config.policyPath + " does not compile; sensors are off");
    e.set("file", config.policyPath);
    startupEvents.push_back(e);
  }

  mg::PipelineOptions po;
  po.identity.hostname = config.name;
  po.identity.facility = config.events.facilityCode;
  po.identity.policyDigest = initial.digest;
  po.identity.policyName = initial.name;
  po.aggregation.interval =
      std::chrono::seconds(std::max(1, config.events.aggregateIntervalSeconds));
  po.aggregation.maxKeys = opt.maxKeys;
  po.jsonPath = config.events.jsonPath;
  po.limits.maxMessages = opt.syslogQueue;
  for (const auto& t : config.events.syslog) {
    std::string error;
    auto url = mg::parseSyslogUrl(t.url, error);
    if (!url) {
      std::fprintf(stderr, "%s: %s\n", opt.config.c_str(), error.c_str());
      return kExitConfig;
    }
    po.syslog.push_back(*url);
  }
  mg::EventPipeline pipeline(po);
  std::string error;
  if (!pipeline.start(error)) {
    std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
    return kExitSetup;
  }
  if (initial.ok)
    pipeline.setPolicy(initial.digest, initial.name, std::chrono::system_clock::now());
  for (auto& e : startupEvents) pipeline.post(std::move(e));

  mg::AuditTrail audit(opt.auditLog);
  if (!audit.open(error)) {
    std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
    return kExitSetup;
  }
  if (auto v = audit.verify(); !v.ok)
    pipeline.post(daemonEvent(mg::EventType::Fault, "audit-trail",
                              "audit trail " + opt.auditLog + " is damaged: " + v.error));

  mg::PolicyServiceOptions pso;
  pso.policyPath = config.policyPath;
  pso.stateDir = opt.stateDir;
  std::string pidfile = opt.gatewayPidfile;
  mg::PolicyService policyService(
      pso, [](const std::string& path) { return mg::checkPolicyFile(path); },
      [pidfile](std::string& err) { return mg::signalGatewayReload(pidfile, err); });
  if (!policyService.init(error)) {
    std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
    return kExitSetup;
  }

  // Sensors on the monitor interfaces, each with the auditor of its zone.
  std::vector<std::unique_ptr<mg::SegmentInspector>> inspectors;
  std::vector<std::unique_ptr<mg::Sensor>> sensors;
  if (opt.sensors) {
    for (const auto* port : mg::sensorInterfaces(config)) {
      const auto& ifc = *port;
      auto insp = std::make_unique<mg::SegmentInspector>(ifc.name, ifc.zone);
      if (compiled && !insp->setPolicy(*compiled, error))
        pipeline.post(daemonEvent(mg::EventType::Fault, "sensor", error));
      auto sensor = std::make_unique<mg::Sensor>(
          ifc.name, insp->asInspector(), [&pipeline](mg::Event e) { pipeline.post(std::move(e)); });
      if (!sensor->start(error)) {
        std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
        pipeline.post(
            daemonEvent(mg::EventType::Fault, "sensor", error + " (monitor port not watched)"));
      } else {
        sensors.push_back(std::move(sensor));
      }
      inspectors.push_back(std::move(insp));
    }
  }

  auto refreshPolicy = [&] {
    std::shared_ptr<const pol::CompiledPolicy> now;
    mg::PolicyCheck c = mg::checkPolicyFile(config.policyPath, &now);
    if (!c.ok || !now) return;
    pipeline.setPolicy(c.digest, c.name, std::chrono::system_clock::now());
    std::string err;
    for (auto& insp : inspectors)
      if (!insp->setPolicy(*now, err))
        pipeline.post(daemonEvent(mg::EventType::Fault, "sensor", err));
  };

  // The intake's queue holds net.unix.max_dgram_qlen datagrams (read when the socket is made;
  // kernel default 10). The gateway never waits for it, so a burst of violations beyond that
  // is dropped at the gateway (counted, reported as a `fault`). Say so where admins look.
  {
    std::FILE* q = std::fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
    long qlen = -1;
    if (q) {
      if (std::fscanf(q, "%ld", &qlen) != 1) qlen = -1;
      std::fclose(q);
    }
    if (qlen >= 0 && qlen < 256)
      std::fprintf(stderr,
                   "isogate-mgmtd: warning: net.unix.max_dgram_qlen is %ld: bursts of more events "
                   "than that from the gateway are dropped (set it to 512 or more, see "
                   "docs/mgmtd.md)\n",
                   qlen);
  }
  mg::Intake intake;
  if (!intake.open(opt.eventSocket, 0660, error)) {
    std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
    return kExitSetup;
  }
  // The gateway sends to the socket file: with --user it belongs to that user and its group,
  // as under systemd (isogate-gw --user with the same user may write it, nobody else).
  if (!opt.user.empty() && ::chown(opt.eventSocket.c_str(), dropTo.uid, dropTo.gid) != 0) {
    std::fprintf(stderr, "isogate-mgmtd: cannot give %s to user %s: %s\n", opt.eventSocket.c_str(),
                 opt.user.c_str(), std::strerror(errno));
    return kExitSetup;
  }

  auto started = std::chrono::steady_clock::now();
  std::optional<mg::GatewayStats> gatewayStats;
  auto sensorTotals = [&] {
    mg::SensorStats t;
    for (const auto& s : sensors) {
      auto x = s->stats();
      t.frames += x.frames;
      t.breaches += x.breaches;
      t.errors += x.errors;
    }
    return t;
  };

  mg::RoleMap roles;
  // No admin named: root stays admin (RoleMap's default), else nobody could operate a daemon
  // whose config has no `control.roles`; root can stop it and read its files anyway.
  if (!config.control.admins.empty()) roles.admin = config.control.admins;
  roles.officer = config.control.officers;
  roles.auditor = config.control.auditors;
  mg::ControlService control(mg::ControlDeps{
      pipeline, policyService, audit, roles,
      [&] {
        ojson d;
        d["pid"] = ::getpid();
        d["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
        d["hostname"] = config.name;
        // The backend the gateway config names; `stats` shows what the gateway itself reports.
        d["backend"] = pol::backendName(config.backend);
        d["event_socket"] = opt.eventSocket;
        d["audit_log"] = opt.auditLog;
        d["sensors"] = sensors.size();
        return d;
      },
      [&] {
        ojson d;
        const auto& is = intake.stats();
        d["intake"] = {{"datagrams", is.received},
                       {"events", is.events},
                       {"stats", is.stats},
                       {"flows", is.flows},
                       {"malformed", is.malformed},
                       {"last_error", is.lastError}};
        auto st = sensorTotals();
        d["sensors"] = {{"frames", st.frames}, {"breaches", st.breaches}, {"errors", st.errors}};
        if (gatewayStats) {
          ojson pairs = ojson::array();
          for (const auto& c : gatewayStats->pairs)
            pairs.push_back({{"from_zone", c.fromZone},
                             {"to_zone", c.toZone},
                             {"rule", c.rule},
                             {"verdict", c.verdict},
                             {"packets", c.packets},
                             {"bytes", c.bytes}});
          ojson drops = ojson::object();
          for (const auto& [k, v] : gatewayStats->drops) drops[k] = v;
          d["gateway"] = {{"backend", gatewayStats->backend},
                          {"pairs", pairs},
                          {"drops", drops},
                          {"events_dropped", gatewayStats->eventsDropped},
                          {"report_period_ms", gatewayStats->periodMs}};
        } else {
          d["gateway"] = nullptr;
        }
        return d;
      },
      refreshPolicy});

  mg::FlowStore flowStore;  // the gateway's latest flow table, for `flows`
  control.setFlowStore(&flowStore);

  std::string controlPath =
      opt.controlSocket.empty() ? config.control.socketPath : opt.controlSocket;
  int64_t gid = -1;
  if (group* g = ::getgrnam(opt.controlGroup.c_str())) {
    gid = g->gr_gid;
  } else if (opt.controlGroupGiven) {
    std::fprintf(stderr, "isogate-mgmtd: --control-group: no group '%s'\n",
                 opt.controlGroup.c_str());
    return kExitUsage;
  }
  mg::ControlServer server([&](const mg::PeerIdentity& who, std::string_view line) {
    return control.handle(who, line, std::chrono::system_clock::now());
  });
  if (!server.open(controlPath, 0660, gid, error)) {
    std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
    return kExitSetup;
  }

  // Metrics: rendered by the main loop once a second, served from a copy.
  std::mutex metricsMu;
  std::string metricsText;
  auto renderNow = [&] {
    mg::MetricsSnapshot s;
    s.pipeline = pipeline.counters();
    s.intake = intake.stats();
    s.gateway = gatewayStats;
    s.uptimeSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto st = sensorTotals();
    s.sensorFrames = st.frames;
    s.sensorBreaches = st.breaches;
    s.sensorErrors = st.errors;
    std::string text = mg::renderMetrics(s);
    std::lock_guard lock(metricsMu);
    metricsText = std::move(text);
  };
  renderNow();
  mg::MetricsHttp metrics([&] {
    std::lock_guard lock(metricsMu);
    return metricsText;
  });
  if (config.metrics.enabled && !metrics.start(config.metrics.host, config.metrics.port, error)) {
    std::fprintf(stderr, "isogate-mgmtd: %s\n", error.c_str());
    return kExitSetup;
  }

  if (!opt.user.empty()) {
    // Files reopened or rewritten later must be the user's; directories it creates or
    // renames in must be writable by it. Checked after the switch: fail before serving.
    std::string why;
    bool ok = mg::handOverToUser(opt.auditLog, dropTo, false, why) &&
              mg::handOverToUser(opt.auditLog + ".head", dropTo, false, why) &&
              mg::handOverToUser(opt.stateDir, dropTo, true, why) &&
              (config.events.jsonPath.empty() || mg::handOverToUser(config.events.jsonPath, dropTo, false, why)) &&
              mg::dropPrivileges(dropTo, 0, why);
    auto parent = [](const std::string& path) {
      auto slash = path.rfind('/');
      return slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path.substr(0, slash);
    };
    if (ok && !(why = mg::directoryNotWritable(parent(opt.auditLog))).empty()) {
      why = "audit trail directory " + why;
      ok = false;
    }
    if (ok && !(why = mg::directoryNotWritable(opt.stateDir)).empty()) {
      why = "state directory " + why;
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "isogate-mgmtd: cannot run as user %s: %s\n", opt.user.c_str(), why.c_str());
      return kExitSetup;
    }
    // Not fatal: rotation that creates the new file for this user (logrotate `create`), or a
    // control socket nobody rolls back through, work without these.
    if (!config.events.jsonPath.empty())
      if (auto w = mg::directoryNotWritable(parent(config.events.jsonPath)); !w.empty())
        std::fprintf(stderr,
                     "isogate-mgmtd: warning: JSON log directory %s: after rotation, SIGHUP reopens "
                     "the file only if the rotator created it for user %s\n",
                     w.c_str(), opt.user.c_str());
    if (auto w = mg::directoryNotWritable(parent(config.policyPath)); !w.empty())
      std::fprintf(stderr, "isogate-mgmtd: warning: policy directory %s: rollback and apply will fail\n",
                   w.c_str());
    std::fprintf(stderr, "isogate-mgmtd: running as user %s (uid %u) with no capabilities\n",
                 opt.user.c_str(), static_cast<unsigned>(dropTo.uid));
  }

  int sigfd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);

  {
    mg::AuditRecord r;
    r.actor = {static_cast<int64_t>(::getuid()), "isogate-mgmtd", "daemon"};
    r.action = "daemon-start";
    r.result = "ok";
    r.details = {{"config", opt.config}, {"pid", ::getpid()}};
    r.policy = initial.digest;
    if (!audit.append(r, error))
      pipeline.post(daemonEvent(mg::EventType::Fault, "audit-trail", error));
  }
  std::fprintf(stderr, "isogate-mgmtd: running (control %s, events %s)\n", controlPath.c_str(),
               opt.eventSocket.c_str());

  auto lastSecond = std::chrono::steady_clock::now();
  bool running = true;
  while (running) {
    std::vector<pollfd> fds = {
        {sigfd, POLLIN, 0}, {intake.fd(), POLLIN, 0}, {pipeline.wakeFd(), POLLIN, 0}};
    server.addPollFds(fds);
    int r = ::poll(fds.data(), fds.size(), 250);
    if (r < 0 && errno != EINTR) break;
    auto now = std::chrono::steady_clock::now();
    if (fds[0].revents) {
      signalfd_siginfo si{};
      while (::read(sigfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP)
          pipeline.reopenJson();  // log rotation
        else
          running = false;
      }
    }
    if (fds[1].revents)
      intake.drain([&](mg::WireMessage& m) {
        if (m.kind == mg::WireMessage::Kind::Event)
          pipeline.submit(std::move(m.event), now);
        else if (m.kind == mg::WireMessage::Kind::Flows)
          flowStore.accept(std::move(m.flows), std::chrono::system_clock::now());
        else
          gatewayStats = std::move(m.stats);
      });
    if (fds[2].revents) pipeline.drainPosted(now);
    server.process(fds);
    pipeline.tick(now);
    if (now - lastSecond >= std::chrono::seconds(1)) {
      lastSecond = now;
      control.tick(std::chrono::system_clock::now());
      server.closeIdle(now);
      renderNow();
    }
  }

  std::fprintf(stderr, "isogate-mgmtd: stopping\n");
  for (auto& s : sensors) s->stop();
  metrics.stop();
  {
    mg::AuditRecord rec;
    rec.actor = {static_cast<int64_t>(::getuid()), "isogate-mgmtd", "daemon"};
    rec.action = "daemon-stop";
    rec.result = "ok";
    rec.policy = pipeline.identity().policyDigest;
    audit.append(rec, error);
  }
  pipeline.drainPosted(std::chrono::steady_clock::now());
  pipeline.stop();
  return 0;
}
