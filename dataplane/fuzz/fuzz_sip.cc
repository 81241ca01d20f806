// libFuzzer target: the text protocols, SIP and SSDP, on the same input.

#include "dataplane/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portvakt::packet::ParsedFrame frame;
  std::span<const uint8_t> bytes(data, size);
  const portvakt::fuzz::Bounds bounds(data, size);
  frame.reset(bytes, 0);
  (void)portvakt::packet::looksLikeSip(bytes);
  portvakt::packet::parseSip(portvakt::packet::Cursor(bytes), frame);
  portvakt::fuzz::checkFrame(frame, bounds);
  frame.reset(bytes, 0);
  portvakt::packet::parseSsdp(portvakt::packet::Cursor(bytes), frame);
  portvakt::fuzz::checkFrame(frame, bounds);
  return 0;
}
