// Every input in tests/fuzz/regressions/<target>/ once made a reader crash,
// hang or trip a sanitizer; each must now be accepted or rejected with
// relocplan's own error types. The seed corpora are replayed the same way.
// (scripts/fuzz replays the same files through the libFuzzer targets.)

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "../fuzz/fuzz_inputs.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> files;
  for (const char* kind : {"regressions", "corpus"}) {
    const fs::path dir = fs::path(RELOCPLAN_SOURCE_DIR) / "tests" / "fuzz" / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().filename().string().front() != '.' && e.path().extension() != ".md")
        files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string bytes_of(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class Reader>
void replay(const std::string& target, Reader reader) {
  const auto files = inputs_of(target);
  REQUIRE(!files.empty());
  for (const auto& file : files) {
    INFO("input " << file.string());
    CHECK_NOTHROW(reader(bytes_of(file)));
  }
}

}  // namespace

TEST_CASE("fuzz regressions: the scenario reader rejects bad input with its own errors", "[fuzz]") {
  replay("scenario", relocplan::fuzz::scenario_input);
}

TEST_CASE("fuzz regressions: the batch reader rejects bad input with its own errors", "[fuzz]") {
  replay("batch", relocplan::fuzz::batch_input);
}

TEST_CASE("fuzz regressions: the village reader rejects bad input with its own errors", "[fuzz]") {
  replay("villages", relocplan::fuzz::villages_input);
}
