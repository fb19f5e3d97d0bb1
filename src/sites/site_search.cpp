#include "relocplan/sites/site_search.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <iomanip>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <sstream>

#include "relocplan/core/error.hpp"
#include "relocplan/criteria/coverage.hpp"
#include "relocplan/raster/block_plan.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/raster/local_cost_distance.hpp"
#include "relocplan/sites/patches.hpp"
#include "relocplan/sites/site_cells.hpp"

namespace relocplan::sites {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInfF = std::numeric_limits<float>::infinity();
constexpr float kNaNF = std::numeric_limits<float>::quiet_NaN();
// Seat cells searched together: a group spans at most this many cells in
// rows and in columns (a town burnt onto several cells, seats side by side).
constexpr std::size_t kSeatGroupCells = 32;

// The travel time to the county seats: one bounded search per group of
// nearby seat cells (raster::LocalCostDistance in the window the bound
// allows), merged into `seat` window by window as the minimum over the
// groups. Costs travel as doubles and are rounded once, so the minimum over
// the groups is the one multi-source search's value for every cell.
void seat_travel_times(const raster::CostSurface& friction, double cell, const std::vector<std::size_t>& seat_cells,
                       double bound, raster::GridStore& seat, const raster::SearchMemory& memory,
                       core::Progress& progress) {
  const std::size_t cols = friction.cols();
  std::vector<std::vector<std::size_t>> groups;
  std::size_t r0 = 0, r1 = 0, c0 = 0, c1 = 0;
  for (std::size_t k : seat_cells) {
    const std::size_t r = k / cols, c = k % cols;
    if (!groups.empty() && std::max(r1, r) - std::min(r0, r) < kSeatGroupCells &&
        std::max(c1, c) - std::min(c0, c) < kSeatGroupCells) {
      groups.back().push_back(k);
      r0 = std::min(r0, r), r1 = std::max(r1, r), c0 = std::min(c0, c), c1 = std::max(c1, c);
    } else {
      groups.push_back({k});
      r0 = r1 = r, c0 = c1 = c;
    }
  }
  raster::LocalCostDistance search(friction, cell, bound, friction.min_finite());
  search.limit_memory(memory);
  std::vector<float> window;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (!search.run_from(groups[g], &progress.cancel())) progress.cancel().throw_if_requested();
    // Merged tile by tile over the tiles the search reached (a cell outside
    // them is not reached).
    search.visit_reached([&](const raster::LocalCostDistance::ReachedTile& tile) {
      const std::size_t w = tile.col1 - tile.col0;
      window.resize((tile.row1 - tile.row0) * w);
      seat.read(tile.row0, tile.row1, tile.col0, tile.col1, window.data(), w);
      bool lowered = false;
      for (std::size_t rr = tile.row0; rr < tile.row1; ++rr) {
        float* row = window.data() + (rr - tile.row0) * w;
        for (std::size_t cc = tile.col0; cc < tile.col1; ++cc) {
          const float t = tile.cost(rr, cc);
          if (t < row[cc - tile.col0]) {
            row[cc - tile.col0] = t;
            lowered = true;
          }
        }
      }
      if (lowered) seat.write_window(tile.row0, tile.row1, tile.col0, tile.col1, window.data(), w);
    });
    progress.update(static_cast<double>(g + 1) / static_cast<double>(groups.size()));
  }
}

// Bytes a cell of a strip holds while it is computed: terrain (12), the
// constraint bits (2), up to eight factors (32), suitability and class (5),
// distances kept for the site figures (12), burn and distance scratch (6),
// the sink's conversions (8), with room for GDAL's rasterising copies.
constexpr std::size_t kStripBytesPerCell = 100;

std::string site_id(const char* prefix, std::size_t i) {
  std::ostringstream os;
  os << prefix << std::setw(4) << std::setfill('0') << i;
  return os.str();
}

// Names of the polygons of a layer (by role) at points: an STR tree of the
// polygons, candidates tried in input order, so the first polygon in the
// layer that holds the point names it, as a plain scan would.
class NamesAt {
 public:
  NamesAt(GEOSContextHandle_t ctx, const vector::Features* f, std::string role)
      : ctx_(ctx), f_(f), role_(std::move(role)) {
    if (!f) return;
    tree_ = GEOSSTRtree_create_r(ctx, 10);
    index_.resize(f->size());
    for (std::size_t i = 0; i < f->size(); ++i) {
      index_[i] = i;
      GEOSSTRtree_insert_r(ctx, tree_, f->geoms[i].get(), &index_[i]);
    }
  }
  ~NamesAt() {
    if (tree_) GEOSSTRtree_destroy_r(ctx_, tree_);
  }
  NamesAt(const NamesAt&) = delete;
  NamesAt& operator=(const NamesAt&) = delete;

