#include "relocplan/sites/site_cells.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "relocplan/core/error.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/raster/block_plan.hpp"
#include "relocplan/sites/site_search.hpp"

namespace relocplan::sites {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Membership falling from 1 at `full` to 0 at `zero`: linear, or sigmoid
// (cos^2 of the linear position times pi/2: flat near both control points).
double decreasing(double v, double full, double zero, bool sigmoid) {
  const double t = criteria::linear_membership(v, full, zero);
  if (!sigmoid) return 1.0 - t;
  const double c = std::cos(t * std::numbers::pi / 2.0);
  return c * c;
}

// Slope classes for sites: 0-2 / 2-8 / 8-15 / above 15 degrees -> 1.0 / 0.8 / 0.6 / 0.4
// (Jia Kejing et al. 2017, Progress in Geography 36(3)).
double slope_factor(double deg) { return deg <= 2 ? 1.0 : deg <= 8 ? 0.8 : deg <= 15 ? 0.6 : 0.4; }
// Hazard susceptibility none / low / medium / high -> 1.0 / 0.8 / 0.6 / 0.4 (same source).
double hazard_factor(std::uint8_t code) {
  return code == criteria::kSuscHigh ? 0.4 : code == criteria::kSuscMedium ? 0.6 : code == criteria::kSuscLow ? 0.8 : 1.0;
}

// GlobeLand30's water class.
constexpr float kLandcoverWater = 60.0f;

}  // namespace

