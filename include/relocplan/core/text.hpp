#pragma once
// Text for terminals: job ids, county names and stage names are UTF-8 (a
// Chinese county name is common), so columns are counted in display cells
// (a CJK character takes two) and text is cut only between characters.

#include <cstddef>
#include <string>
#include <string_view>

namespace relocplan::core {

// Terminal cells `text` takes: 2 for East Asian wide and fullwidth
// characters, 0 for combining marks, 1 otherwise (an invalid byte counts as
// one cell).
std::size_t display_width(std::string_view text);

// `text` cut to at most `width` cells (between characters) and padded with
// spaces to exactly `width` cells, for a left-aligned column.
std::string fit_width(std::string_view text, std::size_t width);

// `text` cut to at most `max_bytes` bytes, never inside a character.
std::string_view cut_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace relocplan::core
