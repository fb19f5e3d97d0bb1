#include "relocplan/raster/local_cost_distance.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <numbers>
#include <string>
#include <utility>

#include "relocplan/core/error.hpp"
#include "relocplan/core/scratch_file.hpp"

namespace relocplan::raster {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInfF = std::numeric_limits<float>::infinity();
}  // namespace

// The tiles a limited workspace wrote out, each at its place in the window
// (tile index x tile size): an unnamed file in the folder given, removed as
// soon as it is open, so nothing is left behind however the run ends.
class LocalCostDistance::SpillFile {
 public:
  explicit SpillFile(const std::filesystem::path& dir) : file_(dir, "the travel-time search") {}

  void write(std::size_t index, const Tile& t) { file_.write(index * sizeof(Tile), &t, sizeof(Tile)); }
  void read(std::size_t index, Tile& t) const { file_.read(index * sizeof(Tile), &t, sizeof(Tile)); }
  double read_accumulated(std::size_t index, std::size_t at) const {
    double v = kInf;
    file_.read(index * sizeof(Tile) + offsetof(Tile, accumulated) + at * sizeof(double), &v, sizeof(double));
    return v;
  }

 private:
  core::ScratchFile file_;
};

LocalCostDistance::~LocalCostDistance() = default;
LocalCostDistance::LocalCostDistance(LocalCostDistance&&) noexcept = default;
LocalCostDistance& LocalCostDistance::operator=(LocalCostDistance&&) noexcept = default;

LocalCostDistance::LocalCostDistance(const float* cost_per_m, std::size_t rows, std::size_t cols, double cell_size_m,
                                     double max_cost, double min_cost_per_m)
    : own_surface_(std::make_unique<ArrayCostSurface>(cost_per_m, rows, cols)), surface_(own_surface_.get()),
      rows_(rows), cols_(cols), cell_size_m_(cell_size_m), max_cost_(max_cost), min_cost_per_m_(min_cost_per_m) {
  check_arguments();
  set_window_size();
}

LocalCostDistance::LocalCostDistance(const CostSurface& surface, double cell_size_m, double max_cost,
                                     double min_cost_per_m)
    : surface_(&surface), rows_(surface.rows()), cols_(surface.cols()), cell_size_m_(cell_size_m), max_cost_(max_cost),
      min_cost_per_m_(min_cost_per_m) {
  check_arguments();
  set_window_size();
}

void LocalCostDistance::check_arguments() const {
  if (!(cell_size_m_ > 0.0) || !std::isfinite(cell_size_m_))
    throw core::InternalError("LocalCostDistance: the cell size must be a positive number of metres, not " +
                              std::to_string(cell_size_m_));
  if (std::isnan(max_cost_)) throw core::InternalError("LocalCostDistance: the maximum cost is NaN");
}

std::size_t LocalCostDistance::radius_for(double max_cost, double min_cost_per_m, double cell_size_m,
                                          std::size_t rows, std::size_t cols) {
  const std::size_t longest = std::max(rows, cols);
  const double reach_cells = min_cost_per_m > 0.0 ? max_cost / (min_cost_per_m * cell_size_m) : kInf;
  return reach_cells < static_cast<double>(longest) ? static_cast<std::size_t>(std::floor(std::max(reach_cells, 0.0))) + 1
                                                    : longest;
}

void LocalCostDistance::set_window_size() {
  radius_ = radius_for(max_cost_, min_cost_per_m_, cell_size_m_, rows_, cols_);
  side_rows_ = std::min(rows_, 2 * radius_ + 1);
  side_cols_ = std::min(cols_, 2 * radius_ + 1);
}

std::size_t LocalCostDistance::bytes_for_radius(std::size_t radius, std::size_t rows, std::size_t cols) {
  const std::size_t side = 2 * radius + 1;
  // At worst every tile of the window is reached: its friction (4) and
  // accumulated cost (8), plus heap entries (16, about one per cell reached).
  return std::min(rows, side) * std::min(cols, side) * (8 + 4 + 16);
}

std::size_t LocalCostDistance::tile_bytes() { return sizeof(Tile); }

void LocalCostDistance::limit_memory(const SearchMemory& memory) {
  limit_tiles_ = 0;
  if (memory.max_bytes == 0) return;
  if (memory.spill_dir.empty())
    throw core::InternalError("LocalCostDistance: a memory limit needs a folder for its scratch file");
  limit_tiles_ = std::max<std::size_t>(1, memory.max_bytes / sizeof(Tile));
  spill_dir_ = memory.spill_dir;
}

