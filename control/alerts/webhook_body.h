#pragma once
// The webhook body a policy shapes (a sink's `body:`), filled in for one
// alert. The document is built with nlohmann-json, never by pasting strings,
// so every value is escaped as JSON requires whatever the alert holds.
//
// Placeholders inside text are replaced by the field as text ("" when the
// alert has none: no port, no device, an evidence key it does not carry). A
// value that is exactly one placeholder keeps a JSON type where the field has
// one: "{{count}}" is a number, "{{vlan}}" a number (null without a VLAN),
// "{{evidence}}" an object of the evidence items; every other field is text.
// Inside longer text, {{evidence}} is "key=value key=value".
//
// Pure functions, any thread.

#include <string>
#include <string_view>

#include "control/alerts/alert.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::alerts {

// One line of JSON (no trailing newline).
std::string renderWebhookBody(const tables::BodyValue& body, const Alert& a, std::string_view hostname);

}  // namespace portvakt::alerts
