#include "relocplan/sites/site_search.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>

#include "relocplan/core/error.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/criteria/coverage.hpp"
#include "relocplan/raster/burn.hpp"
#include "relocplan/raster/distance.hpp"
#include "relocplan/sites/patches.hpp"

namespace relocplan::sites {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Every feature burnt with code 1 onto the whole grid (polygons by cell
// centre; lines along their path; points in their cell).
std::vector<std::uint8_t> burn_all(GEOSContextHandle_t ctx, const raster::Grid& grid, const vector::Features& f,
                                   std::vector<std::uint8_t> codes = {}) {
  if (codes.empty()) codes.assign(f.size(), 1);
  std::vector<std::uint8_t> out(grid.cells(), 0);
  raster::PolygonBurner(ctx, f, codes, grid).burn(0, grid.rows(), 0, out.data());
  return out;
}

void merge(std::vector<std::uint8_t>& into, const std::vector<std::uint8_t>& from) {
  for (std::size_t k = 0; k < into.size(); ++k) into[k] = into[k] || from[k];
}

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

std::string site_id(const char* prefix, std::size_t i) {
  std::ostringstream os;
  os << prefix << std::setw(4) << std::setfill('0') << i;
  return os.str();
}

// The name of the polygon of `f` that contains `pt` (by role), if any.
std::optional<std::string> name_at(GEOSContextHandle_t ctx, const vector::Features* f, const std::string& role,
                                   const GEOSGeometry* pt) {
  if (!f) return std::nullopt;
  for (std::size_t i = 0; i < f->size(); ++i)
    if (GEOSIntersects_r(ctx, f->geoms[i].get(), pt) == 1) {
      auto it = f->attrs[i].find(role);
      if (it != f->attrs[i].end()) return it->second;
    }
  return std::nullopt;
}

}  // namespace

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
                            const config::Scenario& s, core::Log& log, core::Progress& progress) {
  const auto& th = s.thresholds;
  const auto& sp = *s.sites;
  const std::size_t n = grid.cells(), rows = grid.rows(), cols = grid.cols();
  const double cell = grid.cell_size();
  const double need_mb = static_cast<double>(n) * kSiteSearchBytesPerCell / (1024.0 * 1024.0);
  if (need_mb > static_cast<double>(s.memory_mb))
    throw core::ScenarioError("the site search holds whole-grid arrays and needs about " +
                              std::to_string(static_cast<long long>(need_mb)) + " MB for " + std::to_string(n) +
                              " cells; raise [processing] memory_mb to at least that, or search sites county by county");
  SiteSearchResult r;
  auto excluded = [&](const char* name) {
    return std::find(sp.exclude.begin(), sp.exclude.end(), name) != sp.exclude.end();
  };
  const auto& slope = *in.slope_deg;
  const auto& elev = *in.elevation_m;
  auto distance_to = [&](const std::vector<std::uint8_t>& mask) {
    return raster::euclidean_distance(mask, rows, cols, cell, &progress);
  };

  // Constraints.
  progress.begin("site constraints");
  r.constraints.assign(n, 0);
  auto mark = [&](const std::vector<std::uint8_t>& mask, std::uint16_t bit) {
    for (std::size_t k = 0; k < n; ++k)
      if (mask[k]) r.constraints[k] |= bit;
  };
  const double max_slope = th.value("sites", "max_slope_deg");
  const double max_elev = th.value("sites", "max_elevation_m");
  const double farm_slope = th.value("sites", "best_farmland_max_slope_deg");
  const float cultivated = static_cast<float>(th.value("landcover", "cultivated_code"));
  for (std::size_t k = 0; k < n; ++k) {
    if (std::isnan(slope[k]) || std::isnan(elev[k])) {
      r.constraints[k] |= kNoTerrain;
      continue;
    }
    if (excluded("steep") && slope[k] > max_slope) r.constraints[k] |= kSteep;
    if (excluded("elevation") && elev[k] > max_elev) r.constraints[k] |= kElevation;
    if (excluded("farmland") && in.landcover && (*in.landcover)[k] == cultivated && slope[k] <= farm_slope)
      r.constraints[k] |= kFarmland;
  }
  std::vector<std::uint8_t> susc_codes;
  if (L.susceptibility) {
    const auto& vals = s.susceptibility->values;
    std::vector<std::uint8_t> codes(L.susceptibility->size(), 0);
    for (std::size_t i = 0; i < codes.size(); ++i) {
      const std::string& c = L.susceptibility->attrs[i].at("class");
      codes[i] = c == vals.at("high") ? criteria::kSuscHigh : c == vals.at("medium") ? criteria::kSuscMedium
                 : c == vals.at("low") ? criteria::kSuscLow : 0;
    }
    susc_codes = burn_all(ctx, grid, *L.susceptibility, codes);
  }
  progress.update(0.2);
  if (excluded("hazard")) {
    const double buffer = th.value("sites", "hazard_buffer_m");
    if (!susc_codes.empty()) {
      std::vector<std::uint8_t> high(n);
      for (std::size_t k = 0; k < n; ++k) high[k] = susc_codes[k] == criteria::kSuscHigh;
      const auto d = distance_to(high);
      for (std::size_t k = 0; k < n; ++k)
        if (d[k] <= buffer) r.constraints[k] |= kHazard;
    }
    if (L.hazard_points) {
      // Each threat range (radius + the hazards buffer) plus the site buffer, as a polygon.
      vector::Features ranges;
      ranges.what = L.hazard_points->what;
      const double extra = th.value("hazards", "threat_buffer_m") + buffer;
      for (std::size_t i = 0; i < L.hazard_points->size(); ++i) {
        const double radius = std::strtod(L.hazard_points->attrs[i].at("radius_m").c_str(), nullptr);
        ranges.geoms.push_back(vector::wrap(ctx, GEOSBuffer_r(ctx, L.hazard_points->geoms[i].get(),
                                                              std::max(0.0, radius) + extra, 16)));
        ranges.attrs.emplace_back();
      }
      mark(burn_all(ctx, grid, ranges), kHazard);
    }
  }
  progress.update(0.4);
  if (excluded("reserve") && L.reserve) mark(burn_all(ctx, grid, *L.reserve), kReserve);
  if (excluded("redline") && L.redline) mark(burn_all(ctx, grid, *L.redline), kRedline);
  if (excluded("flood") && L.flood_zone) mark(burn_all(ctx, grid, *L.flood_zone), kFlood);
  if (excluded("exclusions") && L.exclusions) mark(burn_all(ctx, grid, *L.exclusions), kExclusion);
  std::vector<std::uint8_t> water_mask;
  if (L.rivers) water_mask = burn_all(ctx, grid, *L.rivers);
  if (L.water_bodies) {
    auto wb = burn_all(ctx, grid, *L.water_bodies);
    if (water_mask.empty()) water_mask = std::move(wb);
    else merge(water_mask, wb);
  }
  if (excluded("water") && !water_mask.empty()) mark(water_mask, kWater);
  if (excluded("water") && in.landcover)
    for (std::size_t k = 0; k < n; ++k)
      if ((*in.landcover)[k] == 60.0f) r.constraints[k] |= kWater;  // GlobeLand30 water
  const double min_from_out = th.value("sites", "min_distance_from_out_villages_m");
  if (excluded("near_out_villages") && min_from_out > 0 && !out_villages.empty()) {
    std::vector<std::uint8_t> at(n, 0);
    for (const auto& [x, y] : out_villages)
      if (auto rc = grid.cell_of(x, y)) at[rc->first * cols + rc->second] = 1;
    const auto d = distance_to(at);
    for (std::size_t k = 0; k < n; ++k)
      if (d[k] < min_from_out) r.constraints[k] |= kNearOutVillage;
  }
  progress.end();

  // Factors.
  progress.begin("site factors");
  const auto& names = config::site_factors();
  std::vector<std::vector<float>> factor(names.size());
  const bool sigmoid = sp.membership == "sigmoid";
  auto as_factor = [&](const std::vector<float>& v, double full, double zero) {
    std::vector<float> f(n);
    for (std::size_t k = 0; k < n; ++k)
      f[k] = std::isfinite(v[k]) ? static_cast<float>(decreasing(v[k], full, zero, sigmoid)) : 0.0f;
    return f;
  };
  factor[0].resize(n);
  for (std::size_t k = 0; k < n; ++k) factor[0][k] = std::isnan(slope[k]) ? kNaN : static_cast<float>(slope_factor(slope[k]));
  if (!susc_codes.empty()) {
    factor[1].resize(n);
    for (std::size_t k = 0; k < n; ++k) factor[1][k] = static_cast<float>(hazard_factor(susc_codes[k]));
  }
  std::vector<std::uint8_t> road_mask;
  std::vector<float> dist_road, dist_school, dist_clinic, travel_town;
  if (L.roads) {
    road_mask = burn_all(ctx, grid, *L.roads);
    dist_road = distance_to(road_mask);
    factor[2] = as_factor(dist_road, th.value("sites", "road_full_m"), th.value("sites", "road_zero_m"));
  }
  // The travel cost surface: road cells at the road speed, elsewhere on foot
  // by Tobler's hiking function of the slope (as GRASS r.walk does).
  {
    const double road_min_per_m = 60.0 / (1000.0 * th.value("sites", "walk_road_kmh"));
    r.friction_min_per_m.resize(n);
    for (std::size_t k = 0; k < n; ++k)
      r.friction_min_per_m[k] =
          std::isnan(slope[k]) ? kNaN
          : (!road_mask.empty() && road_mask[k]) ? static_cast<float>(road_min_per_m)
                                                 : static_cast<float>(raster::walking_minutes_per_m(slope[k]));
  }
  progress.update(0.3);
  if (L.towns) {
    const auto& vals = s.towns->values;
    // The seat factor is the travel time to a county seat (where most
    // relocated people went); the site's own access figure is the travel time
    // to its nearest town of any kind.
    std::vector<std::uint8_t> seat_codes(L.towns->size(), 0);
    for (std::size_t i = 0; i < seat_codes.size(); ++i)
      seat_codes[i] = L.towns->attrs[i].at("kind") == vals.at("county_seat") ? 1 : 0;
    const auto seats = burn_all(ctx, grid, *L.towns, seat_codes);
    const auto all_towns = burn_all(ctx, grid, *L.towns);
    r.travel_min = raster::cost_distance(r.friction_min_per_m, rows, cols, cell, seats, kInf, &progress);
    factor[3] = as_factor(r.travel_min, th.value("sites", "seat_full_min"), th.value("sites", "seat_zero_min"));
    travel_town = raster::cost_distance(r.friction_min_per_m, rows, cols, cell, all_towns, kInf, &progress);
    const auto jobs = distance_to(all_towns);
    factor[4] = as_factor(jobs, th.value("sites", "jobs_full_m"), th.value("sites", "jobs_zero_m"));
  }
  progress.update(0.7);
  if (L.schools) {
    dist_school = distance_to(burn_all(ctx, grid, *L.schools));
    factor[5] = as_factor(dist_school, th.value("sites", "school_full_m"), th.value("sites", "school_zero_m"));
  }
  if (L.clinics) {
    dist_clinic = distance_to(burn_all(ctx, grid, *L.clinics));
    factor[6] = as_factor(dist_clinic, th.value("sites", "clinic_full_m"), th.value("sites", "clinic_zero_m"));
  }
  if (!water_mask.empty()) {
    const auto d = distance_to(water_mask);
    factor[7] = as_factor(d, th.value("sites", "water_full_m"), th.value("sites", "water_zero_m"));
  }
  progress.end();

  // Weighted linear combination over the factors that were given.
  std::vector<double> w(names.size(), 0.0);
  double wsum = 0;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (!factor[i].empty() && sp.weights[i] > 0) {
      w[i] = sp.weights[i];
      wsum += w[i];
      r.factors_used.push_back(names[i]);
    }
  for (auto& x : w) x /= wsum;
  const auto& owa = sp.owa_order_weights;
  if (!owa.empty() && owa.size() != r.factors_used.size())
    throw core::ScenarioError("sites.owa_order_weights has " + std::to_string(owa.size()) + " weights for the " +
                              std::to_string(r.factors_used.size()) + " factors whose inputs are given");
  std::vector<std::size_t> used;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (w[i] > 0) used.push_back(i);
  // Ordered weighted averaging (Yager 1988; Malczewski 2006, in GIS site
  // selection): in each cell the factors are ranked from best to worst value,
  // and each factor's criterion weight is multiplied by the order weight of
  // its rank, then renormalised. Order weights loaded on the worst ranks make
  // the combination cautious (closer to the minimum), on the best ranks
  // optimistic; equal order weights give the weighted linear combination.
  std::vector<std::pair<float, std::size_t>> ranked(used.size());
  auto owa_value = [&](std::size_t k) {
    for (std::size_t j = 0; j < used.size(); ++j) ranked[j] = {factor[used[j]][k], used[j]};
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    double num = 0, den = 0;
    for (std::size_t j = 0; j < ranked.size(); ++j) {
      const double uv = w[ranked[j].second] * owa[j];
      num += uv * ranked[j].first;
      den += uv;
    }
    return den > 0 ? num / den : 0.0;
  };
  const double b_most = th.value("sites", "break_most_suitable"), b_suit = th.value("sites", "break_suitable"),
               b_marg = th.value("sites", "break_marginal");
  r.suitability.assign(n, kNaN);
  r.classes.assign(n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    if (r.constraints[k] & kNoTerrain) continue;
    double v = 0;
    if (r.constraints[k] == 0) {
      if (!owa.empty()) v = owa_value(k);
      else
        for (std::size_t i : used) v += w[i] * factor[i][k];
    }
    r.suitability[k] = static_cast<float>(v);
    r.classes[k] = v >= b_most ? 4 : v >= b_suit ? 3 : v >= b_marg ? 2 : 1;
  }

  // Patches and sites.
  progress.begin("sites");
  const double threshold = th.value("sites", "suitability_threshold");
  std::vector<std::uint8_t> suitable(n);
  for (std::size_t k = 0; k < n; ++k) suitable[k] = r.constraints[k] == 0 && r.suitability[k] >= threshold;
  PatchOptions po;
  po.min_area_m2 = th.value("sites", "min_site_ha") * 10000.0;
  // Holes are kept: a hole may be an excluded cell (a hazard point, a pond).
  po.min_hole_m2 = 0;
  po.max_site_area_m2 = th.value("sites", "max_site_ha") * 10000.0;
  // Site edges stay on cell edges (only collinear vertices go): a smoother
  // outline would cut into excluded cells next to the patch.
  po.simplify_m = 1e-3 * cell;
  auto polygons = suitable_patches_to_sites(ctx, grid, suitable, po, &progress);
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
  const double buildable = th.value("sites", "buildable_share");
  const double gross = th.value("sites", "gross_m2_per_person");
  const double per_household = th.value("settlement", "persons_per_household");
  std::size_t generated_no = 0, planned_no = 0;
  std::vector<std::string> planned_on_excluded;
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
    // Figures over the site's cells, weighted by coverage.
    const auto cov = criteria::polygon_coverage(grid, criteria::rings_from_geos(ctx, site.geometry.get()));
    double wsum_s = 0, suit = 0, excl = 0, covered = 0;
    std::vector<double> fsum(names.size(), 0.0);
    double min_suit = kInf, min_travel = kInf, min_road = kInf, min_school = kInf, min_clinic = kInf;
    for (std::size_t rr = 0; rr < cov.rows; ++rr)
      for (std::size_t cc = 0; cc < cov.cols; ++cc) {
        const double f = cov.fraction[rr * cov.cols + cc];
        if (f <= 0) continue;
        const std::size_t k = (cov.row0 + rr) * cols + cov.col0 + cc;
        covered += f;
        if (r.constraints[k] != 0) excl += f;
        if (std::isnan(r.suitability[k])) continue;
        wsum_s += f;
        suit += f * r.suitability[k];
        min_suit = std::min(min_suit, static_cast<double>(r.suitability[k]));
        for (std::size_t i = 0; i < names.size(); ++i)
          if (w[i] > 0) fsum[i] += f * factor[i][k];
        if (!travel_town.empty()) min_travel = std::min(min_travel, static_cast<double>(travel_town[k]));
        if (!dist_road.empty()) min_road = std::min(min_road, static_cast<double>(dist_road[k]));
        if (!dist_school.empty()) min_school = std::min(min_school, static_cast<double>(dist_school[k]));
        if (!dist_clinic.empty()) min_clinic = std::min(min_clinic, static_cast<double>(dist_clinic[k]));
      }
    if (wsum_s > 0) {
      site.mean_suitability = suit / wsum_s;
      site.min_suitability = min_suit;
      // The limiting factor: the one that takes most off the score.
      double worst = -1;
      for (std::size_t i = 0; i < names.size(); ++i)
        if (w[i] > 0) {
          const double loss = w[i] * (1.0 - fsum[i] / wsum_s);
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
      site.county = name_at(ctx, L.counties, "name", inside.get());
      site.township = name_at(ctx, L.townships, "name", inside.get());
      if (L.towns) {
        double best = kInf;
        for (std::size_t i = 0; i < L.towns->size(); ++i) {
          double d = 0;
          GEOSDistance_r(ctx, L.towns->geoms[i].get(), inside.get(), &d);
          auto nm = L.towns->attrs[i].find("name");
          if (d < best && nm != L.towns->attrs[i].end()) {
            best = d;
            site.nearest_town = nm->second;
          }
        }
      }
    }
    r.sites.push_back(std::move(site));
    progress.update(static_cast<double>(si + 1) / static_cast<double>(shapes.size()));
  }
  progress.end();
  if (!planned_on_excluded.empty()) {
    std::string list;
    for (const auto& p : planned_on_excluded) list += (list.empty() ? "" : ", ") + p;
    log.warn("planned site(s) partly on excluded land (see the constraints raster): " + list);
  }
  return r;
}

}  // namespace relocplan::sites
