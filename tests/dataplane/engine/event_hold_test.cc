// EventHold, the storm control the decider and the switch share: one event per
// key per hold, repeats counted (and their number handed to the next event),
// the hold running from the admission (repeats do not extend it), a clock
// that went back never silencing an event, and keys that share a slot both
// raised rather than one hiding the other.
#include <gtest/gtest.h>

#include "dataplane/engine/event_hold.h"
#include "tests/dataplane/fingerprint/allocation_counter.h"

namespace portvakt::engine {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(EventHold, OneEventPerKeyPerHoldAndTheRepeatsCounted) {
  EventHold hold(4, 10 * kSecond);
  EXPECT_TRUE(hold.admit(0, 100 * kSecond).admitted) << "key 0 in a fresh table is not a repeat of the empty slot";
  EXPECT_FALSE(hold.admit(0, 101 * kSecond).admitted);
  EXPECT_FALSE(hold.admit(0, 109 * kSecond).admitted);
  EXPECT_EQ(hold.held(), 2u);
  // Other keys in other slots are independent.
  EXPECT_TRUE(hold.admit(1, 101 * kSecond).admitted);
  // The hold ran from the admission at 100 s, not from the last repeat.
  const EventHold::Admission next = hold.admit(0, 110 * kSecond);
  EXPECT_TRUE(next.admitted);
  EXPECT_EQ(next.heldBefore, 2u) << "the next event says how many repeats it stands for";
  EXPECT_FALSE(hold.admit(0, 110 * kSecond + 1).admitted) << "a new hold starts at the new admission";
  EXPECT_EQ(hold.admit(0, 121 * kSecond).heldBefore, 1u) << "the count starts again after each event";
}

TEST(EventHold, AClockThatWentBackAdmits) {
  EventHold hold(1, 10 * kSecond);
  ASSERT_TRUE(hold.admit(7, 500 * kSecond).admitted);
  EXPECT_TRUE(hold.admit(7, 400 * kSecond).admitted) << "a step back must not hold the event for 100 s more";
  EXPECT_FALSE(hold.admit(7, 401 * kSecond).admitted);
}

TEST(EventHold, KeysSharingASlotAreBothRaised) {
  EventHold hold(2, 10 * kSecond);  // keys 1 and 3 share slot 1
  EXPECT_TRUE(hold.admit(1, kSecond).admitted);
  EXPECT_TRUE(hold.admit(3, kSecond).admitted);
  EXPECT_TRUE(hold.admit(1, 2 * kSecond).admitted) << "key 3 took the slot; key 1 is raised again, never lost";
  const EventHold::Admission evicted = hold.admit(3, 2 * kSecond);
  EXPECT_TRUE(evicted.admitted);
  EXPECT_EQ(evicted.heldBefore, 0u) << "another key's repeats are not counted for this one";
}

TEST(EventHold, ANoSlotTableStillWorks) {
  EventHold hold(0);  // a switch without ports
  EXPECT_EQ(hold.slots(), 1u);
  EXPECT_TRUE(hold.admit(5, 0).admitted);
  EXPECT_FALSE(hold.admit(5, 1).admitted);
}

TEST(EventHold, AdmittingAllocatesNothing) {
  EventHold hold(256);
  const uint64_t before = fingerprint::testing::allocationCount();
  for (uint64_t i = 0; i < 100000; ++i) (void)hold.admit(i * 7919, static_cast<int64_t>(i) * 1000);
  EXPECT_EQ(fingerprint::testing::allocationCount(), before);
}

}  // namespace
}  // namespace portvakt::engine
