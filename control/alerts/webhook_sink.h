#pragma once
// HTTP(S) POST of a JSON document to the service desk's endpoint: the ECS
// document, or the body the policy shaped (webhook_body.h). With
// an Idempotency-Key header equal to the alert id, so a receiver that saw a
// request whose response we lost (and that we therefore send again) can drop
// the duplicate. Delivery is at-least-once from our side; with the receiver
// honouring the key it is exactly once per alert id.
//
// Outcome: 2xx acked; 408, 425, 429, 5xx and transport errors (refused,
// timeout, TLS) retried by the dispatcher with backoff; any other status
// rejected (the body or URL is wrong, retrying cannot help).

#include <optional>
#include <string>

#include "control/alerts/sink.h"

typedef void CURL;

namespace portvakt::alerts {

class WebhookSink final : public Sink {
 public:
  WebhookSink(std::string name, std::string url, const SinkOptions& options,
              std::optional<tables::BodyValue> body = std::nullopt);
  ~WebhookSink() override;

  DeliveryResult deliver(const Alert& alert) override;
  void reopen() override;

 private:
  std::string url_;
  SinkOptions options_;
  std::string hostname_;
  std::optional<tables::BodyValue> body_;
  CURL* curl_ = nullptr;  // reused: keeps the connection alive between alerts
};

}  // namespace portvakt::alerts
