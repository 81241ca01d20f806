#pragma once
// RFC 5424 syslog over UDP (RFC 5426, one message per datagram) or TCP with
// octet-counted framing (RFC 6587 3.4.1: "LEN SP MSG"), which survives
// newlines in a message and is what rsyslog's imtcp and syslog-ng expect.
//
// TCP: one connection, kept open and re-established on error. A send() into a
// connection the peer already closed can succeed once (the kernel buffers it
// before the RST arrives), so before each message we check whether the peer
// hung up and reconnect first; that closes the common "collector restarted"
// hole, though TCP without an application ack cannot close every one.
//
// Format: RFC 5424 with portvakt's structured data (native), or CEF over
// syslog: the same RFC 5424 header with the CEF line as MSG (cef.h).

#include <string>

#include "control/alerts/cef.h"
#include "control/alerts/sink.h"

namespace portvakt::alerts {

class SyslogSink final : public Sink {
 public:
  enum class Transport { kUdp, kTcp };
  // target: "host:port" or "[v6addr]:port".
  static store::Result<std::unique_ptr<SyslogSink>> create(std::string name, const std::string& target,
                                                           Transport transport, const SinkOptions& options,
                                                           tables::SinkFormat format = tables::SinkFormat::kNative);
  ~SyslogSink() override;

  DeliveryResult deliver(const Alert& alert) override;
  void reopen() override;

 private:
  SyslogSink(std::string name, std::string host, std::string port, Transport transport, const SinkOptions& options,
             tables::SinkFormat format);
  // Connected, or why not (the alert feed's one error type, the store's: kIo).
  store::Status connect();

  std::string host_, port_;
  Transport transport_;
  SinkOptions options_;
  SyslogFormat format_;
  tables::SinkFormat messageFormat_;
  CefFormat cef_;
  int fd_ = -1;
};

}  // namespace portvakt::alerts
