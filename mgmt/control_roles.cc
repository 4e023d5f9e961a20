// Role resolution. Groups are looked up at every connection, not cached, so
// removing an officer from the group takes effect on their next command.
#include "mgmt/control_roles.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace isogate::mgmt {
namespace {

bool holds(const std::vector<std::string>& names, const PeerIdentity& who) {
  for (const auto& n : names) {
    if (n == who.user) return true;
    if (std::find(who.groups.begin(), who.groups.end(), n) != who.groups.end()) return true;
  }
  return false;
}

std::string groupName(gid_t gid) {
  std::vector<char> buf(16384);
  group gr{};
  group* res = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &res) == 0 && res) return res->gr_name;
  return "gid:" + std::to_string(gid);
}

}  // namespace

const char* roleName(Role r) {
  switch (r) {
    case Role::Admin:
      return "admin";
    case Role::Officer:
      return "officer";
    case Role::Auditor:
      return "auditor";
    case Role::None:
      break;
  }
  return "none";
}

Role RoleMap::resolve(const PeerIdentity& who) const {
  if (holds(admin, who)) return Role::Admin;
  if (holds(officer, who)) return Role::Officer;
  if (holds(auditor, who)) return Role::Auditor;
  return Role::None;
}

PeerIdentity identityOf(int64_t uid, int64_t gid) {
  PeerIdentity who;
  who.uid = uid;
  who.gid = gid;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* res = nullptr;
  std::vector<gid_t> gids;
  if (::getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &res) == 0 && res) {
    who.user = res->pw_name;
    int n = 64;
    gids.resize(static_cast<size_t>(n));
    if (::getgrouplist(res->pw_name, res->pw_gid, gids.data(), &n) < 0) {
      gids.resize(static_cast<size_t>(n));
      if (::getgrouplist(res->pw_name, res->pw_gid, gids.data(), &n) < 0) n = 0;
    }
    gids.resize(static_cast<size_t>(n));
  } else {
    who.user = "uid:" + std::to_string(uid);
  }
  // The peer's own gid counts too (a process may run with a gid not in its passwd entry).
  if (gid >= 0 && std::find(gids.begin(), gids.end(), static_cast<gid_t>(gid)) == gids.end())
    gids.push_back(static_cast<gid_t>(gid));
  for (gid_t g : gids) who.groups.push_back(groupName(g));
  return who;
}

bool identifyPeer(int fd, PeerIdentity& who, std::string& error) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    error = std::string("SO_PEERCRED: ") + std::strerror(errno);
    return false;
  }
  who = identityOf(cred.uid, cred.gid);
  who.pid = cred.pid;
  return true;
}

}  // namespace isogate::mgmt
