// The event intake end to end over a real unix datagram socket: EventSender ->
// Intake, malformed datagrams counted and dropped, and a sender whose daemon is
// down counts its drops and reports them once the daemon is back.
#include "mgmt/intake.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "mgmt/event_sender.h"

namespace isogate::mgmt {
namespace {

std::string socketPath() {
  return ::testing::TempDir() + "/isogate-intake-" + std::to_string(::getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sock";
}

void sendRaw(const std::string& path, const std::string& data) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path.c_str());
  ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::close(fd);
}

Event violation(const std::string& src) {
  Event e;
  e.type = EventType::LogicalIsolation;
  e.fields = {{"from_zone", "extranet"}, {"to_zone", "portal"}, {"src", src}};
  return e;
}

TEST(Intake, ReceivesEventsAndStatsAndCountsMalformed) {
  std::string path = socketPath();
  Intake intake;
  std::string err;
  ASSERT_TRUE(intake.open(path, 0660, err)) << err;
  EventSender sender(path);
  ASSERT_TRUE(sender.send(violation("10.20.1.1")));
  sendRaw(path, "{not json");
  sendRaw(path, R"({"v":1,"kind":"event","type":"bogus","time_ms":1})");
  GatewayStats gs;
  gs.timeMs = 5;
  gs.pairs = {{"a", "b", "r", "allow", 1, 2}};
  ASSERT_TRUE(sender.sendStats(gs));
  std::vector<WireMessage> got;
  size_t n = intake.drain([&](WireMessage& m) { got.push_back(m); });
  EXPECT_EQ(n, 4u);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].kind, WireMessage::Kind::Event);
  EXPECT_EQ(*got[0].event.field("src"), "10.20.1.1");
  EXPECT_EQ(got[1].kind, WireMessage::Kind::Stats);
  EXPECT_EQ(got[1].stats.pairs.size(), 1u);
  EXPECT_EQ(intake.stats().malformed, 2u);
  EXPECT_EQ(intake.stats().lastError, "key 'type': unknown event type 'bogus'");
  EXPECT_EQ(intake.drain([](WireMessage&) {}), 0u);  // nothing left, never blocks
}

TEST(Intake, SenderCountsDropsWhileDaemonIsDownAndReportsThem) {
  std::string path = socketPath();
  EventSender sender(path);
  EXPECT_FALSE(sender.send(violation("a")));
  EXPECT_FALSE(sender.send(violation("b")));
  EXPECT_EQ(sender.dropped(), 2u);
  Intake intake;
  std::string err;
  ASSERT_TRUE(intake.open(path, 0660, err)) << err;
  ASSERT_TRUE(sender.send(violation("c")));
  std::vector<Event> got;
  intake.drain([&](WireMessage& m) { got.push_back(m.event); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(*got[0].field("src"), "c");
  EXPECT_EQ(got[1].type, EventType::Fault);
  EXPECT_EQ(*got[1].field("lost"), "2");
  EXPECT_EQ(got[1].message,
            "2 events lost between the gateway and isogate-mgmtd (daemon down or queue full)");
  ASSERT_TRUE(sender.send(violation("d")));  // reported once only
  got.clear();
  intake.drain([&](WireMessage& m) { got.push_back(m.event); });
  EXPECT_EQ(got.size(), 1u);
}

TEST(Intake, FullQueueNeverBlocksTheSender) {
  std::string path = socketPath();
  Intake intake;
  std::string err;
  ASSERT_TRUE(intake.open(path, 0660, err)) << err;
  EventSender sender(path);
  uint64_t ok = 0;
  for (int i = 0; i < 200000; ++i) ok += sender.send(violation("x")) ? 1 : 0;  // nobody reads
  EXPECT_GT(sender.dropped(), 0u);
  EXPECT_EQ(ok + sender.dropped(), 200000u);
}

TEST(Intake, RefusesToReplaceANonSocket) {
  std::string path = socketPath();
  {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fclose(f);
  }
  Intake intake;
  std::string err;
  EXPECT_FALSE(intake.open(path, 0660, err));
  EXPECT_EQ(err, "cannot bind " + path + ": exists and is not a socket");
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace isogate::mgmt
