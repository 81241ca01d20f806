#pragma once
// Cursor: the one bounds-checked reader every packet parser uses.
//
// A frame is untrusted input. Rather than trusting each parser to get its
// pointer arithmetic right, every read goes through a Cursor over a span of
// captured bytes: a read checks the remaining length first, fails without
// moving when the bytes are not there, and loads multi-byte fields with
// memcpy (no unaligned or type-punned loads). Parsers never index the frame
// directly, so "check length before each header" is a property of this class
// instead of a habit of each protocol file.
//
// Failure is a `false` return marked [[nodiscard]]; nothing throws and nothing
// allocates. A Cursor is a value (three words): copy it to look ahead, or take
// a sub-cursor with `take` to confine a TLV's parser to the TLV's length.
// Thread-safety: none needed, it is a value over memory the caller owns.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace portvakt::packet {

class Cursor {
 public:
  Cursor() = default;
  explicit Cursor(std::span<const uint8_t> bytes) : data_(bytes.data()), size_(bytes.size()) {}

  size_t size() const { return size_; }  // the whole window, read or not
  size_t offset() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ == size_; }
  bool has(size_t n) const { return n <= remaining(); }

  [[nodiscard]] bool readU8(uint8_t& v) {
    if (!has(1)) return false;
    v = data_[pos_++];
    return true;
  }
  // Network byte order.
  [[nodiscard]] bool readU16(uint16_t& v) {
    uint8_t b[2];
    if (!load(b, sizeof b)) return false;
    v = static_cast<uint16_t>((uint16_t{b[0]} << 8) | b[1]);
    return true;
  }
  [[nodiscard]] bool readU24(uint32_t& v) {
    uint8_t b[3];
    if (!load(b, sizeof b)) return false;
    v = (uint32_t{b[0]} << 16) | (uint32_t{b[1]} << 8) | b[2];
    return true;
  }
  [[nodiscard]] bool readU32(uint32_t& v) {
    uint8_t b[4];
    if (!load(b, sizeof b)) return false;
    v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    return true;
  }
  // Copies exactly `n` bytes into `out` (addresses, fixed fields).
  [[nodiscard]] bool copy(void* out, size_t n) { return load(out, n); }

  // A view of the next `n` bytes; the view points into the frame.
  [[nodiscard]] bool readBytes(size_t n, std::span<const uint8_t>& out) {
    if (!has(n)) return false;
    out = std::span<const uint8_t>(data_ + pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool readText(size_t n, std::string_view& out) {
    if (!has(n)) return false;
    out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }
  // The next `n` bytes as their own cursor; this cursor moves past them.
  [[nodiscard]] bool take(size_t n, Cursor& out) {
    if (!has(n)) return false;
    out = Cursor(std::span<const uint8_t>(data_ + pos_, n));
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool skip(size_t n) {
    if (!has(n)) return false;
    pos_ += n;
    return true;
  }
  // Moves to an absolute offset inside the window (DNS compression pointers).
  [[nodiscard]] bool seek(size_t offset) {
    if (offset > size_) return false;
    pos_ = offset;
    return true;
  }
  [[nodiscard]] bool peekU8(uint8_t& v) const {
    if (!has(1)) return false;
    v = data_[pos_];
    return true;
  }
  [[nodiscard]] bool peekU16(uint16_t& v) const {
    Cursor copy = *this;
    return copy.readU16(v);
  }
  // Reads up to (not including) `delim`, then consumes the delimiter. Fails
  // without moving when the delimiter is not in the window.
  [[nodiscard]] bool readUntil(uint8_t delim, std::string_view& out) {
    if (empty()) return false;
    const void* hit = std::memchr(data_ + pos_, delim, remaining());
    if (hit == nullptr) return false;
    size_t n = static_cast<size_t>(static_cast<const uint8_t*>(hit) - (data_ + pos_));
    out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n + 1;
    return true;
  }
  // Shrinks the window to at most `n` bytes from the current position (a
  // header's length field may only narrow what was captured, never widen it).
  void clampRemaining(size_t n) {
    if (n < remaining()) size_ = pos_ + n;
  }
  std::span<const uint8_t> rest() const { return std::span<const uint8_t>(data_ + pos_, remaining()); }
  std::string_view restText() const { return std::string_view(reinterpret_cast<const char*>(data_ + pos_), remaining()); }

 private:
  bool load(void* out, size_t n) {
    if (!has(n)) return false;
    if (n == 0) return true;  // memcpy from a null window is undefined even for 0 bytes
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return true;
  }

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
};

}  // namespace portvakt::packet
