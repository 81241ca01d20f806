#pragma once
// An alert sink: one receiver of the alert feed (a syslog collector, a JSON
// lines file a log shipper tails, the service desk's webhook).
//
// The contract the dispatcher relies on: deliver() returns kAcked only once
// the receiver has the alert as far as this transport can tell — the webhook
// answered 2xx, the line was written (and fdatasync'ed) to the file, the
// syslog message was handed to the kernel for a TCP connection that is still
// open (RFC 6587 has no application-level ack) or sent as a UDP datagram
// (which can be lost on the wire: use TCP where that matters). kRetry means
// "try again later", kRejected "this receiver will never take this alert"
// (e.g. HTTP 400), which is recorded and not retried.
//
// Thread-safety: a sink is used by one dispatcher thread at a time, which
// also calls reopen() (Dispatcher::reopenSinks() only requests it).

#include <memory>
#include <string>

#include "control/alerts/alert.h"
#include "control/store/store_result.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::alerts {

enum class DeliveryOutcome { kAcked, kRetry, kRejected };

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::kRetry;
  std::string error;  // empty when acked
};

class Sink {
 public:
  virtual ~Sink() = default;
  const std::string& name() const { return name_; }
  virtual DeliveryResult deliver(const Alert& alert) = 0;
  // Drops connections and file handles so the next delivery opens them again
  // (logrotate's postrotate, a changed DNS name). Safe to call any time.
  virtual void reopen() {}

 protected:
  explicit Sink(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

struct SinkOptions {
  std::string hostname;  // observer/syslog HOSTNAME; empty: gethostname()
  int connectTimeoutMs = 3000;
  int requestTimeoutMs = 10000;
  bool fsyncJsonLines = true;
};

// Builds the sink a policy names. Fails (kInvalid) on a target it cannot use.
store::Result<std::unique_ptr<Sink>> makeSink(const tables::Sink& spec, const SinkOptions& options);

// gethostname(), or "-" if that fails.
std::string localHostname();

}  // namespace portvakt::alerts
