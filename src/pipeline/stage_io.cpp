// What the stages of a run take from one another (see stage_io.hpp): the
// thematic polygons burnt strip by strip, the site search's readers and
// writers over the output rasters, its layers, and the allocation's places.

#include "relocplan/pipeline/stage_io.hpp"

#include <cstdlib>
#include <map>
#include <string>

#include "relocplan/core/error.hpp"
#include "relocplan/vector/geos.hpp"

namespace relocplan::pipeline {

namespace {

// A burner of the plan's layer `name` with code_of(features, i) per feature;
// null when the plan has no such layer.
template <typename CodeOf>
std::unique_ptr<raster::PolygonBurner> burner(const Plan& plan, GEOSContextHandle_t ctx, const char* name,
                                              CodeOf code_of) {
  const vector::Features* f = plan.layer(name);
  if (!f) return nullptr;
  std::vector<std::uint8_t> codes(f->size());
  for (std::size_t i = 0; i < f->size(); ++i) codes[i] = code_of(*f, i);
  return std::make_unique<raster::PolygonBurner>(ctx, *f, codes, plan.grid);
}

std::uint8_t constant(const vector::Features&, std::size_t) { return 1; }

// A burner of the plan's layer `name` that codes each feature by the meaning
// its `role` field holds (`values`: the field value of each meaning), the
// first of `ranks` that matches; 0 for none.
std::unique_ptr<raster::PolygonBurner> burner_by_value(const Plan& plan, GEOSContextHandle_t ctx, const char* name,
                                                       const std::map<std::string, std::string>& values,
                                                       const std::string& role,
                                                       const std::vector<std::pair<std::string, std::uint8_t>>& ranks) {
  return burner(plan, ctx, name, [&](const vector::Features& f, std::size_t i) -> std::uint8_t {
    for (const auto& [meaning, code] : ranks)
      if (f.attrs[i].at(role) == values.at(meaning)) return code;
    return 0;
  });
}

}  // namespace

std::uint8_t desertification_code(const config::VectorInput& input, const std::string& value, long long fid) {
  char* end = nullptr;
  const long g = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || g < 0 || g > 5)
    throw core::InputError(input.key + ": field '" + input.fields.at("grade_code") + "' of feature " +
                           std::to_string(fid) + " in '" + input.path.string() + "' is '" + value +
                           "': expected a grade code 0-5");
  return static_cast<std::uint8_t>(g + 1);
}

ThematicRows::ThematicRows(const config::Scenario& s, const Plan& plan, GEOSContextHandle_t ctx) {
  if (const vector::ThematicStream* st = plan.stream("desertification")) {
    // Every grade code was checked when the plan read the layer.
    const config::VectorInput& input = *s.desertification;
    const auto grade = [&input](const std::map<std::string, std::string>& attrs, long long fid) {
      return desertification_code(input, attrs.at("grade_code"), fid);
    };
    desert_ = std::make_unique<raster::StreamedPolygonBurner>(ctx, *st, grade, plan.grid);
  } else if (const vector::Features* f = plan.layer("desertification")) {
    throw core::InternalError(f->what + ": expected as a streamed layer");
  }
  if (const vector::ThematicStream* st = plan.stream("susceptibility")) {
    const config::VectorInput& input = *s.susceptibility;
    susc_ = std::make_unique<raster::StreamedPolygonBurner>(
        ctx, *st,
        [&input](const std::map<std::string, std::string>& attrs, long long) {
          return criteria::susceptibility_code(input, attrs.at("class"));
        },
        plan.grid);
  } else if (const vector::Features* f = plan.layer("susceptibility")) {
    throw core::InternalError(f->what + ": expected as a streamed layer");
  }
  if (s.reserve)
    reserve_ = burner_by_value(plan, ctx, "reserve", s.reserve->values, "zone",
                               {{"experimental", criteria::kReserveExperimental},
                                {"buffer", criteria::kReserveBuffer},
                                {"core", criteria::kReserveCore}});
  flood_ = burner(plan, ctx, "flood_zone", constant);
  redline_ = burner(plan, ctx, "redline", constant);
}