SiteCells::SiteCells(GEOSContextHandle_t ctx, const raster::Grid& grid, const GridInputs& inputs,
                     const SiteLayers& L, const std::vector<std::pair<double, double>>& out_villages,
                     const config::Scenario& s)
    : ctx_(ctx), grid_(grid), inputs_(inputs), layers_(L), scenario_(s) {
  const auto& th = s.thresholds;
  const auto& sp = *s.sites;
  auto excluded = [&](const char* name) {
    return std::find(sp.exclude.begin(), sp.exclude.end(), name) != sp.exclude.end();
  };
  exclude_steep_ = excluded("steep");
  exclude_elevation_ = excluded("elevation");
  exclude_farmland_ = excluded("farmland");
  exclude_hazard_ = excluded("hazard");
  exclude_reserve_ = excluded("reserve");
  exclude_redline_ = excluded("redline");
  exclude_flood_ = excluded("flood");
  exclude_exclusions_ = excluded("exclusions");
  exclude_water_ = excluded("water");
  exclude_near_out_ = excluded("near_out_villages");
  max_slope_ = th.value("sites", "max_slope_deg");
  max_elev_ = th.value("sites", "max_elevation_m");
  farm_slope_ = th.value("sites", "best_farmland_max_slope_deg");
  cultivated_ = static_cast<float>(th.value("landcover", "cultivated_code"));
  hazard_buffer_ = th.value("sites", "hazard_buffer_m");
  min_from_out_ = th.value("sites", "min_distance_from_out_villages_m");
  road_min_per_m_ = road_min_per_m(s);
  b_most_ = th.value("sites", "break_most_suitable");
  b_suit_ = th.value("sites", "break_suitable");
  b_marg_ = th.value("sites", "break_marginal");
  sigmoid_ = sp.membership == "sigmoid";
  const char* control[kFactorCount] = {nullptr, nullptr, "road", "seat", "jobs", "school", "clinic", "water"};
  for (std::size_t i = 2; i < kFactorCount; ++i) {
    const std::string base = control[i];
    const bool minutes = i == 3;
    full_[i] = th.value("sites", base + (minutes ? "_full_min" : "_full_m"));
    zero_[i] = th.value("sites", base + (minutes ? "_zero_min" : "_zero_m"));
  }

  // Which factors have their inputs.
  const bool water_given = L.rivers || L.water_bodies;
  const bool susceptibility_given = L.susceptibility || L.susceptibility_stream;
  given_ = {true, susceptibility_given, L.roads != nullptr, L.towns != nullptr, L.towns != nullptr,
            L.schools != nullptr, L.clinics != nullptr, water_given};
  const auto& names = config::site_factors();
  double wsum = 0;
  for (std::size_t i = 0; i < kFactorCount; ++i)
    if (given_[i] && sp.weights[i] > 0) {
      weight_[i] = sp.weights[i];
      wsum += weight_[i];
      factors_used_.push_back(names[i]);
    }
  for (auto& x : weight_) x /= wsum;
  for (std::size_t i = 0; i < kFactorCount; ++i)
    if (weight_[i] > 0) used_.push_back(i);
  const auto& owa = sp.owa_order_weights;
  if (!owa.empty() && owa.size() != factors_used_.size())
    throw core::ScenarioError("sites.owa_order_weights has " + std::to_string(owa.size()) + " weights for the " +
                              std::to_string(factors_used_.size()) + " factors whose inputs are given");

  // Burners.
  auto burner = [&](const vector::Features* f, std::vector<std::uint8_t> codes = {}) -> std::unique_ptr<raster::PolygonBurner> {
    if (!f) return nullptr;
    if (codes.empty()) codes.assign(f->size(), 1);
    return std::make_unique<raster::PolygonBurner>(ctx, *f, codes, grid);
  };
  if (L.susceptibility) {
    std::vector<std::uint8_t> codes(L.susceptibility->size(), 0);
    for (std::size_t i = 0; i < codes.size(); ++i)
      codes[i] = criteria::susceptibility_code(*s.susceptibility, L.susceptibility->attrs[i].at("class"));
    susceptibility_ = burner(L.susceptibility, codes);
  } else if (L.susceptibility_stream) {
    const config::VectorInput& input = *s.susceptibility;
    susceptibility_ = std::make_unique<raster::StreamedPolygonBurner>(
        ctx, *L.susceptibility_stream,
        [&input](const std::map<std::string, std::string>& attrs, long long) {
          return criteria::susceptibility_code(input, attrs.at("class"));
        },
        grid);
  }
  if (susceptibility_given && exclude_hazard_)
    high_susceptibility_ = std::make_unique<raster::SourceDistance>(grid.rows(), grid.cols(), grid.cell_size());
  if (exclude_hazard_ && L.hazard_points) {
    // Each threat range (radius + the hazards buffer) plus the site buffer, as a polygon.
    ranges_ = std::make_unique<vector::Features>();
    ranges_->what = L.hazard_points->what;
    const double extra = th.value("hazards", "threat_buffer_m") + hazard_buffer_;
    for (std::size_t i = 0; i < L.hazard_points->size(); ++i) {
      const double radius = std::strtod(L.hazard_points->attrs[i].at("radius_m").c_str(), nullptr);
      ranges_->geoms.push_back(vector::wrap(ctx, GEOSBuffer_r(ctx, L.hazard_points->geoms[i].get(),
                                                             std::max(0.0, radius) + extra, 16)));
      ranges_->attrs.emplace_back();
    }
    hazard_ranges_ = burner(ranges_.get());
  }
  if (exclude_reserve_) reserve_ = burner(L.reserve);
  if (exclude_redline_) redline_ = burner(L.redline);
  if (exclude_flood_) flood_ = burner(L.flood_zone);
  if (exclude_exclusions_) exclusions_ = burner(L.exclusions);
  rivers_ = burner(L.rivers);
  water_bodies_ = burner(L.water_bodies);
  roads_ = burner(L.roads);
  schools_ = burner(L.schools);
  clinics_ = burner(L.clinics);
  if (L.towns) {
    const auto& vals = s.towns->values;
    // The seat factor is the travel time to a county seat (where most
    // relocated people went); the site's own access figure is the travel time
    // to its nearest town of any kind.
    std::vector<std::uint8_t> seat_codes(L.towns->size(), 0);
    for (std::size_t i = 0; i < seat_codes.size(); ++i)
      seat_codes[i] = L.towns->attrs[i].at("kind") == vals.at("county_seat") ? 1 : 0;
    towns_ = burner(L.towns);
    seats_ = burner(L.towns, seat_codes);
  }
  auto sources = [&](bool needed) {
    return needed ? std::make_unique<raster::SourceDistance>(grid.rows(), grid.cols(), grid.cell_size()) : nullptr;
  };
  road_cells_ = sources(L.roads != nullptr);
  town_sources_ = sources(L.towns != nullptr);
  school_cells_ = sources(L.schools != nullptr);
  clinic_cells_ = sources(L.clinics != nullptr);
  water_cells_ = sources(water_given);
  if (exclude_near_out_ && min_from_out_ > 0 && !out_villages.empty()) {
    out_villages_ = sources(true);
    for (const auto& [x, y] : out_villages)
      if (auto rc = grid.cell_of(x, y)) out_villages_->add(rc->first, rc->second);
    out_villages_->finish();
  }
}

SiteCells::~SiteCells() = default;

std::size_t SiteCells::source_bytes() const {
  std::size_t b = (seat_cells_.capacity() + town_cells_.capacity()) * sizeof(std::size_t);
  for (const auto* d : {high_susceptibility_.get(), out_villages_.get(), road_cells_.get(), town_sources_.get(),
                        school_cells_.get(), clinic_cells_.get(), water_cells_.get()})
    if (d) b += d->bytes();
  return b;
}

