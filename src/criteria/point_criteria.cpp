// The point criteria of the village assessment (see assessment.hpp): what
// lies at or near each village -- hazard points and zones, flood and reserve
// zones, the red line, the nearest road and town.

#include "relocplan/criteria/assessment.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <list>
#include <map>
#include <numeric>

#include "relocplan/core/error.hpp"

namespace relocplan::criteria {

namespace {

// Polygons with a rank each; the highest rank holding a point wins. Each
// polygon is prepared (GEOS builds its point-in-area index) when a point
// first needs it, and at most kLivePrepared prepared polygons live at once
// (the least recently used goes), so the indexes of a province's layer are
// never all in memory; queried in spatial order, few are rebuilt. The
// answers are those of the prepared predicate whatever the order.
class RankedPolygons {
 public:
  RankedPolygons(GEOSContextHandle_t ctx, const vector::Features& f, const std::vector<int>& ranks) : ctx_(ctx) {
    tree_ = GEOSSTRtree_create_r(ctx, 10);
    for (std::size_t i = 0; i < f.size(); ++i) {
      if (ranks[i] <= 0) continue;
      items_.push_back({nullptr, f.geoms[i].get(), ranks[i], live_.end()});
    }
    for (std::size_t i = 0; i < items_.size(); ++i)
      GEOSSTRtree_insert_r(ctx, tree_, items_[i].geom, &items_[i]);
  }
  ~RankedPolygons() {
    for (auto& it : items_)
      if (it.prep) GEOSPreparedGeom_destroy_r(ctx_, it.prep);
    GEOSSTRtree_destroy_r(ctx_, tree_);
  }
  RankedPolygons(const RankedPolygons&) = delete;
  RankedPolygons& operator=(const RankedPolygons&) = delete;

  int rank_at(const GEOSGeometry* point) {
    std::vector<Item*> hits;
    GEOSSTRtree_query_r(
        ctx_, tree_, point, [](void* item, void* data) { static_cast<std::vector<Item*>*>(data)->push_back(static_cast<Item*>(item)); },
        &hits);
    int best = 0;
    for (Item* it : hits)
      if (it->rank > best && GEOSPreparedIntersects_r(ctx_, prepared(*it), point) == 1) best = it->rank;
    return best;
  }

 private:
  static constexpr std::size_t kLivePrepared = 4096;
  struct Item {
    const GEOSPreparedGeometry* prep;
    const GEOSGeometry* geom;
    int rank;
    std::list<Item*>::iterator live;  // place in live_ while prepared
  };
  const GEOSPreparedGeometry* prepared(Item& it) {
    if (it.prep) {
      live_.splice(live_.begin(), live_, it.live);  // most recently used first
      return it.prep;
    }
    if (live_.size() >= kLivePrepared) {
      Item* old = live_.back();
      live_.pop_back();
      GEOSPreparedGeom_destroy_r(ctx_, old->prep);
      old->prep = nullptr;
    }
    it.prep = GEOSPrepare_r(ctx_, it.geom);
    if (!it.prep) throw core::InternalError("GEOS failed to prepare a polygon");
    live_.push_front(&it);
    it.live = live_.begin();
    return it.prep;
  }
  GEOSContextHandle_t ctx_;
  GEOSSTRtree* tree_ = nullptr;
  std::vector<Item> items_;
  std::list<Item*> live_;
};

// The villages in spatial order (rows of 5 km from the north, west to east
// within a row), so that neighbouring queries meet the same polygons.
std::vector<std::size_t> spatial_order(const std::vector<vector::Village>& villages) {
  std::vector<std::size_t> order(villages.size());
  std::iota(order.begin(), order.end(), 0);
  constexpr double kRow = 5000.0;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double ra = std::floor(-villages[a].y / kRow), rb = std::floor(-villages[b].y / kRow);
    if (ra != rb) return ra < rb;
    return villages[a].x < villages[b].x;
  });
  return order;
}

