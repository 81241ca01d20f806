// libFuzzer target: a whole Ethernet frame through parseFrame (every parser).
// The first byte of the input picks whether the capture counts as snapped,
// so both length-checking paths are explored.

#include "dataplane/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portvakt::packet::ParsedFrame frame;  // static: as in the dataplane, one result reused
  std::span<const uint8_t> bytes(data, size);
  uint32_t wire = 0;
  if (size > 0 && (data[0] & 0x80) != 0) wire = static_cast<uint32_t>(size) + 100;
  portvakt::packet::parseFrame(bytes, frame, wire);
  portvakt::fuzz::checkFrame(frame, portvakt::fuzz::Bounds(data, size));
  return 0;
}