void ThematicRows::burn(std::size_t row0, std::size_t nrows, std::size_t cols, criteria::BlockLayers& layers) {
  const std::size_t n = nrows * cols;
  auto burn_one = [&](const auto& br,
                      std::vector<std::uint8_t>& rows) -> const std::uint8_t* {
    if (!br) return nullptr;
    rows.resize(n);
    br->burn(row0, nrows, 0, rows.data());
    return rows.data();
  };
  if (const std::uint8_t* d = burn_one(desert_, desert_rows_)) {
    for (auto& v : desert_rows_) v = v == 0 ? criteria::kNoClass : static_cast<std::uint8_t>(v - 1);
    layers.desertification = d;
  }
  layers.susceptibility = burn_one(susc_, susc_rows_);
  layers.flood = burn_one(flood_, flood_rows_);
  layers.reserve = burn_one(reserve_, reserve_rows_);
  layers.redline = burn_one(redline_, redline_rows_);
}

void ThematicRows::release_rows() {
  for (auto* v : {&desert_rows_, &susc_rows_, &flood_rows_, &reserve_rows_, &redline_rows_})
    std::vector<std::uint8_t>().swap(*v);
}

void TerrainReader::read(std::size_t row0, std::size_t nrows, float* slope_deg, float* elevation_m,
                         float* landcover) const {
  slope_.read_rows(row0, nrows, slope_deg);
  elevation_.read_rows(row0, nrows, elevation_m);
  if (landcover && landcover_) landcover_->read_rows(row0, nrows, landcover);
}

void SiteRasterWriter::write(std::size_t row0, std::size_t nrows, const float* suit, const std::uint8_t* cls,
                             const std::uint16_t* con) {
  const std::size_t n = nrows * cols_;
  suitability_.write_rows(row0, nrows, suit);
  values_.resize(n);
  for (std::size_t k = 0; k < n; ++k) values_[k] = cls[k];
  classes_.write_rows(row0, nrows, values_.data());
  for (std::size_t k = 0; k < n; ++k) values_[k] = con[k];
  constraints_.write_rows(row0, nrows, values_.data());
}

sites::SiteLayers site_layers(const Plan& plan) {
  sites::SiteLayers sl;
  sl.roads = plan.layer("roads");
  sl.towns = plan.layer("towns");
  sl.schools = plan.layer("schools");
  sl.clinics = plan.layer("clinics");
  sl.rivers = plan.layer("rivers");
  sl.water_bodies = plan.layer("water_bodies");
  sl.susceptibility_stream = plan.stream("susceptibility");
  sl.hazard_points = plan.layer("hazard_points");
  sl.flood_zone = plan.layer("flood_zone");
  sl.reserve = plan.layer("reserve");
  sl.redline = plan.layer("redline");
  sl.exclusions = plan.layer("exclusions");
  sl.counties = plan.layer("counties");
  sl.townships = plan.layer("townships");
  sl.planned_sites = plan.layer("planned_sites");
  return sl;
}

std::vector<std::pair<double, double>> moving_villages(const Plan& plan,
                                                       const std::vector<criteria::VillageAssessment>& as) {
  std::vector<std::pair<double, double>> moving;
  for (std::size_t i = 0; i < as.size(); ++i)
    if (as[i].cls == "relocate_whole" || as[i].cls == "relocate_registered")
      moving.emplace_back(plan.villages.villages[i].x, plan.villages.villages[i].y);
  return moving;
}

std::vector<allocation::Place> allocation_demand(const Plan& plan, const std::vector<criteria::VillageAssessment>& as) {
  std::vector<allocation::Place> demand;
  for (std::size_t i = 0; i < as.size(); ++i) {
    const auto& a = as[i];
    if (a.relocating_households <= 0) continue;
    const auto& v = plan.villages.villages[i];
    demand.push_back({i, v.id, v.county.value_or(""), v.x, v.y, a.relocating_households,
                      static_cast<double>(a.relocating_people) / static_cast<double>(a.relocating_households)});
  }
  return demand;
}

std::vector<allocation::Place> allocation_supply(GEOSContextHandle_t ctx, const sites::SiteSearchResult& found,
                                                 double urban_max_travel_min) {
  std::vector<allocation::Place> supply;
  for (std::size_t j = 0; j < found.sites.size(); ++j) {
    const auto& st = found.sites[j];
    vector::GeomPtr pt = vector::wrap(ctx, GEOSPointOnSurface_r(ctx, st.geometry.get()));
    double x = 0, y = 0;
    if (pt) {
      GEOSGeomGetX_r(ctx, pt.get(), &x);
      GEOSGeomGetY_r(ctx, pt.get(), &y);
    }
    allocation::Place place{j, st.id, st.county.value_or(""), x, y, st.capacity_households, 0.0};
    place.urban = st.travel_min && *st.travel_min <= urban_max_travel_min;
    supply.push_back(place);
  }
  return supply;
}

}  // namespace relocplan::pipeline