// The highest rank of the polygons of a layer read from its file that hold
// each village: the villages taken in bands of 20 km from the north (whole
// rows of spatial_order); for each band, the features reaching the box of its
// villages, ranked by rank_of and searched as RankedPolygons searches a held
// layer. The same ranks as the held layer's, with one band's features in memory.
std::vector<int> ranks_from_stream(GEOSContextHandle_t ctx, const vector::ThematicStream& stream,
                                   const std::function<int(const std::map<std::string, std::string>&)>& rank_of,
                                   const std::vector<vector::Village>& villages,
                                   const std::vector<vector::GeomPtr>& points, const std::vector<std::size_t>& order) {
  constexpr double kBand = 20000.0;  // a whole number of spatial_order's rows
  std::vector<int> ranks(villages.size(), 0);
  const auto band_of = [&](std::size_t i) { return std::floor(-villages[i].y / kBand); };
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first;
    double xmin = villages[order[first]].x, xmax = xmin, ymin = villages[order[first]].y, ymax = ymin;
    while (last < order.size() && band_of(order[last]) == band_of(order[first])) {
      const vector::Village& v = villages[order[last++]];
      xmin = std::min(xmin, v.x), xmax = std::max(xmax, v.x), ymin = std::min(ymin, v.y), ymax = std::max(ymax, v.y);
    }
    vector::Features band;
    std::vector<int> band_ranks;
    stream.read_box(xmin, ymin, xmax, ymax,
                    [&](vector::GeomPtr g, const std::map<std::string, std::string>& attrs, long long) {
                      const int rank = rank_of(attrs);
                      if (rank <= 0) return;
                      band.geoms.push_back(std::move(g));
                      band_ranks.push_back(rank);
                    });
    if (!band.geoms.empty()) {
      RankedPolygons rp(ctx, band, band_ranks);
      for (std::size_t k = first; k < last; ++k) ranks[order[k]] = rp.rank_at(points[order[k]].get());
    }
    first = last;
  }
  return ranks;
}

std::vector<int> ranks_by_value(const vector::Features& f, const std::string& role,
                                const std::vector<std::pair<std::string, int>>& value_rank) {
  std::vector<int> r(f.size(), 0);
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::string& v = f.attrs[i].at(role);
    for (const auto& [value, rank] : value_rank)
      if (v == value) r[i] = rank;
  }
  return r;
}

double nearest_distance(GEOSContextHandle_t ctx, GEOSSTRtree* tree, const GEOSGeometry* point,
                        const GEOSGeometry** nearest = nullptr) {
  const void* item = GEOSSTRtree_nearest_r(ctx, tree, point);
  if (!item) return std::numeric_limits<double>::quiet_NaN();
  const auto* g = static_cast<const GEOSGeometry*>(item);
  double d = 0;
  GEOSDistance_r(ctx, g, point, &d);
  if (nearest) *nearest = g;
  return d;
}

}  // namespace

std::uint8_t susceptibility_code(const config::VectorInput& input, const std::string& value) {
  const auto& values = input.values;
  if (value == values.at("high")) return kSuscHigh;
  if (value == values.at("medium")) return kSuscMedium;
  if (value == values.at("low")) return kSuscLow;
  return kSuscNone;
}

