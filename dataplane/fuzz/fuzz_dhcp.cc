// libFuzzer target: a UDP payload parsed as DHCPv4 and as DHCPv6 (both
// option parsers share the input, so one corpus serves both).

#include "dataplane/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portvakt::packet::ParsedFrame frame;
  std::span<const uint8_t> bytes(data, size);
  const portvakt::fuzz::Bounds bounds(data, size);
  frame.reset(bytes, 0);
  portvakt::packet::parseDhcp(portvakt::packet::Cursor(bytes), frame);
  portvakt::fuzz::checkFrame(frame, bounds);
  frame.reset(bytes, 0);
  portvakt::packet::parseDhcpv6(portvakt::packet::Cursor(bytes), frame);
  portvakt::fuzz::checkFrame(frame, bounds);
  return 0;
}
