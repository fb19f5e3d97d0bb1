#include "relocplan/raster/grid_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "relocplan/core/error.hpp"

namespace relocplan::raster {

namespace {

void track(const float* values, std::size_t n, double& min_finite, double& most_negative) {
  for (std::size_t k = 0; k < n; ++k) {
    const float v = values[k];
    if (!std::isfinite(v)) continue;
    if (v < min_finite) min_finite = v;
    if (v < most_negative) most_negative = v;
  }
}

}  // namespace

ArrayCostSurface::ArrayCostSurface(const float* values, std::size_t rows, std::size_t cols)
    : values_(values), rows_(rows), cols_(cols), min_finite_(std::numeric_limits<double>::infinity()), most_negative_(0) {
  track(values, rows * cols, min_finite_, most_negative_);
}

void ArrayCostSurface::read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
                            std::size_t stride) const {
  for (std::size_t r = row0; r < row1; ++r)
    std::copy(values_ + r * cols_ + col0, values_ + r * cols_ + col1, out + (r - row0) * stride);
}

void GridStore::note_written(const float* values, std::size_t n) { track(values, n, min_finite_, most_negative_); }

void GridStore::check_window(const char* what, std::size_t row0, std::size_t row1, std::size_t col0,
                             std::size_t col1) const {
  if (row0 > row1 || row1 > rows() || col0 > col1 || col1 > cols())
    throw core::InternalError(std::string("grid store: ") + what + " rows " + std::to_string(row0) + "-" +
                              std::to_string(row1) + ", columns " + std::to_string(col0) + "-" + std::to_string(col1) +
                              " outside a grid of " + std::to_string(rows()) + " x " + std::to_string(cols()));
}

void GridStore::fill(float value, std::size_t block_rows) {
  block_rows = std::max<std::size_t>(1, std::min(block_rows, rows()));
  const std::vector<float> row(block_rows * cols(), value);
  for (std::size_t r = 0; r < rows(); r += block_rows) write_rows(r, std::min(block_rows, rows() - r), row.data());
}

MemoryGrid::MemoryGrid(std::size_t rows, std::size_t cols, float initial)
    : rows_(rows), cols_(cols), values_(rows * cols, initial) {
  note_written(&initial, 1);
}

void MemoryGrid::read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
                      std::size_t stride) const {
  check_window("read", row0, row1, col0, col1);
  for (std::size_t r = row0; r < row1; ++r)
    std::copy(values_.begin() + static_cast<std::ptrdiff_t>(r * cols_ + col0),
              values_.begin() + static_cast<std::ptrdiff_t>(r * cols_ + col1), out + (r - row0) * stride);
}

void MemoryGrid::write_rows(std::size_t row0, std::size_t nrows, const float* values) {
  write_window(row0, row0 + nrows, 0, cols_, values, cols_);
}

void MemoryGrid::write_window(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1,
                              const float* values, std::size_t stride) {
  check_window("write", row0, row1, col0, col1);
  for (std::size_t r = row0; r < row1; ++r) {
    const float* from = values + (r - row0) * stride;
    std::copy(from, from + (col1 - col0), values_.begin() + static_cast<std::ptrdiff_t>(r * cols_ + col0));
    note_written(from, col1 - col0);
  }
}

ScratchFileGrid::ScratchFileGrid(std::filesystem::path path, std::size_t rows, std::size_t cols)
    : path_(std::move(path)), rows_(rows), cols_(cols) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw core::OutputError("cannot create the scratch file " + path_.string() + ": " + std::strerror(errno));
  if (::ftruncate(fd_, static_cast<off_t>(rows * cols * sizeof(float))) != 0) {
    const int e = errno;
    ::close(fd_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    throw core::OutputError("cannot size the scratch file " + path_.string() + " (" +
                            std::to_string(rows * cols * sizeof(float) / (1024 * 1024)) + " MB): " + std::strerror(e));
  }
}

ScratchFileGrid::~ScratchFileGrid() {
  if (fd_ >= 0) ::close(fd_);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void ScratchFileGrid::transfer(bool write, std::size_t offset_cells, std::size_t n, const float* from, float* to) const {
  std::size_t done = 0;
  const std::size_t bytes = n * sizeof(float);
  const auto offset = static_cast<off_t>(offset_cells * sizeof(float));
  while (done < bytes) {
    const ssize_t got = write ? ::pwrite(fd_, reinterpret_cast<const char*>(from) + done, bytes - done,
                                         offset + static_cast<off_t>(done))
                              : ::pread(fd_, reinterpret_cast<char*>(to) + done, bytes - done,
                                        offset + static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw core::OutputError(std::string("cannot ") + (write ? "write" : "read") + " the scratch file " +
                              path_.string() + ": " + (got < 0 ? std::strerror(errno) : "unexpected end of file"));
    done += static_cast<std::size_t>(got);
  }
}

void ScratchFileGrid::read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
                           std::size_t stride) const {
  check_window("read", row0, row1, col0, col1);
  if (col0 == 0 && col1 == cols_ && stride == cols_) {
    transfer(false, row0 * cols_, (row1 - row0) * cols_, nullptr, out);
    return;
  }
  for (std::size_t r = row0; r < row1; ++r) transfer(false, r * cols_ + col0, col1 - col0, nullptr, out + (r - row0) * stride);
}

void ScratchFileGrid::write_rows(std::size_t row0, std::size_t nrows, const float* values) {
  write_window(row0, row0 + nrows, 0, cols_, values, cols_);
}

void ScratchFileGrid::write_window(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1,
                                   const float* values, std::size_t stride) {
  check_window("write", row0, row1, col0, col1);
  if (col0 == 0 && col1 == cols_ && stride == cols_) {
    transfer(true, row0 * cols_, (row1 - row0) * cols_, values, nullptr);
    note_written(values, (row1 - row0) * cols_);
    return;
  }
  for (std::size_t r = row0; r < row1; ++r) {
    transfer(true, r * cols_ + col0, col1 - col0, values + (r - row0) * stride, nullptr);
    note_written(values + (r - row0) * stride, col1 - col0);
  }
}

}  // namespace relocplan::raster