void SiteCells::prepare(std::size_t block_rows, core::Progress& progress, raster::GridStore& friction) {
  const std::size_t cols = grid_.cols();
  std::vector<float> f_rows;
  const auto blocks = raster::plan_row_blocks(grid_.rows(), block_rows, 0);
  std::vector<float> slope, elev;
  std::vector<std::uint8_t> mask, other;
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    const std::size_t row0 = blocks[bi].row0, nrows = blocks[bi].rows(), n = nrows * cols;
    slope.resize(n);
    elev.resize(n);
    inputs_.read(row0, nrows, slope.data(), elev.data(), nullptr);
    mask.resize(n);
    if (roads_) {
      roads_->burn(row0, nrows, 0, mask.data());
      road_cells_->add_rows(row0, nrows, mask.data());
    }
    f_rows.resize(n);
    float* f = f_rows.data();
    for (std::size_t k = 0; k < n; ++k)
      f[k] = std::isnan(slope[k]) ? kNaN
             : (roads_ && mask[k]) ? static_cast<float>(road_min_per_m_)
                                   : static_cast<float>(raster::walking_minutes_per_m(slope[k]));
    friction.write_rows(row0, nrows, f);
    if (high_susceptibility_) {
      susceptibility_->burn(row0, nrows, 0, mask.data());
      for (auto& v : mask) v = v == criteria::kSuscHigh;
      high_susceptibility_->add_rows(row0, nrows, mask.data());
    }
    if (towns_) {
      towns_->burn(row0, nrows, 0, mask.data());
      town_sources_->add_rows(row0, nrows, mask.data());
      for (std::size_t k = 0; k < n; ++k)
        if (mask[k]) town_cells_.push_back(row0 * cols + k);
      seats_->burn(row0, nrows, 0, mask.data());
      for (std::size_t k = 0; k < n; ++k)
        if (mask[k]) seat_cells_.push_back(row0 * cols + k);
    }
    if (schools_) {
      schools_->burn(row0, nrows, 0, mask.data());
      school_cells_->add_rows(row0, nrows, mask.data());
    }
    if (clinics_) {
      clinics_->burn(row0, nrows, 0, mask.data());
      clinic_cells_->add_rows(row0, nrows, mask.data());
    }
    if (water_cells_) {
      std::fill(mask.begin(), mask.end(), 0);
      if (rivers_) rivers_->burn(row0, nrows, 0, mask.data());
      if (water_bodies_) {
        other.resize(n);
        water_bodies_->burn(row0, nrows, 0, other.data());
        for (std::size_t k = 0; k < n; ++k) mask[k] = mask[k] || other[k];
      }
      water_cells_->add_rows(row0, nrows, mask.data());
    }
    progress.update(static_cast<double>(bi + 1) / static_cast<double>(blocks.size()));
  }
  for (auto* d : {high_susceptibility_.get(), road_cells_.get(), town_sources_.get(), school_cells_.get(),
                  clinic_cells_.get(), water_cells_.get()})
    if (d) d->finish();
}

