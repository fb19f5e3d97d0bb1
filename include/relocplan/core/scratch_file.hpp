#pragma once
// Scratch storage on disk for what a run would otherwise hold in memory by
// count or by cell: an unnamed file in the output's work folder, removed as
// soon as it is open, so nothing is left behind however the run ends (even
// after kill -9).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace relocplan::core {

// Bytes at given offsets (pread / pwrite); reads may run on several threads.
class ScratchFile {
 public:
  // `purpose` completes the error messages: "the travel-time search".
  ScratchFile(const std::filesystem::path& dir, std::string purpose);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  void write(std::uint64_t offset, const void* from, std::size_t bytes);
  void read(std::uint64_t offset, void* to, std::size_t bytes) const;

 private:
  [[noreturn]] void fail(const char* what, long n) const;
  std::filesystem::path dir_;
  std::string purpose_;
  int fd_ = -1;
};

// Records of any length appended one after another and read back by their
// number: 8 bytes of memory a record, the records themselves on disk.
class ScratchRecords {
 public:
  ScratchRecords(const std::filesystem::path& dir, std::string purpose);
  // Appends a record; returns its number (0, 1, ...).
  std::size_t append(std::string_view record);
  std::size_t size() const { return ends_.size(); }
  // Record `i` into `out` (replacing what it held).
  void read(std::size_t i, std::string& out) const;

 private:
  ScratchFile file_;
  std::vector<std::uint64_t> ends_;  // end offset of each record
};

}  // namespace relocplan::core
