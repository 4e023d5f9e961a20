// The sender's loss count is in occurrences: the DPDK gateway aggregates a flood before it
// reaches isogate-mgmtd, so one refused datagram may stand for thousands of violations,
// and `lost` must say how many are missing downstream, not how many datagrams.
#include <gtest/gtest.h>
#include <unistd.h>

#include "mgmt/event_sender.h"
#include "mgmt/intake.h"

namespace isogate::mgmt {
namespace {

std::string socketPath() {
  return ::testing::TempDir() + "/isogate-sender-loss-" + std::to_string(::getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sock";
}

Event violation(uint64_t count) {
  Event e;
  e.type = EventType::LogicalIsolation;
  e.fields = {{"from_zone", "extranet"}, {"to_zone", "internet"}, {"src", "10.20.1.1"}};
  e.count = count;
  return e;
}

TEST(EventSenderLoss, AnAggregatedEventCountsAsItsOccurrences) {
  const std::string path = socketPath();
  EventSender sender(path);
  EXPECT_FALSE(sender.send(violation(5000)));
  EXPECT_FALSE(sender.send(violation(1)));
  EXPECT_EQ(sender.dropped(), 5001u);
  Intake intake;
  std::string err;
  ASSERT_TRUE(intake.open(path, 0660, err)) << err;
  ASSERT_TRUE(sender.send(violation(7)));
  std::vector<Event> got;
  intake.drain([&](WireMessage& m) { got.push_back(m.event); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].count, 7u);
  EXPECT_EQ(got[1].type, EventType::Fault);
  EXPECT_EQ(*got[1].field("component"), "event-sender");
  EXPECT_EQ(*got[1].field("lost"), "5001");
}

TEST(EventSenderLoss, RefusedReportsAndSnapshotsAreNotCountedAsLostEvents) {
  const std::string path = socketPath();
  EventSender sender(path);  // no daemon at all
  Event f;
  f.type = EventType::Fault;
  f.set("component", "event-ring");
  f.set("lost", "12");
  EXPECT_FALSE(sender.trySend(f));
  EXPECT_FALSE(sender.sendStats(GatewayStats{}));
  EXPECT_EQ(sender.dropped(), 0u);
  Event zero = violation(0);  // a count of 0 is one occurrence, as the daemon counts it
  EXPECT_FALSE(sender.send(zero));
  EXPECT_EQ(sender.dropped(), 1u);
}

}  // namespace
}  // namespace isogate::mgmt
