#include "relocplan/core/scratch_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "relocplan/core/error.hpp"

namespace relocplan::core {

ScratchFile::ScratchFile(const std::filesystem::path& dir, std::string purpose)
    : dir_(dir), purpose_(std::move(purpose)) {
  std::string name = (dir / ".relocplan-scratch-XXXXXX").string();
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0)
    throw OutputError("cannot create a scratch file for " + purpose_ + " in " + dir.string() + ": " +
                      std::strerror(errno));
  ::unlink(name.c_str());
}

ScratchFile::~ScratchFile() { ::close(fd_); }

void ScratchFile::write(std::uint64_t offset, const void* from, std::size_t bytes) {
  const char* p = static_cast<const char*>(from);
  for (std::size_t done = 0; done < bytes;) {
    const ssize_t n = ::pwrite(fd_, p + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write", n);
    done += static_cast<std::size_t>(n);
  }
}

void ScratchFile::read(std::uint64_t offset, void* to, std::size_t bytes) const {
  char* p = static_cast<char*>(to);
  for (std::size_t done = 0; done < bytes;) {
    const ssize_t n = ::pread(fd_, p + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("read", n);
    done += static_cast<std::size_t>(n);
  }
}

void ScratchFile::fail(const char* what, long n) const {
  throw OutputError(std::string("cannot ") + what + " the scratch file of " + purpose_ + " in " + dir_.string() +
                    ": " + (n < 0 ? std::strerror(errno) : "unexpected end of file"));
}

ScratchRecords::ScratchRecords(const std::filesystem::path& dir, std::string purpose)
    : file_(dir, std::move(purpose)) {}

std::size_t ScratchRecords::append(std::string_view record) {
  const std::uint64_t at = ends_.empty() ? 0 : ends_.back();
  file_.write(at, record.data(), record.size());
  ends_.push_back(at + record.size());
  return ends_.size() - 1;
}

void ScratchRecords::read(std::size_t i, std::string& out) const {
  if (i >= ends_.size()) throw InternalError("scratch record " + std::to_string(i) + " was never written");
  const std::uint64_t begin = i == 0 ? 0 : ends_[i - 1];
  out.resize(static_cast<std::size_t>(ends_[i] - begin));
  if (!out.empty()) file_.read(begin, out.data(), out.size());
}

}  // namespace relocplan::core
