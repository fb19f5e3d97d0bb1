// libFuzzer target: see fuzz_inputs.hpp and README.md ("Fuzzing and sanitizers").
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_inputs.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  relocplan::fuzz::init_gdal();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  relocplan::fuzz::villages_input(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