  std::optional<std::string> at(const GEOSGeometry* pt) const {
    if (!f_) return std::nullopt;
    std::vector<std::size_t> hits;
    GEOSSTRtree_query_r(
        ctx_, tree_, pt,
        [](void* item, void* data) { static_cast<std::vector<std::size_t>*>(data)->push_back(*static_cast<std::size_t*>(item)); },
        &hits);
    std::sort(hits.begin(), hits.end());
    for (std::size_t i : hits)
      if (GEOSIntersects_r(ctx_, f_->geoms[i].get(), pt) == 1) {
        auto it = f_->attrs[i].find(role_);
        if (it != f_->attrs[i].end()) return it->second;
      }
    return std::nullopt;
  }

 private:
  GEOSContextHandle_t ctx_;
  const vector::Features* f_;
  std::string role_;
  GEOSSTRtree* tree_ = nullptr;
  std::vector<std::size_t> index_;
};

// The nearest town with a name: an STR tree of the named towns.
class NearestTown {
 public:
  NearestTown(GEOSContextHandle_t ctx, const vector::Features* towns) : ctx_(ctx) {
    if (!towns) return;
    tree_ = GEOSSTRtree_create_r(ctx, 10);
    for (std::size_t i = 0; i < towns->size(); ++i) {
      auto nm = towns->attrs[i].find("name");
      if (nm == towns->attrs[i].end()) continue;
      names_.emplace(towns->geoms[i].get(), nm->second);
      GEOSSTRtree_insert_r(ctx, tree_, towns->geoms[i].get(), towns->geoms[i].get());
    }
  }
  ~NearestTown() {
    if (tree_) GEOSSTRtree_destroy_r(ctx_, tree_);
  }
  NearestTown(const NearestTown&) = delete;
  NearestTown& operator=(const NearestTown&) = delete;

  std::optional<std::string> at(const GEOSGeometry* pt) const {
    if (!tree_ || names_.empty()) return std::nullopt;
    const void* g = GEOSSTRtree_nearest_r(ctx_, tree_, pt);
    auto it = names_.find(static_cast<const GEOSGeometry*>(g));
    return it == names_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

 private:
  GEOSContextHandle_t ctx_;
  GEOSSTRtree* tree_ = nullptr;
  std::map<const GEOSGeometry*, std::string> names_;
};

// Sums over one site's cells, weighted by coverage.
struct SiteSums {
  criteria::CoverageWindow coverage;
  double wsum = 0, suit = 0, excl = 0, covered = 0;
  std::array<double, kFactorCount> factor{};
  double min_suit = kInf, min_travel = kInf, min_road = kInf, min_school = kInf, min_clinic = kInf;
};

}  // namespace

WholeGridInputs::WholeGridInputs(const raster::Grid& grid, const std::vector<float>* slope_deg,
                                 const std::vector<float>* elevation_m, const std::vector<float>* landcover)
    : cols_(grid.cols()), slope_(slope_deg), elevation_(elevation_m), landcover_(landcover) {
  for (const auto* v : {slope_deg, elevation_m, landcover})
    if (v && v->size() != grid.cells())
      throw core::InternalError("site search: an input holds " + std::to_string(v->size()) + " cells, the grid " +
                                std::to_string(grid.cells()));
}

void WholeGridInputs::read(std::size_t row0, std::size_t nrows, float* slope_deg, float* elevation_m,
                           float* landcover) const {
  const auto from = static_cast<std::ptrdiff_t>(row0 * cols_), to = static_cast<std::ptrdiff_t>((row0 + nrows) * cols_);
  std::copy(slope_->begin() + from, slope_->begin() + to, slope_deg);
  std::copy(elevation_->begin() + from, elevation_->begin() + to, elevation_m);
  if (landcover && landcover_) std::copy(landcover_->begin() + from, landcover_->begin() + to, landcover);
}

SiteRasterCollector::SiteRasterCollector(const raster::Grid& grid)
    : suitability(grid.cells()), classes(grid.cells()), constraints(grid.cells()), cols_(grid.cols()) {}

