#pragma once
// What the process's memory is, as a run measures it: the peak resident set
// (what the operating system and Slurm see) and the heap in use (what the
// run's data take, without the libraries and freed pages).

#include <cstddef>

namespace relocplan::core {

// The process's peak resident memory so far in MB (Linux: VmHWM of
// /proc/self/status), or -1 where it cannot be read.
double peak_rss_mb();

// Bytes allocated with malloc and not yet freed, by this thread's allocator
// arena and in large mapped blocks (glibc's mallinfo2); 0 where the C library
// cannot tell. Data a run keeps from stage to stage is allocated on the main
// thread, so this measures it.
std::size_t heap_in_use_bytes();

// The heap in use without GDAL's cached blocks (the block cache belongs to
// the working budget): what the run's data take at this point.
std::size_t held_heap_bytes();

// Gives the pages freed by a stage back to the system (glibc's malloc_trim).
void release_free_memory();

}  // namespace relocplan::core

namespace relocplan::core {

// How a run shares its memory budget (processing.memory_mb). The budget
// covers the whole run's data: first what is held by count for the whole
// run (the thematic layers kept in memory and the villages, measured after
// they are read, and per village its territory while the zonal statistics
// are computed, then its terrain figures, statistics and assessment); the
// strips, GDAL's block cache and the travel-time searches work in what is
// left, but never in less than a quarter of the budget; the searches keep
// their least however small their share (least_work_bytes counts it). A
// budget too small for what is held and that is reported (short_of_budget),
// and the run then needs needed_mb(). The libraries themselves (GDAL, PROJ, GEOS: about 60 MB
// resident) are not counted.
class MemoryBudget {
 public:
  // What a village costs held, from the terrain stage to the output, at most.
  static constexpr std::size_t kHeldPerVillage = 3 * 1024;

  MemoryBudget() = default;
  // `inputs_bytes`: what the inputs read so far take (heap in use);
  // `least_work_bytes`: twice the least a travel-time search keeps (the
  // searches work in half the working budget).
  static MemoryBudget for_run(std::size_t memory_mb, std::size_t inputs_bytes, std::size_t villages,
                              std::size_t least_work_bytes = 0);

  std::size_t held_bytes() const { return held_; }
  std::size_t work_bytes() const { return work_; }
  // Each stage's strips, and the travel-time searches of a stage together.
  std::size_t strip_bytes() const { return work_ / 2; }
  std::size_t search_bytes() const { return work_ / 2; }
  // GDAL's block cache.
  std::size_t cache_bytes() const { return work_ / 4; }
  bool short_of_budget() const { return short_; }
  // The smallest budget that holds what is held with a quarter of it, and
  // at least least_work_bytes, left to work in, rounded up to 64 MB.
  std::size_t suggested_mb() const;
  std::size_t held_mb() const { return (held_ + (1u << 20) - 1) >> 20; }
  // What the run's data take at most: held + work, or held + the searches'
  // least when that is more.
  std::size_t needed_mb() const;
  std::size_t work_mb() const { return work_ >> 20; }

 private:
  std::size_t held_ = 0, work_ = 0, least_work_ = 0;
  bool short_ = false;
};

}  // namespace relocplan::core
