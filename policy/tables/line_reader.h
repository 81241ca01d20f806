#pragma once
// Splits text into lines (without LF or a CR before it), flagging one longer
// than the cap: the fingerprint data readers (policy/tables/fingerbank.cc,
// dataplane/fingerprint/fingerprint_db.cc) read files we did not write.

#include <cstddef>
#include <string_view>

namespace portvakt::tables {

class LineReader {
 public:
  LineReader(std::string_view text, size_t maxLineLength) : text_(text), maxLine_(maxLineLength) {}
  // False at the end. `tooLong` is set when the line exceeds the cap.
  bool next(std::string_view& line, bool& tooLong) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    tooLong = line.size() > maxLine_;
    pos_ = end + 1;
    ++number_;
    return true;
  }
  size_t number() const { return number_; }

 private:
  std::string_view text_;
  size_t maxLine_;
  size_t pos_ = 0;
  size_t number_ = 0;
};

}  // namespace portvakt::tables