std::size_t LocalCostDistance::front_tiles(std::size_t tiles_down, std::size_t tiles_across) {
  return std::min(tiles_down * tiles_across, 2 * (tiles_down + tiles_across) + kMinTiles);
}

std::size_t LocalCostDistance::least_limited_bytes(std::size_t radius, std::size_t rows, std::size_t cols) {
  const std::size_t side = 2 * radius + 1;
  return front_tiles((std::min(rows, side) + kTileRows - 1) / kTileRows,
                     (std::min(cols, side) + kTileCols - 1) / kTileCols) *
         sizeof(Tile);
}

std::size_t LocalCostDistance::bytes_held() const {
  return pool_.size() * sizeof(Tile) + slot_.capacity() * sizeof(std::uint32_t) +
         loaded_.capacity() * sizeof(std::uint32_t) + heap_.bytes();
}

std::vector<std::array<std::size_t, 4>> LocalCostDistance::reached_tiles() const {
  std::vector<std::array<std::size_t, 4>> boxes;
  boxes.reserve(loaded_.size());
  for (std::uint32_t t : loaded_) {
    const std::size_t r0 = row0_ + (t / tiles_across_) * kTileRows, c0 = col0_ + (t % tiles_across_) * kTileCols;
    boxes.push_back({r0, std::min(row1_, r0 + kTileRows), c0, std::min(col1_, c0 + kTileCols)});
  }
  return boxes;
}

bool LocalCostDistance::run(std::size_t source_row, std::size_t source_col, const core::CancelFlag* cancel) {
  if (source_row >= rows_ || source_col >= cols_) {
    search({}, source_row, source_row, source_col, source_col, nullptr, cancel);
    return true;
  }
  return !std::isnan(search({source_row * cols_ + source_col}, source_row, source_row, source_col, source_col, nullptr,
                            cancel));
}

bool LocalCostDistance::run_from(const std::vector<std::size_t>& source_cells, const core::CancelFlag* cancel) {
  return !std::isnan(search_from(source_cells, nullptr, cancel));
}

double LocalCostDistance::nearest(const std::vector<std::size_t>& source_cells,
                                  const std::function<bool(std::size_t)>& is_target, const core::CancelFlag* cancel) {
  return search_from(source_cells, &is_target, cancel);
}

double LocalCostDistance::search_from(const std::vector<std::size_t>& source_cells,
                                      const std::function<bool(std::size_t)>* is_target,
                                      const core::CancelFlag* cancel) {
  if (source_cells.empty()) return search({}, 0, 0, 0, 0, is_target, cancel);
  std::size_t r0 = rows_, r1 = 0, c0 = cols_, c1 = 0;
  for (std::size_t i : source_cells) {
    if (i >= rows_ * cols_) throw core::InternalError("LocalCostDistance: source cell " + std::to_string(i) + " is outside the grid");
    r0 = std::min(r0, i / cols_);
    r1 = std::max(r1, i / cols_);
    c0 = std::min(c0, i % cols_);
    c1 = std::max(c1, i % cols_);
  }
  return search(source_cells, r0, r1, c0, c1, is_target, cancel);
}

std::uint32_t LocalCostDistance::free_slot() {
  if (pool_used_ < pool_.size()) return static_cast<std::uint32_t>(pool_used_++);
  if (max_tiles_ == 0 || pool_.size() < max_tiles_) {
    // A new tile (not zeroed: the caller fills it).
    pool_.emplace_back(new Tile);
    owner_.push_back(kNoTile);
    used_at_.push_back(0);
    return static_cast<std::uint32_t>(pool_used_++);
  }
  // At the limit: the tile used longest ago goes to the scratch file. Tiles
  // used at the current clock belong to the cell being worked on.
  std::uint32_t victim = kNoTile;
  for (std::uint32_t s = 0; s < pool_used_; ++s)
    if (used_at_[s] < clock_ && (victim == kNoTile || used_at_[s] < used_at_[victim])) victim = s;
  if (victim == kNoTile)
    throw core::InternalError("LocalCostDistance: every tile of the pool is in use (" + std::to_string(max_tiles_) + ")");
  if (!spill_) spill_ = std::make_unique<SpillFile>(spill_dir_);
  spill_->write(owner_[victim], *pool_[victim]);
  slot_[owner_[victim]] = kSpilledTile;
  ++spilled_;
  return victim;
}

