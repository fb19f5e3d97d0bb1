#include "relocplan/core/text.hpp"

#include <cstdint>

namespace relocplan::core {

namespace {

// One character of `text` at `at`: its code point (or the byte itself when
// the sequence is invalid) and its length in bytes.
struct Char {
  char32_t code;
  std::size_t bytes;
};

Char next_char(std::string_view text, std::size_t at) {
  const auto b0 = static_cast<unsigned char>(text[at]);
  std::size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || at + n > text.size()) return {b0, 1};
  char32_t code = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(text[at + i]);
    if ((b >> 6) != 0x2) return {b0, 1};
    code = (code << 6) | (b & 0x3F);
  }
  return {code, n};
}

std::size_t width_of(char32_t c) {
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE20 && c <= 0xFE2F)) return 0;
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF) ||
                    (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
                    (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t w = 0;
  for (std::size_t at = 0; at < text.size();) {
    const Char ch = next_char(text, at);
    w += width_of(ch.code);
    at += ch.bytes;
  }
  return w;
}

std::string fit_width(std::string_view text, std::size_t width) {
  std::string out;
  std::size_t w = 0, at = 0;
  while (at < text.size()) {
    const Char ch = next_char(text, at);
    const std::size_t cw = width_of(ch.code);
    if (w + cw > width) break;
    out.append(text.substr(at, ch.bytes));
    w += cw;
    at += ch.bytes;
  }
  out.append(width - w, ' ');
  return out;
}

std::string_view cut_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t at = 0;
  while (at < text.size()) {
    const Char ch = next_char(text, at);
    if (at + ch.bytes > max_bytes) break;
    at += ch.bytes;
  }
  return text.substr(0, at);
}

}  // namespace relocplan::core
