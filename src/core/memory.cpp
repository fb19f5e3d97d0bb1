#include "relocplan/core/memory.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <gdal.h>

#include <algorithm>
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

std::size_t held_heap_bytes() {
  const std::size_t heap = heap_in_use_bytes();
  const auto cached = static_cast<std::size_t>(std::max<GIntBig>(0, GDALGetCacheUsed64()));
  return heap > cached ? heap - cached : 0;
}

void release_free_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

MemoryBudget MemoryBudget::for_run(std::size_t memory_mb, std::size_t inputs_bytes, std::size_t villages,
                                   std::size_t least_work_bytes) {
  MemoryBudget b;
  const std::size_t total = memory_mb << 20;
  b.held_ = inputs_bytes + villages * kHeldPerVillage;
  b.least_work_ = least_work_bytes;
  // The strips and the block cache never get less than a quarter; the
  // searches keep their least whatever they are given.
  b.work_ = b.held_ + total / 4 > total ? total / 4 : total - b.held_;
  b.short_ = b.held_ + std::max(total / 4, least_work_bytes) > total;
  return b;
}

std::size_t MemoryBudget::needed_mb() const {
  return (held_ + std::max(work_, least_work_) + (1u << 20) - 1) >> 20;
}

std::size_t MemoryBudget::suggested_mb() const {
  const std::size_t quarter = (held_mb() * 4 + 2) / 3;
  const std::size_t least = held_mb() + ((least_work_ + (1u << 20) - 1) >> 20);
  const std::size_t mb = std::max(quarter, least);
  return (mb + 63) / 64 * 64;
}

}  // namespace relocplan::core
