#pragma once
// Vocabularies of the policy language: the words the compiler accepts for
// modes, roles, protocols, events, signals and weekdays. Kept in one place so
// docs/policy.md and the diagnostics list the same words.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/tables/compiled_policy.h"

namespace portvakt::policy {

std::optional<tables::Mode> parseMode(std::string_view s);
std::optional<tables::PortRole> parseRole(std::string_view s);
std::optional<tables::Protocol> parseProtocol(std::string_view s);
std::optional<tables::Action> parseAction(std::string_view s);
std::optional<tables::Severity> parseSeverity(std::string_view s);
std::optional<tables::Signal> parseSignal(std::string_view s);
// LLDP-MED network-policy application type names (ANSI/TIA-1057): "voice" = 1 .. "video-signaling" = 8.
std::optional<uint8_t> parseMedApplication(std::string_view s);

// The names of the event types (tables::kEventTypes) an alert can be routed
// for and a maintenance window can suppress, for diagnostics that list them.
std::vector<std::string> alertEventNames();
// LLDP system capabilities and LLDP-MED capabilities a class can require.
const std::vector<std::string>& lldpCapabilityNames();

// A name the policy defines (zone, class, flow, ...): [a-z0-9][a-z0-9_-]{0,62}.
bool isValidName(std::string_view s);
// A Linux interface name (at most 15 bytes, no '/', ':' or whitespace).
bool isValidInterfaceName(std::string_view s);
// "eth[2-9]", "lan[1,3,5-7]": expands one bracket group; plain names pass through.
// Returns nullopt on bad syntax or more than `limit` names.
std::optional<std::vector<std::string>> expandInterfacePattern(std::string_view pattern, size_t limit);
// "HH:MM" → minutes after midnight; "24:00" allowed when allowEndOfDay.
std::optional<int> parseClockTime(std::string_view s, bool allowEndOfDay);
// "mon".."sun", "daily", "weekdays", "weekend" → weekday bit set (bit 0 = Monday).
std::optional<uint8_t> parseDays(std::string_view s);

}  // namespace portvakt::policy