void LocalCostDistance::load_tile(std::size_t tile_row, std::size_t tile_col) {
  const std::size_t index = tile_row * tiles_across_ + tile_col;
  const std::uint32_t held = slot_[index];
  if (held < kSpilledTile) {
    if (max_tiles_ != 0) used_at_[held] = clock_;
    return;
  }
  const std::uint32_t slot = free_slot();
  slot_[index] = slot;
  owner_[slot] = static_cast<std::uint32_t>(index);
  used_at_[slot] = clock_;
  Tile& t = *pool_[slot];
  if (held == kSpilledTile) {
    spill_->read(index, t);
    return;
  }
  loaded_.push_back(static_cast<std::uint32_t>(index));
  std::fill(std::begin(t.accumulated), std::end(t.accumulated), kInf);
  const std::size_t r0 = row0_ + tile_row * kTileRows, c0 = col0_ + tile_col * kTileCols;
  const std::size_t r1 = std::min(row1_, r0 + kTileRows), c1 = std::min(col1_, c0 + kTileCols);
  // Cells of the tile beyond the window are never moved to; impassable all the same.
  if (r1 - r0 < kTileRows || c1 - c0 < kTileCols)
    std::fill(std::begin(t.cost), std::end(t.cost), std::numeric_limits<float>::quiet_NaN());
  surface_->read(r0, r1, c0, c1, t.cost, kTileCols);
}

double LocalCostDistance::search(const std::vector<std::size_t>& sources, std::size_t min_row, std::size_t max_row,
                                 std::size_t min_col, std::size_t max_col,
                                 const std::function<bool(std::size_t)>* is_target, const core::CancelFlag* cancel) {
  heap_.clear();
  settled_ = 0;
  spilled_ = 0;
  loaded_.clear();
  pool_used_ = 0;
  row0_ = min_row >= radius_ ? min_row - radius_ : 0;
  col0_ = min_col >= radius_ ? min_col - radius_ : 0;
  row1_ = std::min(rows_, max_row + radius_ + 1);
  col1_ = std::min(cols_, max_col + radius_ + 1);
  // The search state lives in tiles of the window, taken from the pool as
  // the search first comes near them: a search that stops early (at the
  // first town) or reaches little holds little of its window.
  tiles_across_ = (col1_ - col0_ + kTileCols - 1) / kTileCols;
  const std::size_t tiles_down = (row1_ - row0_ + kTileRows - 1) / kTileRows;
  slot_.assign(tiles_down * tiles_across_, kNoTile);
  // With a limit, the pool keeps at least the tiles a front across the
  // window can touch (fewer would write out and read back the same tiles
  // again and again); a pool grown larger by an earlier, wider search is
  // cut back.
  max_tiles_ = limit_tiles_ == 0 ? 0 : std::max(limit_tiles_, front_tiles(tiles_down, tiles_across_));
  if (max_tiles_ != 0 && pool_.size() > max_tiles_) {
    pool_.resize(max_tiles_);
    owner_.resize(max_tiles_);
    used_at_.resize(max_tiles_);
    pool_.shrink_to_fit();
  }
  if (sources.empty() || max_cost_ < 0.0) return kInf;
  // Every tile that holds a cell of the 3 x 3 neighbourhood of (r, c): all a
  // settled cell's moves read.
  const auto load_around = [&](std::size_t r, std::size_t c) {
    const std::size_t lr = r - row0_, lc = c - col0_;
    const std::size_t tr0 = (lr > 0 ? lr - 1 : 0) / kTileRows, tr1 = std::min(lr + 1, row1_ - row0_ - 1) / kTileRows;
    const std::size_t tc0 = (lc > 0 ? lc - 1 : 0) / kTileCols, tc1 = std::min(lc + 1, col1_ - col0_ - 1) / kTileCols;
    for (std::size_t tr = tr0; tr <= tr1; ++tr)
      for (std::size_t tc = tc0; tc <= tc1; ++tc) load_tile(tr, tc);
  };
  // A cell of the window: its tile (loaded) and its place in the tile.
  struct Cell {
    Tile* tile;
    std::size_t at;
  };
  const auto cell = [&](std::size_t r, std::size_t c) {
    const std::size_t lr = r - row0_, lc = c - col0_;
    return Cell{tile_at(lr, lc), (lr % kTileRows) * kTileCols + lc % kTileCols};
  };
  for (std::size_t source : sources) {
    const std::size_t r = source / cols_, c = source % cols_;
    ++clock_;
    load_around(r, c);
    const Cell s = cell(r, c);
    if (!std::isfinite(s.tile->cost[s.at])) continue;
    if (s.tile->accumulated[s.at] == 0.0) continue;
    s.tile->accumulated[s.at] = 0.0;
    heap_.push(0.0, source);
  }

  const double diagonal_m = cell_size_m_ * std::numbers::sqrt2;
  struct Move {
    int d_row, d_col;
  };
  constexpr Move kMoves[8] = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
  constexpr std::size_t kPollEvery = 1 << 14;
  while (!heap_.empty()) {
    const auto [cost_here, i] = heap_.pop();
    const std::size_t r = i / cols_;
    const std::size_t c = i % cols_;
    if (max_tiles_ != 0) {
      // Its tile may have gone to the scratch file since the cell was pushed.
      ++clock_;
      load_tile((r - row0_) / kTileRows, (c - col0_) / kTileCols);
    }
    const Cell here = cell(r, c);
    if (cost_here > here.tile->accumulated[here.at]) continue;  // stale
    ++settled_;
    if (cancel && settled_ % kPollEvery == 0 && cancel->requested()) return std::numeric_limits<double>::quiet_NaN();
    if (is_target && (*is_target)(i)) return cost_here;
    // Tiles used at this clock stay in memory: `here` stays valid.
    load_around(r, c);
    const double friction_here = here.tile->cost[here.at];
    // A cell away from its tile's edges has its eight neighbours in its own
    // tile, at fixed offsets (most cells); otherwise each neighbour's tile is
    // looked up.
    const std::size_t lr = r - row0_, lc = c - col0_;
    const bool interior = lr % kTileRows != 0 && lr % kTileRows != kTileRows - 1 && lc % kTileCols != 0 &&
                          lc % kTileCols != kTileCols - 1;
    const auto neighbour = [&](std::size_t rr, std::size_t cc, int d_row, int d_col) -> Cell {
      if (interior)
        return Cell{here.tile, static_cast<std::size_t>(static_cast<std::ptrdiff_t>(here.at) +
                                                        d_row * static_cast<std::ptrdiff_t>(kTileCols) + d_col)};
      return cell(rr, cc);
    };
    for (const Move& m : kMoves) {
      const std::size_t nr = r + static_cast<std::size_t>(m.d_row);
      const std::size_t nc = c + static_cast<std::size_t>(m.d_col);
      if (nr < row0_ || nr >= row1_ || nc < col0_ || nc >= col1_) continue;
      const Cell there = neighbour(nr, nc, m.d_row, m.d_col);
      const float friction_there = there.tile->cost[there.at];
      if (!std::isfinite(friction_there)) continue;
      const bool diagonal = m.d_row != 0 && m.d_col != 0;
      if (diagonal) {
        const Cell side_a = neighbour(nr, c, m.d_row, 0), side_b = neighbour(r, nc, 0, m.d_col);
        if (!std::isfinite(side_a.tile->cost[side_a.at]) && !std::isfinite(side_b.tile->cost[side_b.at])) continue;
      }
      const double length_m = diagonal ? diagonal_m : cell_size_m_;
      const double cost_there = cost_here + length_m * (friction_here + static_cast<double>(friction_there)) / 2.0;
      double& acc = there.tile->accumulated[there.at];
      if (cost_there < acc && cost_there <= max_cost_) {
        acc = cost_there;
        heap_.push(cost_there, nr * cols_ + nc);
      }
    }
  }
  return kInf;
}

