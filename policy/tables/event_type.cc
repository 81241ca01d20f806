#include "policy/tables/event_type.h"

namespace portvakt::tables {

std::optional<EventType> eventTypeFromName(std::string_view name) {
  for (const EventTypeInfo& info : kEventTypes) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

}  // namespace portvakt::tables
