#include "relocplan/criteria/assessment.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "relocplan/core/error.hpp"

namespace relocplan::criteria {

namespace {

std::string num(double v, int digits = 0) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

}  // namespace

double linear_membership(double value, double lo, double hi) {
  if (hi <= lo) return value >= hi ? 1.0 : 0.0;
  return std::clamp((value - lo) / (hi - lo), 0.0, 1.0);
}

// ---------------------------------------------------------------------------
// Zonal statistics

TerritoryAccumulator::TerritoryAccumulator(const raster::Grid& grid, GEOSContextHandle_t ctx,
                                           std::vector<const GEOSGeometry*> territories,
                                           const config::LayerDefaults& thresholds)
    : grid_(grid), ctx_(ctx), territories_(std::move(territories)) {
  const std::size_t n = territories_.size();
  rows_.resize(n, {0, -1});
  windows_.resize(n);
  done_.resize(n, false);
  sums_.resize(n);
  steep_deg_ = thresholds.value("terrain", "steep_slope_deg");
  cultivable_max_deg_ = thresholds.value("landcover", "cultivable_max_slope_deg");
  cultivated_code_ = static_cast<float>(thresholds.value("landcover", "cultivated_code"));
  for (std::size_t i = 0; i < n; ++i) {
    const GEOSGeometry* g = territories_[i];
    if (!g || GEOSisEmpty_r(ctx_, g) == 1) continue;
    double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
    if (GEOSGeom_getExtent_r(ctx_, g, &xmin, &ymin, &xmax, &ymax) != 1) continue;
    const long long r0 = std::max<long long>(0, static_cast<long long>(std::floor(grid_.row_f(ymax))));
    const long long r1 = std::min<long long>(static_cast<long long>(grid_.rows()) - 1,
                                             static_cast<long long>(std::floor(grid_.row_f(ymin))));
    rows_[i] = {r0, r1};
  }
}

std::size_t TerritoryAccumulator::active() const {
  std::size_t n = 0;
  for (const auto& w : windows_) n += !w.fraction.empty();
  return n;
}

void TerritoryAccumulator::add_rows(std::size_t row0, std::size_t nrows, const BlockLayers& L) {
  const long long b0 = static_cast<long long>(row0);
  const long long b1 = static_cast<long long>(row0 + nrows) - 1;
  const std::size_t cols = grid_.cols();
  const double ha_per_cell = grid_.cell_area() / 10000.0;
  (void)ha_per_cell;
  for (std::size_t i = 0; i < territories_.size(); ++i) {
    const long long lo = std::max(b0, rows_[i].first);
    const long long hi = std::min(b1, rows_[i].second);
    if (lo > hi) continue;
    CoverageWindow& w = windows_[i];
    if (!done_[i]) {
      // Coverage is computed when the territory first enters a block and
      // released after its last row, so only the territories crossing the
      // current strip are held in memory.
      w = polygon_coverage(grid_, rings_from_geos(ctx_, territories_[i]));
      done_[i] = true;
    }
    if (w.empty()) continue;
    Sums& s = sums_[i];
    s.has_desert = L.desertification;
    s.has_susc = L.susceptibility;
    s.has_flood = L.flood;
    s.has_reserve = L.reserve;
    s.has_redline = L.redline;
    const long long wr0 = static_cast<long long>(w.row0), wr1 = static_cast<long long>(w.row0 + w.rows) - 1;
    for (long long row = std::max(lo, wr0); row <= std::min(hi, wr1); ++row) {
      const std::size_t base = static_cast<std::size_t>(row - b0) * cols;
      const float* frac = &w.fraction[static_cast<std::size_t>(row - wr0) * w.cols];
      for (std::size_t c = 0; c < w.cols; ++c) {
        const double f = frac[c];
        if (f <= 0) continue;
        const std::size_t k = base + w.col0 + c;
        s.cover += f;
        const float sl = L.slope_deg ? L.slope_deg[k] : std::numeric_limits<float>::quiet_NaN();
        if (!std::isnan(sl)) {
          s.slope_w += f;
          s.slope += f * sl;
          if (sl > steep_deg_) s.steep += f;
          s.max_slope = std::max(s.max_slope, static_cast<double>(sl));
        }
        if (L.relief_m && !std::isnan(L.relief_m[k])) {
          s.relief_w += f;
          s.relief += f * L.relief_m[k];
          s.max_relief = std::max(s.max_relief, static_cast<double>(L.relief_m[k]));
        }
        if (L.elevation_m && !std::isnan(L.elevation_m[k])) {
          s.elev_w += f;
          s.elev += f * L.elevation_m[k];
        }
        if (L.landcover && !std::isnan(L.landcover[k])) {
          s.any_landcover = true;
          s.lc_w += f;
          if (L.landcover[k] == cultivated_code_) {
            s.cultivated += f;
            if (!std::isnan(sl) && sl <= cultivable_max_deg_) s.cultivable += f;
            if (!std::isnan(sl) && sl > steep_deg_) s.steep_cultivated += f;
          }
        }
        if (L.fragility && !std::isnan(L.fragility[k])) {
          s.any_fragility = true;
          s.frag_w += f;
          s.frag += f * L.fragility[k];
        }
        if (L.desertification) {
          const std::uint8_t g = L.desertification[k];
          s.desert[g <= 5 ? g : 0] += f;
        }
        if (L.susceptibility) s.susc[std::min<std::uint8_t>(L.susceptibility[k], 3)] += f;
        if (L.flood && L.flood[k]) s.flood += f;
        if (L.reserve) {
          if (L.reserve[k] == kReserveCore) s.core += f;
          else if (L.reserve[k] == kReserveBuffer) s.buffer += f;
        }
        if (L.redline && L.redline[k]) s.redline += f;
      }
    }
    if (rows_[i].second <= b1) {
      w.fraction.clear();
      w.fraction.shrink_to_fit();
    }
  }
}

std::vector<TerritoryStats> TerritoryAccumulator::results() const {
  std::vector<TerritoryStats> out(sums_.size());
  const double cell_ha = grid_.cell_area() / 10000.0;
  for (std::size_t i = 0; i < sums_.size(); ++i) {
    const Sums& s = sums_[i];
    TerritoryStats& t = out[i];
    t.area_ha = s.cover * cell_ha;
    if (s.slope_w > 0) {
      t.mean_slope_deg = s.slope / s.slope_w;
      t.max_slope_deg = s.max_slope;
      t.steep_pct = 100.0 * s.steep / s.slope_w;
    }
    if (s.relief_w > 0) {
      t.mean_relief_m = s.relief / s.relief_w;
      t.max_relief_m = s.max_relief;
    }
    if (s.elev_w > 0) t.mean_elevation_m = s.elev / s.elev_w;
    if (s.any_landcover) {
      t.cultivated_ha = s.cultivated * cell_ha;
      t.cultivable_ha = s.cultivable * cell_ha;
      if (s.cultivated > 0) t.steep_cultivated_pct = 100.0 * s.steep_cultivated / s.cultivated;
    }
    if (s.any_fragility) t.mean_fragility = s.frag / s.frag_w;
    if (s.has_desert && s.cover > 0) {
      std::array<double, 6> ha{};
      for (int g = 0; g < 6; ++g) ha[g] = s.desert[g] * cell_ha;
      t.desertification_ha = ha;
      t.desertification_moderate_pct = 100.0 * (s.desert[3] + s.desert[4] + s.desert[5]) / s.cover;
    }
    if (s.cover > 0) {
      if (s.has_susc) {
        std::array<double, 4> p{};
        for (int c = 0; c < 4; ++c) p[c] = 100.0 * s.susc[c] / s.cover;
        t.susceptibility_pct = p;
      }
      if (s.has_flood) t.flood_pct = 100.0 * s.flood / s.cover;
      if (s.has_reserve) {
        t.reserve_core_pct = 100.0 * s.core / s.cover;
        t.reserve_buffer_pct = 100.0 * s.buffer / s.cover;
      }
      if (s.has_redline) t.redline_pct = 100.0 * s.redline / s.cover;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Rules

std::string VillageAssessment::reason_codes() const {
  std::string s;
  for (const auto& r : reasons) s += (s.empty() ? "" : ",") + r.code;
  return s;
}

std::string VillageAssessment::reasons_text() const {
  std::string s;
  for (const auto& r : reasons) s += (s.empty() ? "" : "; ") + r.code + ": " + r.text;
  if (!unknown.empty()) {
    std::string u;
    for (const auto& x : unknown) u += (u.empty() ? "" : ", ") + x;
    s += (s.empty() ? "" : "; ") + std::string("UNKNOWN: ") + u;
  }
  return s;
}

VillageAssessment assess(const vector::Village& v, const TerritoryStats& t, const std::optional<double>& point_elev,
                         const PointCriteria& p, const config::Scenario& s) {
  const auto& th = s.thresholds;
  VillageAssessment a;
  bool whole = false, registered = false;
  auto hard = [&](const std::string& code, const std::string& text, bool moves_whole) {
    a.reasons.push_back({code, true, text});
    (moves_whole ? whole : registered) = true;
  };

  // Hard triggers. Hazards, reserves, the red line and floods make the place
  // unsafe or unlawful to live in: everyone moves.
  if (p.susceptibility && *p.susceptibility == "high")
    hard("HAZARD_ZONE", "the village lies in a high geohazard-susceptibility zone", true);
  if (p.hazard_id)
    hard("HAZARD_THREAT",
         "the village is " + num(*p.hazard_dist_m) + " m from " + (p.hazard_kind ? *p.hazard_kind + " " : "") +
             *p.hazard_id + ", within its threat range of " + num(*p.hazard_radius_m) + " m",
         true);
  if (p.in_flood_zone && *p.in_flood_zone && th.value("hazards", "flood_zone_trigger") != 0)
    hard("FLOOD_ZONE", "the village lies in the flood zone", true);
  if (p.reserve_zone && *p.reserve_zone == "core")
    hard("RESERVE_CORE", "the village lies in a nature reserve's core zone", true);
  if (p.reserve_zone && *p.reserve_zone == "buffer" && th.value("protected", "buffer_zone_trigger") != 0)
    hard("RESERVE_BUFFER", "the village lies in a nature reserve's buffer zone", true);
  if (p.in_redline && *p.in_redline) {
    if (th.value("protected", "redline_trigger") != 0)
      hard("REDLINE", "the village lies inside the ecological red line (its core)", true);
    else
      a.reasons.push_back({"IN_REDLINE", false, "the village lies inside the ecological red line (restricted, not a trigger)"});
  }

  // Small and poor (Guizhou rule): the whole village moves.
  if (v.households && v.poor_households && *v.households > 0)
    a.poverty_rate = static_cast<double>(*v.poor_households) / static_cast<double>(*v.households);
  const double small = th.value("settlement", "small_households");
  const double poor_rate = th.value("settlement", "poor_rate");
  if (v.households && a.poverty_rate) {
    if (static_cast<double>(*v.households) < small && *a.poverty_rate > poor_rate)
      hard("SMALL_POOR",
           std::to_string(*v.households) + " households (< " + num(small) + ") with a poverty rate of " +
               num(100 * *a.poverty_rate) + " % (> " + num(100 * poor_rate) + " %)",
           true);
  } else if (s.villages.fields.households && s.villages.fields.poor_households) {
    // The fields are mapped but this village's values are missing.
    a.unknown.push_back("SMALL_POOR (households or registered poor households unknown)");
  }

  // Carrying capacity: cultivable land per person.
  const double min_m2 = th.value("landcover", "min_cultivable_m2_per_person");
  if (t.cultivable_ha) {
    std::optional<double> people;
    if (v.population) people = static_cast<double>(*v.population);
    else if (v.households) people = static_cast<double>(*v.households) * th.value("settlement", "persons_per_household");
    if (people && *people > 0) {
      a.cultivable_m2_per_person = *t.cultivable_ha * 10000.0 / *people;
      if (*a.cultivable_m2_per_person < min_m2)
        hard("LOW_CARRYING_CAPACITY",
             num(*a.cultivable_m2_per_person) + " m2 of cultivable land per person (< " + num(min_m2) + " m2)",
             false);
    } else if (s.villages.fields.population || s.villages.fields.households) {
      a.unknown.push_back("LOW_CARRYING_CAPACITY (population unknown)");
    }
  }

  // Soft criteria, each standardised to 0-1.
  const auto& names = config::soft_criteria();
  a.soft.assign(names.size(), std::nullopt);
  auto soft_reason = [&](const std::string& code, const std::string& text) { a.reasons.push_back({code, false, text}); };
  if (t.steep_pct) {
    const double lo = th.value("terrain", "steep_pct_low"), hi = th.value("terrain", "steep_pct_high");
    a.soft[0] = linear_membership(*t.steep_pct, lo, hi);
    if (*t.steep_pct >= hi)
      soft_reason("STEEP", num(*t.steep_pct) + " % of the territory is steeper than " +
                               num(th.value("terrain", "steep_slope_deg")) + " deg (>= " + num(hi) + " %)");
  }
  if (t.max_relief_m) {
    const double lo = th.value("terrain", "relief_low_m"), hi = th.value("terrain", "relief_high_m");
    a.soft[1] = linear_membership(*t.max_relief_m, lo, hi);
    if (*t.max_relief_m >= hi)
      soft_reason("HIGH_RELIEF", "local relief up to " + num(*t.max_relief_m) + " m (>= " + num(hi) + " m)");
  }
  const std::optional<double> elev = point_elev ? point_elev : t.mean_elevation_m;
  if (elev) {
    const double lo = th.value("terrain", "high_elevation_m");
    a.soft[2] = linear_membership(*elev, lo, lo + th.value("terrain", "elevation_span_m"));
    if (*elev > lo) soft_reason("HIGH_ELEVATION", "elevation " + num(*elev) + " m (> " + num(lo) + " m)");
  }
  if (t.mean_fragility || t.desertification_moderate_pct) {
    double f = 0;
    if (t.mean_fragility) {
      const double lo = th.value("fragility", "index_low"), hi = th.value("fragility", "index_high");
      f = linear_membership(*t.mean_fragility, lo, hi);
      if (*t.mean_fragility >= hi)
        soft_reason("FRAGILE", "mean ecological fragility " + num(*t.mean_fragility, 2) + " (>= " + num(hi, 2) + ")");
    }
    const double dpct = th.value("fragility", "desertification_moderate_pct");
    if (t.desertification_moderate_pct && *t.desertification_moderate_pct >= dpct) {
      f = std::max(f, 0.5);
      soft_reason("ROCKY_DESERTIFICATION", num(*t.desertification_moderate_pct) +
                                               " % of the territory in moderate or worse rocky desertification (>= " +
                                               num(dpct) + " %)");
    }
    a.soft[3] = f;
  }
  if (p.dist_road_m) {
    const double lo = th.value("access", "near_road_m"), hi = th.value("access", "remote_road_m");
    a.soft[4] = linear_membership(*p.dist_road_m, lo, hi);
    if (*p.dist_road_m > hi)
      soft_reason("REMOTE", num(*p.dist_road_m / 1000.0, 1) + " km from the nearest road (> " + num(hi / 1000.0, 1) + " km)");
  }
  // A soft criterion whose input layer is not given is not assessed (its
  // weight is shared among the others); one whose input is given but has no
  // value here is unknown.
  const bool input_given[] = {true, true, true, s.fragility || s.desertification, s.roads.has_value()};
  double wsum = 0, ssum = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const double w = s.assessment.weights[i];
    if (w <= 0) continue;
    if (!a.soft[i]) {
      if (input_given[i]) a.unknown.push_back(names[i]);
      continue;
    }
    wsum += w;
    ssum += w * *a.soft[i];
  }
  if (wsum > 0) a.score = 100.0 * ssum / wsum;

  // Class.
  const double relocate_at = th.value("settlement", "score_relocate");
  const double review_at = th.value("settlement", "score_review");
  if (whole) a.cls = "relocate_whole";
  else if (registered || (a.score && *a.score >= relocate_at)) {
    a.cls = "relocate_registered";
    if (!registered)
      a.reasons.insert(a.reasons.begin(),
                       {"HIGH_SCORE", true, "soft score " + num(*a.score) + " (>= " + num(relocate_at) + ")"});
  } else if (a.score && *a.score >= review_at) {
    a.cls = "review";
    a.reasons.insert(a.reasons.begin(), {"REVIEW_BAND", false,
                                         "soft score " + num(*a.score) + " between " + num(review_at) + " and " +
                                             num(relocate_at)});
  } else if (!a.unknown.empty()) {
    // Never a silent stay on missing data.
    a.cls = "review";
    a.reasons.insert(a.reasons.begin(), {"MISSING_DATA", false, "some criteria could not be evaluated"});
  } else {
    a.cls = "stay";
  }

  // Who moves.
  if (a.cls == "relocate_whole") {
    a.relocating_households = v.households.value_or(0);
    a.relocating_people = v.population ? *v.population
                                       : static_cast<std::int64_t>(std::llround(
                                             static_cast<double>(a.relocating_households) *
                                             th.value("settlement", "persons_per_household")));
  } else if (a.cls == "relocate_registered") {
    a.relocating_households = v.poor_households.value_or(0);
    const double per_household = (v.population && v.households && *v.households > 0)
                                     ? static_cast<double>(*v.population) / static_cast<double>(*v.households)
                                     : th.value("settlement", "persons_per_household");
    a.relocating_people =
        static_cast<std::int64_t>(std::llround(static_cast<double>(a.relocating_households) * per_household));
  }
  return a;
}

}  // namespace relocplan::criteria
