#pragma once
// Storm control: repeated events become one alert with a count, and a flood
// of distinct alerts of one type is rate limited into a single "storm" alert.
//
// Dedup: an alert's id already names the incident (site, event, port, device,
// time bucket), so an event whose id was seen in this bucket is folded: its
// count goes up in memory and reaches the store in the next takeFolds() batch
// (10,000 identical events cost one insert and a few updates, not 10,000
// inserts). The first event of an id is admitted at once, so it is durable in
// the spool before anything else happens.
//
// Rate limit: a token bucket per event type (burst, then ratePerSecond). A new
// alert that finds its type's bucket empty is folded into one storm alert per
// type and time bucket (device "", evidence storm=rate_limited) instead of
// paging once per device, e.g. for a MAC flood producing device_unknown for
// thousands of random addresses.
//
// Memory is bounded: ids are forgotten when their time bucket has passed, and
// at most maxTracked ids are kept (beyond that an id is admitted again and the
// store merges it by id).
//
// Thread-safety: not synchronised; AlertService calls it under its lock.

#include <cstdint>
#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/alerts/alert.h"
#include "control/store/store.h"

namespace portvakt::alerts {

struct StormOptions {
  std::chrono::milliseconds bucket = std::chrono::minutes(5);  // dedup window (part of the alert id)
  double ratePerSecond = 1.0;                                  // new alerts per event type, sustained
  double burst = 30;                                           // ... and in a burst
  size_t maxTracked = 100000;
};

class StormControl {
 public:
  explicit StormControl(StormOptions options) : options_(options) {}

  struct Decision {
    bool admit = false;  // true: spool `alert` (a new id); false: folded into alertId
    Alert alert;
    std::string alertId;
  };
  // `alert` has its id, event, site and times set. `now` drives the token bucket.
  Decision decide(Alert alert, store::TimeMs now);

  struct Fold {
    std::string alertId;
    int64_t count = 0;
    store::TimeMs lastTime{};
  };
  // Counts folded since the last call, to be written with Store::addOccurrences.
  std::vector<Fold> takeFolds();

  const StormOptions& options() const { return options_; }

 private:
  struct Tokens {
    double tokens = 0;
    store::TimeMs last{};  // epoch: never filled
  };
  void forgetOld(store::TimeMs now);

  StormOptions options_;
  std::unordered_map<std::string, store::TimeMs> seen_;  // id -> its bucket's end
  std::unordered_map<std::string, Tokens> tokens_;       // per event type
  std::unordered_map<std::string, Fold> folds_;
  store::TimeMs lastSweep_{};
};

}  // namespace portvakt::alerts
