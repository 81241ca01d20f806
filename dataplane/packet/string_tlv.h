#pragma once
// The string TLVs of the link-layer discovery protocols (LLDP, CDP): the
// whole value is the text, some senders NUL-terminate it, and the first TLV
// of a type wins (as for every scalar TLV of both parsers), so a frame that
// repeats a TLV cannot replace what the first one said. Internal to
// dataplane/packet; the view points into the frame.

#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

// Reads the rest of `value` as text into `field` unless `field` already has
// one. False only when the cursor cannot give its remaining bytes.
inline bool readFirstString(Cursor& value, std::string_view& field) {
  std::string_view text;
  if (!value.readText(value.remaining(), text)) return false;
  if (field.empty()) field = trimNul(text);
  return true;
}

}  // namespace portvakt::packet
