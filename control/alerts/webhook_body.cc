#include "control/alerts/webhook_body.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace portvakt::alerts {

namespace {

using Json = nlohmann::ordered_json;
using tables::AlertField;
using tables::BodyValue;

class Renderer {
 public:
  Renderer(const Alert& a, std::string_view hostname) : a_(a), hostname_(hostname) {}

  Json value(const BodyValue& v) const {
    switch (v.kind) {
      case BodyValue::Kind::kNull: return nullptr;
      case BodyValue::Kind::kBool: return v.boolean;
      case BodyValue::Kind::kNumber: {
        // The compiler only lets JSON numbers through; a bad one is text rather than an exception.
        Json n = Json::parse(v.number, nullptr, false);
        return n.is_number() ? n : Json(v.number);
      }
      case BodyValue::Kind::kText: return text(v);
      case BodyValue::Kind::kObject: {
        Json o = Json::object();
        for (size_t i = 0; i < v.keys.size() && i < v.items.size(); ++i) o[v.keys[i]] = value(v.items[i]);
        return o;
      }
      case BodyValue::Kind::kArray: {
        Json arr = Json::array();
        for (const BodyValue& item : v.items) arr.push_back(value(item));
        return arr;
      }
      case BodyValue::Kind::kBySeverity: {
        size_t slot = a_.severity == tables::Severity::kInfo ? 0 : a_.severity == tables::Severity::kWarning ? 1 : 2;
        return slot < v.items.size() ? value(v.items[slot]) : Json(nullptr);
      }
    }
    return nullptr;
  }

 private:
  Json text(const BodyValue& v) const {
    if (v.text.size() == 1) {
      switch (v.text[0].field) {
        case AlertField::kCount: return a_.count;
        case AlertField::kVlan: return a_.vlan >= 0 ? Json(a_.vlan) : Json(nullptr);
        case AlertField::kEvidence: {
          Json o = Json::object();
          for (const auto& e : a_.evidence) o[e.key] = e.value;
          return o;
        }
        default: break;
      }
    }
    std::string out;
    for (const tables::TemplatePiece& p : v.text) out += field(p);
    return out;
  }

  std::string field(const tables::TemplatePiece& p) const {
    switch (p.field) {
      case AlertField::kLiteral: return p.text;
      case AlertField::kId: return a_.id;
      case AlertField::kEvent: return a_.event;
      case AlertField::kSeverity: return tables::toString(a_.severity);
      case AlertField::kSite: return a_.site;
      case AlertField::kPort: return a_.port;
      case AlertField::kVlan: return a_.vlan >= 0 ? std::to_string(a_.vlan) : "";
      case AlertField::kDevice: return a_.deviceMac;
      case AlertField::kCount: return std::to_string(a_.count);
      case AlertField::kTime: return formatUtc(a_.time);
      case AlertField::kEnd: return formatUtc(std::max(a_.time, a_.lastTime));
      case AlertField::kSummary: return summaryLine(a_);
      case AlertField::kMaintenanceWindow: return a_.maintenanceWindow;
      case AlertField::kHostname: return std::string(hostname_);
      case AlertField::kEvidence: {
        std::string s;
        for (const auto& e : a_.evidence) s += (s.empty() ? "" : " ") + e.key + "=" + e.value;
        return s;
      }
      case AlertField::kEvidenceItem:
        for (const auto& e : a_.evidence) {
          if (e.key == p.text) return e.value;
        }
        return "";
    }
    return "";
  }

  const Alert& a_;
  std::string_view hostname_;
};

}  // namespace

std::string renderWebhookBody(const tables::BodyValue& body, const Alert& a, std::string_view hostname) {
  return Renderer(a, hostname).value(body).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace portvakt::alerts