float LocalCostDistance::cost_at(std::size_t row, std::size_t col) const {
  if (row < row0_ || row >= row1_ || col < col0_ || col >= col1_) return kInfF;
  const std::size_t lr = row - row0_, lc = col - col0_;
  const std::size_t at = (lr % kTileRows) * kTileCols + lc % kTileCols;
  if (const Tile* t = tile_at(lr, lc)) return static_cast<float>(t->accumulated[at]);
  const std::size_t index = (lr / kTileRows) * tiles_across_ + lc / kTileCols;
  return slot_[index] == kSpilledTile ? static_cast<float>(spill_->read_accumulated(index, at)) : kInfF;
}

void LocalCostDistance::visit_reached(const std::function<void(const ReachedTile&)>& visit) {
  for (std::uint32_t index : loaded_) {
    const std::size_t tile_row = index / tiles_across_, tile_col = index % tiles_across_;
    ++clock_;
    load_tile(tile_row, tile_col);
    const std::size_t r0 = row0_ + tile_row * kTileRows, c0 = col0_ + tile_col * kTileCols;
    visit(ReachedTile{r0, std::min(row1_, r0 + kTileRows), c0, std::min(col1_, c0 + kTileCols),
                      pool_[slot_[index]]->accumulated});
  }
}


}  // namespace relocplan::raster