void SiteRasterCollector::write(std::size_t row0, std::size_t nrows, const float* suit, const std::uint8_t* cls,
                                const std::uint16_t* con) {
  const std::size_t at = row0 * cols_, n = nrows * cols_;
  std::copy(suit, suit + n, suitability.begin() + static_cast<std::ptrdiff_t>(at));
  std::copy(cls, cls + n, classes.begin() + static_cast<std::ptrdiff_t>(at));
  std::copy(con, con + n, constraints.begin() + static_cast<std::ptrdiff_t>(at));
}

double road_min_per_m(const config::Scenario& scenario) {
  return 60.0 / (1000.0 * scenario.thresholds.value("sites", "walk_road_kmh"));
}

namespace {

// The radius (cells) of the seat search's and the access search's windows:
// the reach of their bound at road speed, the fastest move.
std::array<std::size_t, 2> site_search_radii(const raster::Grid& grid, const config::Scenario& scenario) {
  const auto& th = scenario.thresholds;
  const double fastest_min_per_m = road_min_per_m(scenario);
  std::array<std::size_t, 2> radii{};
  const char* bounds[2] = {"seat_zero_min", "access_max_min"};
  for (std::size_t i = 0; i < 2; ++i) {
    const double b = th.value("sites", bounds[i]);
    radii[i] = raster::LocalCostDistance::radius_for(std::isfinite(b) && b > 0 ? b : kInf, fastest_min_per_m,
                                                     grid.cell_size(), grid.rows(), grid.cols());
  }
  return radii;
}

}  // namespace

double site_search_bytes(const raster::Grid& grid, std::size_t block_rows, const config::Scenario& scenario,
                         std::size_t search_limit_bytes) {
  const std::size_t strip_rows = std::min(grid.rows(), block_rows == 0 ? grid.rows() : block_rows);
  const double strips = static_cast<double>(strip_rows * grid.cols() * kStripBytesPerCell);
  // The searches' windows at worst (every tile reached). With a limit, a
  // search holds at most the limit, or the least it keeps for its window
  // when that is more.
  using raster::LocalCostDistance;
  double window = 0;
  for (const std::size_t radius : site_search_radii(grid, scenario)) {
    std::size_t held = LocalCostDistance::bytes_for_radius(radius, grid.rows(), grid.cols());
    if (search_limit_bytes > 0)
      held = std::min(held, std::max(search_limit_bytes, LocalCostDistance::least_limited_bytes(radius, grid.rows(),
                                                                                                grid.cols())));
    window = std::max(window, static_cast<double>(held));
  }
  return strips + window;
}

std::size_t site_search_least_bytes(const raster::Grid& grid, const config::Scenario& scenario) {
  std::size_t least = 0;
  for (const std::size_t radius : site_search_radii(grid, scenario))
    least = std::max(least, std::min(raster::LocalCostDistance::bytes_for_radius(radius, grid.rows(), grid.cols()),
                                     raster::LocalCostDistance::least_limited_bytes(radius, grid.rows(), grid.cols())));
  return least;
}

std::size_t site_search_block_rows(const raster::Grid& grid, std::size_t bytes) {
  return raster::block_rows_for_budget(grid.rows(), grid.cols(), 0, kStripBytesPerCell, bytes);
}

std::uint16_t constraint_bit(const std::string& name) {
  static const std::map<std::string, std::uint16_t> bits = {
      {"steep", kSteep},   {"hazard", kHazard},       {"reserve", kReserve},     {"redline", kRedline},
      {"water", kWater},   {"flood", kFlood},         {"farmland", kFarmland},   {"elevation", kElevation},
      {"near_out_villages", kNearOutVillage},          {"exclusions", kExclusion}};
  auto it = bits.find(name);
  if (it == bits.end()) throw core::InternalError("no constraint '" + name + "'");
  return it->second;
}

