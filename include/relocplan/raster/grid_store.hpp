#pragma once
// Float fields of the analysis grid that later steps read back by windows:
// the travel cost surface (minutes per metre), which the searches of the
// site search and the allocation read around each source, and the travel
// time to the county seats, which the site search merges window by window
// and reads back strip by strip.
//
// A GridStore is written by rows or by windows and read by windows. Two
// kinds: MemoryGrid keeps the field in memory (tests, small grids);
// ScratchFileGrid keeps it in a raw scratch file (native float32, row-major)
// read and written with pread/pwrite, so that a province's field costs disk
// and the operating system's page cache instead of the process's memory.
// Reads may run on several threads at once; writes must not overlap reads
// of the same cells.

#include <cstddef>
#include <filesystem>
#include <limits>
#include <vector>

namespace relocplan::raster {

// A read-only view of a travel cost surface: rows x cols cells, NaN or
// +infinity impassable, never negative.
class CostSurface {
 public:
  virtual ~CostSurface() = default;
  virtual std::size_t rows() const = 0;
  virtual std::size_t cols() const = 0;
  // The window [row0, row1) x [col0, col1) into `out`, row by row, `stride`
  // values from the start of one row to the next.
  virtual void read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
                    std::size_t stride) const = 0;
  // The smallest finite value (+infinity when none is finite), which bounds
  // how far a search of a given cost can reach.
  virtual double min_finite() const = 0;
  // The most negative value seen, or 0 (callers refuse a negative cost).
  virtual double most_negative() const = 0;
};

// A surface over an array the caller keeps (rows * cols values).
class ArrayCostSurface : public CostSurface {
 public:
  ArrayCostSurface(const float* values, std::size_t rows, std::size_t cols);
  std::size_t rows() const override { return rows_; }
  std::size_t cols() const override { return cols_; }
  void read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
            std::size_t stride) const override;
  double min_finite() const override { return min_finite_; }
  double most_negative() const override { return most_negative_; }

 private:
  const float* values_;
  std::size_t rows_, cols_;
  double min_finite_, most_negative_;
};

class GridStore : public CostSurface {
 public:
  // Rows [row0, row0 + nrows), full width.
  virtual void write_rows(std::size_t row0, std::size_t nrows, const float* values) = 0;
  // The window [row0, row1) x [col0, col1) from `values` (`stride` apart).
  virtual void write_window(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1,
                            const float* values, std::size_t stride) = 0;
  void read_rows(std::size_t row0, std::size_t nrows, float* out) const { read(row0, row0 + nrows, 0, cols(), out, cols()); }
  // Every cell set to `value`, `block_rows` rows at a time.
  void fill(float value, std::size_t block_rows);
  double min_finite() const override { return min_finite_; }
  double most_negative() const override { return most_negative_; }

 protected:
  // Tracks min_finite and most_negative over what is written.
  void note_written(const float* values, std::size_t n);
  void check_window(const char* what, std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1) const;

 private:
  double min_finite_ = std::numeric_limits<double>::infinity(), most_negative_ = 0.0;
};

class MemoryGrid : public GridStore {
 public:
  MemoryGrid(std::size_t rows, std::size_t cols, float initial);
  std::size_t rows() const override { return rows_; }
  std::size_t cols() const override { return cols_; }
  void read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
            std::size_t stride) const override;
  void write_rows(std::size_t row0, std::size_t nrows, const float* values) override;
  void write_window(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, const float* values,
                    std::size_t stride) override;
  const std::vector<float>& values() const { return values_; }
  // The values, moved out (the store is empty afterwards).
  std::vector<float> release() { return std::move(values_); }

 private:
  std::size_t rows_, cols_;
  std::vector<float> values_;
};

class ScratchFileGrid : public GridStore {
 public:
  // Creates `path` (it must not exist) and removes it when destroyed. The
  // contents are undefined until written (fill() sets every cell).
  ScratchFileGrid(std::filesystem::path path, std::size_t rows, std::size_t cols);
  ~ScratchFileGrid() override;
  ScratchFileGrid(const ScratchFileGrid&) = delete;
  ScratchFileGrid& operator=(const ScratchFileGrid&) = delete;
  std::size_t rows() const override { return rows_; }
  std::size_t cols() const override { return cols_; }
  void read(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, float* out,
            std::size_t stride) const override;
  void write_rows(std::size_t row0, std::size_t nrows, const float* values) override;
  void write_window(std::size_t row0, std::size_t row1, std::size_t col0, std::size_t col1, const float* values,
                    std::size_t stride) override;
  const std::filesystem::path& path() const { return path_; }

 private:
  void transfer(bool write, std::size_t offset_cells, std::size_t n, const float* from, float* to) const;
  std::filesystem::path path_;
  std::size_t rows_, cols_;
  int fd_ = -1;
};

}  // namespace relocplan::raster
