#include "relocplan/core/memory.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdlib>
#include <fstream>
#include <string>

namespace relocplan::core {

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  return -1;
}

std::size_t heap_in_use_bytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}

void release_free_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace relocplan::core

namespace relocplan::core {

MemoryBudget MemoryBudget::for_run(std::size_t memory_mb, std::size_t inputs_bytes, std::size_t villages) {
  MemoryBudget b;
  const std::size_t total = memory_mb << 20;
  b.held_ = inputs_bytes + villages * kHeldPerVillage;
  const std::size_t least = total / 4;
  b.short_ = b.held_ + least > total;
  b.work_ = b.short_ ? least : total - b.held_;
  return b;
}

std::size_t MemoryBudget::suggested_mb() const {
  const std::size_t mb = (held_mb() * 4 + 2) / 3;
  return (mb + 63) / 64 * 64;
}

}  // namespace relocplan::core