SiteSearchResult find_sites(GEOSContextHandle_t ctx, const raster::Grid& grid, const GridInputs& in,
                            const SiteLayers& L, const std::vector<std::pair<double, double>>& out_villages,
                            const config::Scenario& s, core::Log& log, core::Progress& progress,
                            SiteRasterSink& sink, std::size_t block_rows, raster::GridStore* seat_store,
                            raster::GridStore* friction_store, const raster::SearchMemory& search_memory) {
  const auto& th = s.thresholds;
  const std::size_t rows = grid.rows(), cols = grid.cols();
  const double cell = grid.cell_size();
  const auto blocks = raster::plan_row_blocks(rows, block_rows == 0 ? rows : block_rows, 0);
  SiteSearchResult r;
  auto lap_start = std::chrono::steady_clock::now();
  auto lap = [&](const char* part) {
    const auto now = std::chrono::steady_clock::now();
    r.seconds.emplace_back(part, std::chrono::duration<double>(now - lap_start).count());
    lap_start = now;
  };
  SiteCells cells(ctx, grid, in, L, out_villages, s);
  r.factors_used = cells.factors_used();
  const auto& names = config::site_factors();
  const auto& w = cells.weights();

  // Pass 1: the travel cost surface and the distance sources; the travel
  // time to the county seats over it. Both live in the stores given (scratch
  // files), or in memory when none is given.
  std::unique_ptr<raster::MemoryGrid> friction_memory, seat_memory;
  if (!friction_store) friction_store = (friction_memory = std::make_unique<raster::MemoryGrid>(rows, cols, kNaNF)).get();
  raster::GridStore& friction = *friction_store;
  progress.begin("site inputs");
  cells.prepare(block_rows == 0 ? rows : block_rows, progress, friction);
  progress.end();
  lap("inputs");
  if (cells.has_towns()) {
    progress.begin("travel time to county seats");
    if (seat_store) seat_store->fill(kInfF, block_rows == 0 ? rows : block_rows);
    else seat_store = (seat_memory = std::make_unique<raster::MemoryGrid>(rows, cols, kInfF)).get();
    // Beyond seat_zero_min the seat factor is 0 whatever the time, so the
    // searches stop there (cells beyond it keep +infinity).
    const double bound = th.value("sites", "seat_zero_min");
    seat_travel_times(friction, cell, cells.seat_cells(), std::isfinite(bound) && bound > 0 ? bound : kInf, *seat_store,
                      search_memory, progress);
    raster::GridStore* seat = seat_store;
    cells.set_seat_travel([seat](std::size_t row0, std::size_t n, float* out) { seat->read_rows(row0, n, out); });
    progress.end();
  }

  lap("seat_travel");
  // Pass 2: constraints, factors, suitability and classes, strip by strip,
  // to the sink; the suitable cells kept as a mask for the patches.
  progress.begin("site suitability");
  const double threshold = th.value("sites", "suitability_threshold");
  SuitableRuns suitable(rows, cols);
  StripValues v;
  std::vector<std::uint8_t> mask;
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    cells.compute(blocks[bi].row0, blocks[bi].rows(), v);
    sink.write(v.row0, v.rows, v.suitability.data(), v.classes.data(), v.constraints.data());
    mask.resize(v.suitability.size());
    for (std::size_t k = 0; k < v.suitability.size(); ++k) mask[k] = v.constraints[k] == 0 && v.suitability[k] >= threshold;
    suitable.add_rows(v.row0, v.rows, mask.data());
    progress.update(static_cast<double>(bi + 1) / static_cast<double>(blocks.size()));
  }
  std::vector<std::uint8_t>().swap(mask);
  progress.end();

  lap("suitability");
  // Patches and sites.
  progress.begin("sites");
  PatchOptions po;
  po.min_area_m2 = th.value("sites", "min_site_ha") * 10000.0;
  // Holes are kept: a hole may be an excluded cell (a hazard point, a pond).
  po.min_hole_m2 = 0;
  po.max_site_area_m2 = th.value("sites", "max_site_ha") * 10000.0;
  // Site edges stay on cell edges (only collinear vertices go): a smoother
  // outline would cut into excluded cells next to the patch.
  po.simplify_m = 1e-3 * cell;
  auto polygons = suitable_patches_to_sites(ctx, grid, suitable, po, &progress);
  suitable = SuitableRuns(0, 0);
  std::vector<std::pair<vector::GeomPtr, std::string>> shapes;  // geometry, source
  for (auto& p : polygons) shapes.emplace_back(std::move(p.geometry), "generated");
  std::vector<std::size_t> planned_index;
  if (L.planned_sites) {
    for (std::size_t i = 0; i < L.planned_sites->size(); ++i) {
      const GEOSGeometry* g = L.planned_sites->geoms[i].get();
      const int type = GEOSGeomTypeId_r(ctx, g);
      vector::GeomPtr shape;
      if (type == GEOS_POINT) {
        auto it = L.planned_sites->attrs[i].find("area_ha");
        const double ha = it == L.planned_sites->attrs[i].end() ? 0 : std::strtod(it->second.c_str(), nullptr);
        if (!(ha > 0))
          throw core::InputError(L.planned_sites->what + ": planned site " + std::to_string(i + 1) +
                                 " is a point; map field 'area_ha' (inputs.planned_sites.fields) with its area");
        // A 64-gon of exactly the given area: (N / 2) r^2 sin(2 pi / N) = A.
        constexpr double kSides = 64;
        const double radius = std::sqrt(2.0 * ha * 10000.0 / (kSides * std::sin(2.0 * std::numbers::pi / kSides)));
        shape = vector::wrap(ctx, GEOSBuffer_r(ctx, g, radius, 16));
      } else {
        shape = vector::wrap(ctx, GEOSGeom_clone_r(ctx, g));
      }
      planned_index.push_back(i);
      shapes.emplace_back(std::move(shape), "planned");
    }
  }
  // The travel time to the nearest town of any kind, for the sites' access.
  progress.end();
  lap("patches");
  progress.begin("site figures");

  // Pass 3: figures over each site's cells, weighted by coverage, from the
  // strips that hold sites (computed again: the same strip gives the same values).
  std::vector<SiteSums> sums(shapes.size());
  for (std::size_t si = 0; si < shapes.size(); ++si)
    sums[si].coverage = criteria::polygon_coverage(grid, criteria::rings_from_geos(ctx, shapes[si].first.get()));
  for (const auto& b : blocks) {
    bool any = false;
    for (const auto& sm : sums)
      any = any || (!sm.coverage.empty() && sm.coverage.row0 < b.row1 && sm.coverage.row0 + sm.coverage.rows > b.row0);
    if (!any) continue;
    progress.update(0.5 * static_cast<double>(b.row0) / static_cast<double>(rows));
    cells.compute(b.row0, b.rows(), v);
    for (auto& sm : sums) {
      const auto& cov = sm.coverage;
      if (cov.empty() || cov.row0 >= b.row1 || cov.row0 + cov.rows <= b.row0) continue;
      const std::size_t r0 = std::max(cov.row0, b.row0), r1 = std::min(cov.row0 + cov.rows, b.row1);
      for (std::size_t gr = r0; gr < r1; ++gr)
        for (std::size_t cc = 0; cc < cov.cols; ++cc) {
          const double f = cov.fraction[(gr - cov.row0) * cov.cols + cc];
          if (f <= 0) continue;
          const std::size_t gc = cov.col0 + cc;
          const std::size_t k = (gr - b.row0) * cols + gc;  // in the strip
          sm.covered += f;
          if (v.constraints[k] != 0) sm.excl += f;
          if (std::isnan(v.suitability[k])) continue;
          sm.wsum += f;
          sm.suit += f * v.suitability[k];
          sm.min_suit = std::min(sm.min_suit, static_cast<double>(v.suitability[k]));
          for (std::size_t i = 0; i < kFactorCount; ++i)
            if (w[i] > 0) sm.factor[i] += f * v.factor[i][k];
          if (!v.dist_road_m.empty()) sm.min_road = std::min(sm.min_road, static_cast<double>(v.dist_road_m[k]));
          if (!v.dist_school_m.empty()) sm.min_school = std::min(sm.min_school, static_cast<double>(v.dist_school_m[k]));
          if (!v.dist_clinic_m.empty()) sm.min_clinic = std::min(sm.min_clinic, static_cast<double>(v.dist_clinic_m[k]));
        }
    }
  }
  // The strip is done with: the access searches take its half of the budget.
  v = StripValues{};
  // The site's access: the travel time from its cells to the nearest town,
  // a search from the site outwards that stops at the first town reached
  // and never goes beyond access_max_min (travel cost is symmetric, so this
  // is the time from the nearest town to the nearest cell of the site).
  if (cells.has_towns() && !cells.town_cells().empty()) {
    const double bound = th.value("sites", "access_max_min");
    raster::LocalCostDistance search(friction, cell, std::isfinite(bound) && bound >= 0 ? bound : kInf,
                                     friction.min_finite());
    search.limit_memory(search_memory);
    const auto& towns = cells.town_cells();
    const std::function<bool(std::size_t)> is_town = [&towns](std::size_t k) {
      return std::binary_search(towns.begin(), towns.end(), k);
    };
    std::vector<std::size_t> site_cells;
    for (std::size_t si = 0; si < sums.size(); ++si) {
      const auto& cov = sums[si].coverage;
      site_cells.clear();
      for (std::size_t rr = 0; rr < cov.rows; ++rr)
        for (std::size_t cc = 0; cc < cov.cols; ++cc)
          if (cov.fraction[rr * cov.cols + cc] > 0) site_cells.push_back((cov.row0 + rr) * cols + cov.col0 + cc);
      const double t = search.nearest(site_cells, is_town, &progress.cancel());
      if (std::isnan(t)) progress.cancel().throw_if_requested();
      sums[si].min_travel = static_cast<float>(t);
    }
  }

  const double buildable = th.value("sites", "buildable_share");
  const double gross = th.value("sites", "gross_m2_per_person");
  const double per_household = th.value("settlement", "persons_per_household");
  std::size_t generated_no = 0, planned_no = 0;
  std::vector<std::string> planned_on_excluded;
  const NamesAt county_at(ctx, L.counties, "name"), township_at(ctx, L.townships, "name");
  const NearestTown nearest_town(ctx, L.towns);
  for (std::size_t si = 0; si < shapes.size(); ++si) {
    Site site;
    site.geometry = std::move(shapes[si].first);
    site.source = shapes[si].second;
    double area = 0;
    GEOSArea_r(ctx, site.geometry.get(), &area);
    site.area_ha = area / 10000.0;
    site.buildable_ha = site.area_ha * buildable;
    if (site.source == "generated") {
      site.id = site_id("S", ++generated_no);
    } else {
      const auto& attrs = L.planned_sites->attrs[planned_index[planned_no]];
      ++planned_no;
      auto id = attrs.find("id");
      site.id = (id != attrs.end() && !id->second.empty()) ? id->second : site_id("P", planned_no);
      auto nm = attrs.find("name");
      if (nm != attrs.end()) site.name = nm->second;
    }
    const SiteSums& sm = sums[si];
    const double covered = sm.covered, excl = sm.excl;
    const double min_travel = sm.min_travel, min_road = sm.min_road, min_school = sm.min_school,
                 min_clinic = sm.min_clinic;
    if (sm.wsum > 0) {
      site.mean_suitability = sm.suit / sm.wsum;
      site.min_suitability = sm.min_suit;
      // The limiting factor: the one that takes most off the score.
      double worst = -1;
      for (std::size_t i = 0; i < names.size(); ++i)
        if (w[i] > 0) {
          const double loss = w[i] * (1.0 - sm.factor[i] / sm.wsum);
          if (loss > worst) {
            worst = loss;
            site.limiting_factor = names[i];
          }
        }
    }
    site.excluded_pct = covered > 0 ? 100.0 * excl / covered : 0;
    if (site.source == "planned" && site.excluded_pct > 0.5)
      planned_on_excluded.push_back(site.id + " (" + std::to_string(static_cast<int>(std::lround(site.excluded_pct))) + " %)");
    if (std::isfinite(min_travel)) site.travel_min = min_travel;
    if (std::isfinite(min_road)) site.dist_road_m = min_road;
    if (std::isfinite(min_school)) site.dist_school_m = min_school;
    if (std::isfinite(min_clinic)) site.dist_clinic_m = min_clinic;
    // Capacity from the buildable land; a planned site may fix its own.
    // Whole people; the small allowance absorbs rounding in the polygon's area.
    site.capacity_people = static_cast<std::int64_t>(std::floor(site.buildable_ha * 10000.0 / gross + 1e-6));
    if (site.source == "planned") {
      const auto& attrs = L.planned_sites->attrs[planned_index[planned_no - 1]];
      auto cap = attrs.find("capacity");
      if (cap != attrs.end() && !cap->second.empty()) site.capacity_people = std::strtoll(cap->second.c_str(), nullptr, 10);
    }
    site.capacity_households =
        static_cast<std::int64_t>(std::floor(static_cast<double>(site.capacity_people) / per_household + 1e-9));
    // Where it is: county, township, nearest town.
    vector::GeomPtr inside = vector::wrap(ctx, GEOSPointOnSurface_r(ctx, site.geometry.get()));
    if (inside) {
      site.county = county_at.at(inside.get());
      site.township = township_at.at(inside.get());
      site.nearest_town = nearest_town.at(inside.get());
    }
    r.sites.push_back(std::move(site));
    progress.update(0.5 + 0.5 * static_cast<double>(si + 1) / static_cast<double>(shapes.size()));
  }
  progress.end();
  if (!planned_on_excluded.empty()) {
    std::string list;
    for (const auto& p : planned_on_excluded) list += (list.empty() ? "" : ", ") + p;
    log.warn("planned site(s) partly on excluded land (see the constraints raster): " + list);
  }
  lap("figures");
  if (friction_memory) r.friction_min_per_m = friction_memory->release();
  if (seat_memory) r.travel_min = seat_memory->release();
  return r;
}

}  // namespace relocplan::sites