void SiteCells::compute(std::size_t row0, std::size_t nrows, StripValues& out) const {
  const std::size_t cols = grid_.cols(), n = nrows * cols;
  out.row0 = row0;
  out.rows = nrows;
  out.slope.resize(n);
  out.elevation.resize(n);
  out.landcover.resize(inputs_.has_landcover() ? n : 0);
  inputs_.read(row0, nrows, out.slope.data(), out.elevation.data(),
               inputs_.has_landcover() ? out.landcover.data() : nullptr);
  const auto& slope = out.slope;
  const auto& elev = out.elevation;
  const bool landcover = inputs_.has_landcover();

  // Constraints.
  auto& con = out.constraints;
  con.assign(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    if (std::isnan(slope[k]) || std::isnan(elev[k])) {
      con[k] |= kNoTerrain;
      continue;
    }
    if (exclude_steep_ && slope[k] > max_slope_) con[k] |= kSteep;
    if (exclude_elevation_ && elev[k] > max_elev_) con[k] |= kElevation;
    if (exclude_farmland_ && landcover && out.landcover[k] == cultivated_ && slope[k] <= farm_slope_) con[k] |= kFarmland;
  }
  std::vector<std::uint8_t> mask(n), susc;
  std::vector<float> d(n);
  auto mark = [&](const std::unique_ptr<raster::PolygonBurner>& b, std::uint16_t bit) {
    if (!b) return;
    b->burn(row0, nrows, 0, mask.data());
    for (std::size_t k = 0; k < n; ++k)
      if (mask[k]) con[k] |= bit;
  };
  if (susceptibility_) {
    susc.resize(n);
    susceptibility_->burn(row0, nrows, 0, susc.data());
  }
  if (high_susceptibility_) {
    high_susceptibility_->rows(row0, nrows, d.data());
    for (std::size_t k = 0; k < n; ++k)
      if (d[k] <= hazard_buffer_) con[k] |= kHazard;
  }
  mark(hazard_ranges_, kHazard);
  mark(reserve_, kReserve);
  mark(redline_, kRedline);
  mark(flood_, kFlood);
  mark(exclusions_, kExclusion);
  if (exclude_water_ && (rivers_ || water_bodies_)) {
    mark(rivers_, kWater);
    mark(water_bodies_, kWater);
  }
  if (exclude_water_ && landcover)
    for (std::size_t k = 0; k < n; ++k)
      if (out.landcover[k] == kLandcoverWater) con[k] |= kWater;
  if (out_villages_) {
    out_villages_->rows(row0, nrows, d.data());
    for (std::size_t k = 0; k < n; ++k)
      if (d[k] < min_from_out_) con[k] |= kNearOutVillage;
  }

  // Factors.
  auto as_factor = [&](const float* v, std::size_t i) {
    auto& f = out.factor[i];
    f.resize(n);
    for (std::size_t k = 0; k < n; ++k)
      f[k] = std::isfinite(v[k]) ? static_cast<float>(decreasing(v[k], full_[i], zero_[i], sigmoid_)) : 0.0f;
  };
  auto distance = [&](const std::unique_ptr<raster::SourceDistance>& src, std::vector<float>& into) {
    into.resize(n);
    src->rows(row0, nrows, into.data());
  };
  for (auto& f : out.factor) f.clear();
  out.factor[0].resize(n);
  for (std::size_t k = 0; k < n; ++k)
    out.factor[0][k] = std::isnan(slope[k]) ? kNaN : static_cast<float>(slope_factor(slope[k]));
  if (susceptibility_) {
    out.factor[1].resize(n);
    for (std::size_t k = 0; k < n; ++k) out.factor[1][k] = static_cast<float>(hazard_factor(susc[k]));
  }
  out.dist_road_m.clear();
  out.dist_school_m.clear();
  out.dist_clinic_m.clear();
  if (road_cells_) {
    distance(road_cells_, out.dist_road_m);
    as_factor(out.dist_road_m.data(), 2);
  }
  if (town_sources_) {
    if (!seat_travel_) throw core::InternalError("site cells: the travel time to the seats was not set");
    seat_travel_(row0, nrows, d.data());
    as_factor(d.data(), 3);
    town_sources_->rows(row0, nrows, d.data());
    as_factor(d.data(), 4);
  }
  if (school_cells_) {
    distance(school_cells_, out.dist_school_m);
    as_factor(out.dist_school_m.data(), 5);
  }
  if (clinic_cells_) {
    distance(clinic_cells_, out.dist_clinic_m);
    as_factor(out.dist_clinic_m.data(), 6);
  }
  if (water_cells_) {
    water_cells_->rows(row0, nrows, d.data());
    as_factor(d.data(), 7);
  }

  // Ordered weighted averaging (Yager 1988; Malczewski 2006, in GIS site
  // selection): in each cell the factors are ranked from best to worst value,
  // and each factor's criterion weight is multiplied by the order weight of
  // its rank, then renormalised. Order weights loaded on the worst ranks make
  // the combination cautious (closer to the minimum), on the best ranks
  // optimistic; equal order weights give the weighted linear combination.
  const auto& owa = scenario_.sites->owa_order_weights;
  std::vector<std::pair<float, std::size_t>> ranked(used_.size());
  auto owa_value = [&](std::size_t k) {
    for (std::size_t j = 0; j < used_.size(); ++j) ranked[j] = {out.factor[used_[j]][k], used_[j]};
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    double num = 0, den = 0;
    for (std::size_t j = 0; j < ranked.size(); ++j) {
      const double uv = weight_[ranked[j].second] * owa[j];
      num += uv * ranked[j].first;
      den += uv;
    }
    return den > 0 ? num / den : 0.0;
  };
  out.suitability.assign(n, kNaN);
  out.classes.assign(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    if (con[k] & kNoTerrain) continue;
    double v = 0;
    if (con[k] == 0) {
      if (!owa.empty()) v = owa_value(k);
      else
        for (std::size_t i : used_) v += weight_[i] * out.factor[i][k];
    }
    out.suitability[k] = static_cast<float>(v);
    out.classes[k] = v >= b_most_ ? 4 : v >= b_suit_ ? 3 : v >= b_marg_ ? 2 : 1;
  }
}

}  // namespace relocplan::sites