std::vector<PointCriteria> point_criteria(GEOSContextHandle_t ctx, const std::vector<vector::Village>& villages,
                                          const ThematicLayers& L, const config::Scenario& s) {
  std::vector<PointCriteria> out(villages.size());
  std::vector<vector::GeomPtr> points;
  for (const auto& v : villages) points.push_back(vector::wrap(ctx, GEOSGeom_createPointFromXY_r(ctx, v.x, v.y)));
  const std::vector<std::size_t> order = spatial_order(villages);

  static const char* susceptibility_names[] = {"none", "low", "medium", "high"};
  if (L.susceptibility) {
    std::vector<int> ranks(L.susceptibility->size());
    for (std::size_t i = 0; i < ranks.size(); ++i)
      ranks[i] = susceptibility_code(*s.susceptibility, L.susceptibility->attrs[i].at("class"));
    RankedPolygons rp(ctx, *L.susceptibility, ranks);
    for (std::size_t i : order) out[i].susceptibility = susceptibility_names[rp.rank_at(points[i].get())];
  } else if (L.susceptibility_stream) {
    const config::VectorInput& input = *s.susceptibility;
    const std::vector<int> ranks = ranks_from_stream(
        ctx, *L.susceptibility_stream,
        [&input](const std::map<std::string, std::string>& attrs) { return susceptibility_code(input, attrs.at("class")); },
        villages, points, order);
    for (std::size_t i : order) out[i].susceptibility = susceptibility_names[ranks[i]];
  }
  if (L.flood_zone) {
    RankedPolygons rp(ctx, *L.flood_zone, std::vector<int>(L.flood_zone->size(), 1));
    for (std::size_t i : order) out[i].in_flood_zone = rp.rank_at(points[i].get()) > 0;
  }
  if (L.redline) {
    RankedPolygons rp(ctx, *L.redline, std::vector<int>(L.redline->size(), 1));
    for (std::size_t i : order) out[i].in_redline = rp.rank_at(points[i].get()) > 0;
  }
  if (L.reserve) {
    const auto& vals = s.reserve->values;
    RankedPolygons rp(ctx, *L.reserve,
                      ranks_by_value(*L.reserve, "zone",
                                     {{vals.at("experimental"), kReserveExperimental},
                                      {vals.at("buffer"), kReserveBuffer},
                                      {vals.at("core"), kReserveCore}}));
    static const char* names[] = {"none", "experimental", "buffer", "core"};
    for (std::size_t i : order) out[i].reserve_zone = names[rp.rank_at(points[i].get())];
  }
  if (L.hazard_points) {
    // Threat range: the point's own radius plus the configured buffer.
    const double extra = s.thresholds.value("hazards", "threat_buffer_m");
    const auto& hz = *L.hazard_points;
    std::vector<double> radius(hz.size(), 0.0);
    double max_r = 0;
    for (std::size_t j = 0; j < hz.size(); ++j) {
      const std::string& txt = hz.attrs[j].at("radius_m");
      char* end = nullptr;
      const double r = std::strtod(txt.c_str(), &end);
      if (txt.empty() || end == txt.c_str() || !std::isfinite(r) || r < 0)
        throw core::InputError(hz.what + ": field '" + s.hazard_points->fields.at("radius_m") + "' of feature " +
                               std::to_string(j + 1) + " in '" + hz.path.string() + "' is '" + txt +
                               "': not a radius in metres");
      radius[j] = r + extra;
      max_r = std::max(max_r, radius[j]);
    }
    // Candidates from an STR tree of the points' envelopes: those within the
    // largest threat range of a village's envelope, tried in input order.
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    std::vector<std::size_t> index(hz.size());
    for (std::size_t j = 0; j < hz.size(); ++j) {
      index[j] = j;
      GEOSSTRtree_insert_r(ctx, tree, hz.geoms[j].get(), &index[j]);
    }
    std::vector<std::size_t> near;
    for (std::size_t i = 0; i < villages.size(); ++i) {
      out[i].hazards_assessed = true;
      double best_ratio = std::numeric_limits<double>::infinity();
      near.clear();
      const vector::GeomPtr box = vector::wrap(
          ctx, GEOSGeom_createRectangle_r(ctx, villages[i].x - max_r, villages[i].y - max_r, villages[i].x + max_r,
                                          villages[i].y + max_r));
      GEOSSTRtree_query_r(
          ctx, tree, box.get(),
          [](void* item, void* data) { static_cast<std::vector<std::size_t>*>(data)->push_back(*static_cast<std::size_t*>(item)); },
          &near);
      std::sort(near.begin(), near.end());
      for (std::size_t j : near) {
        double d = 0;
        GEOSDistance_r(ctx, hz.geoms[j].get(), points[i].get(), &d);
        if (d > radius[j]) continue;
        const double ratio = radius[j] > 0 ? d / radius[j] : 0;
        if (ratio < best_ratio) {
          best_ratio = ratio;
          const auto id = hz.attrs[j].find("id");
          out[i].hazard_id = (id != hz.attrs[j].end() && !id->second.empty()) ? id->second : "#" + std::to_string(j + 1);
          const auto kind = hz.attrs[j].find("kind");
          if (kind != hz.attrs[j].end()) out[i].hazard_kind = kind->second;
          out[i].hazard_dist_m = d;
          out[i].hazard_radius_m = radius[j];
        }
      }
    }
    GEOSSTRtree_destroy_r(ctx, tree);
  }
  if (L.roads && L.roads->size() > 0) {
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    for (const auto& g : L.roads->geoms) GEOSSTRtree_insert_r(ctx, tree, g.get(), g.get());
    for (std::size_t i = 0; i < villages.size(); ++i) out[i].dist_road_m = nearest_distance(ctx, tree, points[i].get());
    GEOSSTRtree_destroy_r(ctx, tree);
  }
  if (L.towns) {
    const auto& vals = s.towns->values;
    GEOSSTRtree* tree = GEOSSTRtree_create_r(ctx, 10);
    std::size_t seats = 0;
    for (std::size_t j = 0; j < L.towns->size(); ++j) {
      const std::string& kind = L.towns->attrs[j].at("kind");
      if (kind == vals.at("county_seat") || kind == vals.at("township_seat")) {
        GEOSSTRtree_insert_r(ctx, tree, L.towns->geoms[j].get(), L.towns->geoms[j].get());
        ++seats;
      }
    }
    std::map<const GEOSGeometry*, std::size_t> town_of;
    for (std::size_t j = 0; j < L.towns->size(); ++j) town_of.emplace(L.towns->geoms[j].get(), j);
    if (seats > 0)
      for (std::size_t i = 0; i < villages.size(); ++i) {
        const GEOSGeometry* nearest = nullptr;
        out[i].dist_seat_m = nearest_distance(ctx, tree, points[i].get(), &nearest);
        if (auto it = town_of.find(nearest); it != town_of.end()) {
          const auto n = L.towns->attrs[it->second].find("name");
          if (n != L.towns->attrs[it->second].end()) out[i].seat_name = n->second;
        }
      }
    GEOSSTRtree_destroy_r(ctx, tree);
  }
  return out;
}

}  // namespace relocplan::criteria
