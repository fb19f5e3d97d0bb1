// Terminal columns of UTF-8 text: job ids with Chinese county names line up,
// and text is never cut inside a character.
#include <catch2/catch.hpp>
#include <string>

#include "relocplan/core/text.hpp"

using relocplan::core::cut_utf8;
using relocplan::core::display_width;
using relocplan::core::fit_width;

TEST_CASE("display width: ASCII, CJK, fullwidth, combining marks and invalid bytes", "[text]") {
  CHECK(display_width("") == 0);
  CHECK(display_width("base.Zunyi") == 10);
  CHECK(display_width("汇川区") == 6);                   // three wide characters
  CHECK(display_width("base.遵义市.汇川区") == 18);       // 5 + 6 + 1 + 6
  CHECK(display_width("ＡＢ") == 4);                      // fullwidth Latin
  CHECK(display_width("e\xcc\x81") == 1);                 // e + combining acute
  CHECK(display_width("\xff" "a") == 2);                  // an invalid byte counts as one cell
  CHECK(display_width("\xe6\xb1") == 2);                  // a cut sequence: two invalid bytes
  CHECK(display_width("\xf0\xa0\x80\x80") == 2);          // U+20000, CJK extension B
}

TEST_CASE("fit_width pads to the column and cuts between characters", "[text]") {
  CHECK(fit_width("abc", 5) == "abc  ");
  CHECK(fit_width("abcdef", 4) == "abcd");
  // 汇川区 is 6 cells: in 5 cells only two characters fit, then one space.
  CHECK(fit_width("汇川区", 5) == "汇川 ");
  CHECK(display_width(fit_width("汇川区", 5)) == 5);
  CHECK(fit_width("汇川区", 6) == "汇川区");
  for (std::size_t w = 0; w < 20; ++w) CHECK(display_width(fit_width("base.遵义市.汇川区", w)) == w);
  // Two ids of the same width line up whatever their scripts.
  CHECK(fit_width("a.汇川区", 12).size() - fit_width("a.Huichuan", 12).size() == 3 * 3 - 3 * 2);
}

TEST_CASE("cut_utf8 never splits a character", "[text]") {
  const std::string s = "值：汇川区";  // 3 bytes a character
  CHECK(cut_utf8(s, 100) == s);
  CHECK(cut_utf8(s, 7) == "值：");
  CHECK(cut_utf8(s, 6) == "值：");
  CHECK(cut_utf8(s, 5) == "值");
  CHECK(cut_utf8(s, 2).empty());
  CHECK(cut_utf8("abc", 2) == "ab");
}
