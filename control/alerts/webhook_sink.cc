#include "control/alerts/webhook_sink.h"

#include <curl/curl.h>

#include <mutex>

#include "control/alerts/webhook_body.h"

namespace portvakt::alerts {

namespace {

void initCurlOnce() {
  // curl_global_init is not thread-safe; do it once, before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t discardBody(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

WebhookSink::WebhookSink(std::string name, std::string url, const SinkOptions& options,
                         std::optional<tables::BodyValue> body)
    : Sink(std::move(name)), url_(std::move(url)), options_(options), body_(std::move(body)) {
  hostname_ = options.hostname.empty() ? localHostname() : options.hostname;
  initCurlOnce();
}

WebhookSink::~WebhookSink() {
  if (curl_) curl_easy_cleanup(curl_);
}

void WebhookSink::reopen() {
  if (curl_) curl_easy_cleanup(curl_);
  curl_ = nullptr;
}

DeliveryResult WebhookSink::deliver(const Alert& alert) {
  if (!curl_) curl_ = curl_easy_init();
  if (!curl_) return {DeliveryOutcome::kRetry, "curl_easy_init failed"};
  std::string body = body_ ? renderWebhookBody(*body_, alert, hostname_) : toEcsJson(alert, hostname_);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, ("Idempotency-Key: " + alert.id).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  char errbuf[CURL_ERROR_SIZE] = {};

  curl_easy_reset(curl_);  // keeps the connection cache, clears options
  curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl_, CURLOPT_POST, 1L);
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl_, CURLOPT_USERAGENT, "portvakt");
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connectTimeoutMs));
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.requestTimeoutMs));
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, discardBody);
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);  // a redirected POST is a configuration error

  CURLcode rc = curl_easy_perform(curl_);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    return {DeliveryOutcome::kRetry, std::string(errbuf[0] ? errbuf : curl_easy_strerror(rc))};
  }
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return {DeliveryOutcome::kAcked, ""};
  std::string error = "HTTP " + std::to_string(status) + " from " + url_;
  if (status == 408 || status == 425 || status == 429 || status >= 500) return {DeliveryOutcome::kRetry, error};
  return {DeliveryOutcome::kRejected, error};
}

}  // namespace portvakt::alerts
