#include "control/alerts/sink.h"

#include <unistd.h>

#include "control/alerts/json_lines_sink.h"
#include "control/alerts/syslog_sink.h"
#include "control/alerts/webhook_sink.h"

namespace portvakt::alerts {

std::string localHostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "-";
  return buf;
}

store::Result<std::unique_ptr<Sink>> makeSink(const tables::Sink& spec, const SinkOptions& options) {
  using store::Error;
  using store::ErrorCode;
  switch (spec.kind) {
    case tables::Sink::Kind::kSyslog: {
      SyslogSink::Transport t = SyslogSink::Transport::kUdp;
      if (spec.transport == "tcp") t = SyslogSink::Transport::kTcp;
      else if (!spec.transport.empty() && spec.transport != "udp")
        return Error{ErrorCode::kInvalid, "sink '" + spec.name + "': unknown syslog transport '" + spec.transport + "'"};
      auto s = SyslogSink::create(spec.name, spec.target, t, options, spec.format);
      if (!s) return s.error();
      return std::unique_ptr<Sink>(std::move(s.value()));
    }
    case tables::Sink::Kind::kJsonLines:
    case tables::Sink::Kind::kFile:
      if (spec.target.empty() || spec.target[0] != '/')
        return Error{ErrorCode::kInvalid, "sink '" + spec.name + "': file target must be an absolute path"};
      if (spec.kind == tables::Sink::Kind::kJsonLines && spec.format != tables::SinkFormat::kNative)
        return Error{ErrorCode::kInvalid, "sink '" + spec.name + "': a jsonl sink writes ECS JSON only"};
      return std::unique_ptr<Sink>(std::make_unique<JsonLinesSink>(spec.name, spec.target, options, spec.format));
    case tables::Sink::Kind::kWebhook:
      if (spec.target.rfind("http://", 0) != 0 && spec.target.rfind("https://", 0) != 0)
        return Error{ErrorCode::kInvalid, "sink '" + spec.name + "': webhook target must be an http(s) URL"};
      if (spec.format != tables::SinkFormat::kNative)
        return Error{ErrorCode::kInvalid, "sink '" + spec.name + "': a webhook posts JSON, not CEF"};
      return std::unique_ptr<Sink>(std::make_unique<WebhookSink>(spec.name, spec.target, options, spec.body));
  }
  return Error{ErrorCode::kInvalid, "sink '" + spec.name + "': unknown kind"};
}

}  // namespace portvakt::alerts
