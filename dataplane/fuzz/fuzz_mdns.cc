// libFuzzer target: a DNS-format message (mDNS / DNS-SD), exercising name
// compression, the pointer-hop cap and the record caps.

#include "dataplane/fuzz/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portvakt::packet::ParsedFrame frame;
  std::span<const uint8_t> bytes(data, size);
  frame.reset(bytes, 0);
  portvakt::packet::parseMdns(portvakt::packet::Cursor(bytes), frame);
  portvakt::fuzz::checkFrame(frame, portvakt::fuzz::Bounds(data, size));
  return 0;
}
