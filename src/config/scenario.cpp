#include "relocplan/config/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "relocplan/config/toml_reader.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/suitability/ahp.hpp"

namespace relocplan::config {

namespace {

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

// A scenario names local files only (see core::non_local_path).
std::filesystem::path local_path(TableReader& t, const std::filesystem::path& base, const std::string& key,
                                 const std::string& p) {
  if (p.empty()) t.fail(key, "must not be empty");
  if (const std::string what = core::non_local_path(p); !what.empty())
    t.fail(key, "'" + p + "' is " + what + "; scenario paths name local files only");
  return resolve(base, p);
}

// The values a threshold can take, from its unit: angles within 0-90
// degrees, percentages within 0-100, shares, indices and 0-1 scores within
// 0-1, switches 0 or 1, rates and sizes above zero, distances, times, areas
// and counts zero or more. An empty string when `value` is allowed.
std::string out_of_range(const Threshold& t, double value) {
  auto got = [&] {
    std::ostringstream o;
    o << value;
    return o.str();
  };
  if (!std::isfinite(value)) return "must be a finite number, got " + got();
  auto within = [&](double lo, double hi) -> std::string {
    if (value >= lo && value <= hi) return "";
    std::ostringstream o;
    o << "must be between " << lo << " and " << hi << " (" << t.unit << "), got " << got();
    return o.str();
  };
  const std::string& u = t.unit;
  if (u == "degree") return within(0, 90);
  if (u == "%" || u == "score (0-100)") return within(0, 100);
  if (u.find("(0-1)") != std::string::npos) return within(0, 1);
  if (u == "1 = on, 0 = off")
    return (value == 0 || value == 1) ? "" : "must be 1 (on) or 0 (off), got " + got();
  if (u == "class code")
    return (value >= 0 && value == std::floor(value)) ? "" : "must be a class code (a whole number), got " + got();
  if (u == "km/h" || u == "people per household" || u == "m2 per person")
    return value > 0 ? "" : "must be positive (" + u + "), got " + got();
  return value >= 0 ? "" : "must be zero or positive (" + u + "), got " + got();
}

std::filesystem::path required_path(TableReader& t, const std::filesystem::path& base, const std::string& key) {
  return local_path(t, base, key, t.required_string(key));
}

struct VectorKind {
  const char* name;
  std::vector<std::string> required_fields, optional_fields;
  std::map<std::string, std::string> default_values;
};

// The thematic vector inputs relocplan knows, with the roles of their fields.
const std::vector<VectorKind>& vector_kinds() {
  static const std::vector<VectorKind> kinds = {
      {"hazard_points", {"radius_m"}, {"id", "kind"}, {}},
      {"susceptibility", {"class"}, {}, {{"high", "high"}, {"medium", "medium"}, {"low", "low"}}},
      {"flood_zone", {}, {}, {}},
      {"desertification", {"grade_code"}, {}, {}},
      {"reserve", {"zone"}, {"name"}, {{"core", "core"}, {"buffer", "buffer"}, {"experimental", "experimental"}}},
      {"redline", {}, {"name"}, {}},
      {"roads", {}, {"class"}, {}},
      {"towns", {"kind"}, {"name"}, {{"county_seat", "county_seat"}, {"township_seat", "township_seat"}}},
      {"counties", {"name"}, {}, {}},
      {"territories", {"id"}, {}, {}},
      {"townships", {"name"}, {"county"}, {}},
      {"schools", {}, {"name"}, {}},
      {"clinics", {}, {"name"}, {}},
      {"rivers", {}, {"name"}, {}},
      {"water_bodies", {}, {"name"}, {}},
      {"exclusions", {}, {"reason"}, {}},
      {"planned_sites", {}, {"id", "name", "area_ha", "capacity"}, {}},
  };
  return kinds;
}

VectorInput parse_vector_input(TableReader& t, const std::filesystem::path& base, const VectorKind& kind) {
  VectorInput v;
  v.key = t.path();
  v.path = required_path(t, base, "path");
  v.layer = t.optional_string("layer");
  v.crs = t.optional_string("crs");
  v.encoding = t.optional_string("encoding");
  auto fields = t.optional_table("fields");
  for (const auto& role : kind.required_fields) {
    if (!fields)
      throw core::ScenarioError(t.file() + ":" + std::to_string(t.line()) + ": [" + t.path() +
                                ".fields] is required (field for '" + role + "')");
    v.fields[role] = fields->required_string(role);
  }
  for (const auto& role : kind.optional_fields)
    if (fields)
      if (auto f = fields->optional_string(role)) v.fields[role] = *f;
  if (fields) fields->finish();
  v.values = kind.default_values;
  if (auto values = t.optional_table("values")) {
    for (auto& [meaning, value] : v.values)
      if (auto x = values->optional_string(meaning)) value = *x;
    values->finish();
  }
  t.finish();
  return v;
}

RasterInput parse_raster_input(TableReader& t, const std::filesystem::path& base, const std::string& default_resampling,
                               const std::vector<std::string>& allowed) {
  RasterInput r;
  r.key = t.path();
  r.path = required_path(t, base, "path");
  r.band = static_cast<int>(t.optional_integer("band").value_or(1));
  if (r.band < 1) t.fail("band", "must be 1 or more");
  r.resampling = t.optional_string("resampling").value_or(default_resampling);
  if (std::find(allowed.begin(), allowed.end(), r.resampling) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    t.fail("resampling", "must be one of " + list + " for this layer, got \"" + r.resampling + "\"");
  }
  r.nodata = t.optional_number("nodata");
  t.finish();
  return r;
}

}  // namespace

const std::vector<std::string>& site_factors() {
  static const std::vector<std::string> names = {"slope", "hazard", "road", "seat", "jobs", "school", "clinic", "water"};
  return names;
}

const std::vector<std::string>& site_constraints() {
  static const std::vector<std::string> names = {"steep",     "hazard",    "reserve",   "redline",
                                                  "water",     "flood",     "farmland",  "elevation",
                                                  "near_out_villages", "exclusions"};
  return names;
}

// Weights for a fixed list of names, given directly or by an AHP matrix.
std::vector<double> parse_weights(TableReader& t, const std::vector<std::string>& names, std::string& from, double& cr,
                                  const std::string& fname) {
  auto index_of = [&](TableReader& r, const std::string& key, const std::string& name) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      std::string list;
      for (const auto& x : names) list += (list.empty() ? "" : ", ") + x;
      r.fail(key, "'" + name + "' is not one of " + list);
    }
    return static_cast<std::size_t>(it - names.begin());
  };
  std::vector<double> w(names.size(), 1.0 / static_cast<double>(names.size()));
  auto weights = t.optional_table("weights");
  auto ahp = t.optional_table("ahp");
  if (weights && ahp) t.fail("ahp", "give either weights or ahp, not both");
  if (weights) {
    std::vector<double> given(names.size(), 0.0);
    for (const std::string& k : weights->keys()) given[index_of(*weights, k, k)] = weights->required_number(k);
    weights->finish();
    try {
      w = suitability::normalise_weights(given);
    } catch (const core::ScenarioError& e) {
      throw core::ScenarioError(fname + ": [" + weights->path() + "]: " + e.what());
    }
    from = "scenario (direct weights, normalised)";
  }
  if (ahp) {
    const auto crit = ahp->optional_string_array("criteria");
    const auto matrix = ahp->optional_number_matrix("matrix");
    if (!crit) ahp->fail("criteria", "is required: the criteria in the matrix's order");
    if (!matrix) ahp->fail("matrix", "is required: the pairwise comparison matrix");
    const bool force = ahp->optional_bool("force").value_or(false);
    if (matrix->size() != crit->size())
      ahp->fail("matrix", "has " + std::to_string(matrix->size()) + " rows for " + std::to_string(crit->size()) +
                              " criteria");
    suitability::AhpResult r;
    try {
      r = suitability::ahp_weights(*matrix);
    } catch (const core::ScenarioError& e) {
      ahp->fail("matrix", e.what());
    }
    if (!r.acceptable() && !force) {
      std::ostringstream os;
      os << r.cr;
      ahp->fail("matrix", "consistency ratio " + os.str() +
                              " is above 0.1; revise the comparisons or set force = true to use it anyway");
    }
    std::fill(w.begin(), w.end(), 0.0);
    for (std::size_t i = 0; i < crit->size(); ++i) w[index_of(*ahp, "criteria", (*crit)[i])] = r.weights[i];
    cr = r.cr;
    std::ostringstream os;
    os << "scenario (AHP eigenvector, consistency ratio " << r.cr << (r.acceptable() ? ")" : ", forced)");
    from = os.str();
    ahp->finish();
  }
  return w;
}

const std::vector<std::string>& soft_criteria() {
  static const std::vector<std::string> names = {"steep", "relief", "elevation", "fragility", "remoteness"};
  return names;
}

std::vector<std::pair<const char*, const std::optional<VectorInput>*>> vector_inputs(const Scenario& s) {
  return {{"hazard_points", &s.hazard_points}, {"susceptibility", &s.susceptibility}, {"flood_zone", &s.flood_zone},
          {"desertification", &s.desertification}, {"reserve", &s.reserve},           {"redline", &s.redline},
          {"roads", &s.roads},                     {"towns", &s.towns},                 {"counties", &s.counties},
          {"territories", &s.territories},         {"townships", &s.townships},         {"schools", &s.schools},
          {"clinics", &s.clinics},                 {"rivers", &s.rivers},               {"water_bodies", &s.water_bodies},
          {"exclusions", &s.exclusions},           {"planned_sites", &s.planned_sites}};
}

Scenario load_scenario(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw core::ScenarioError("cannot read scenario file '" + file.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), std::filesystem::absolute(file));
}

Scenario parse_scenario(const std::string& text, const std::filesystem::path& file) {
  Scenario s;
  s.file = std::filesystem::absolute(file);
  s.text = text;
  s.thresholds = LayerDefaults::load_embedded();
  const std::string fname = file.filename().string();
  const std::filesystem::path base = s.file.parent_path();
  const toml::table root = parse_toml(text, fname);
  TableReader top(root, fname, "");

  {
    TableReader project = top.required_table("project");
    s.name = project.required_string("name");
    s.description = project.optional_string("description").value_or("");
    project.finish();
  }
  {
    TableReader grid = top.required_table("grid");
    s.crs = grid.optional_string("crs").value_or("auto");
    s.cell_size_m = grid.optional_number("cell_size_m").value_or(30.0);
    if (!(s.cell_size_m > 0)) grid.fail("cell_size_m", "must be a positive number of metres");
    grid.finish();
  }
  if (auto sa = top.optional_table("study_area")) {
    const std::string from = sa->optional_string("from").value_or("villages");
    if (from == "villages") s.study_area.mode = ExtentMode::villages;
    else if (from == "boundary") s.study_area.mode = ExtentMode::boundary;
    else if (from == "bounds") s.study_area.mode = ExtentMode::bounds;
    else sa->fail("from", "must be \"villages\", \"boundary\" or \"bounds\", got \"" + from + "\"");
    s.study_area.margin_m = sa->optional_number("margin_m").value_or(2000.0);
    if (!(s.study_area.margin_m >= 0)) sa->fail("margin_m", "must be zero or positive");
    if (auto b = sa->optional_string("boundary")) s.study_area.boundary_path = local_path(*sa, base, "boundary", *b);
    s.study_area.boundary_layer = sa->optional_string("boundary_layer");
    s.study_area.boundary_field = sa->optional_string("boundary_field");
    s.study_area.boundary_value = sa->optional_string("boundary_value");
    s.study_area.boundary_group_field = sa->optional_string("boundary_group_field");
    s.study_area.boundary_group_value = sa->optional_string("boundary_group_value");
    s.study_area.clip = sa->optional_bool("clip").value_or(false);
    if (s.study_area.boundary_group_field.has_value() != s.study_area.boundary_group_value.has_value())
      sa->fail(s.study_area.boundary_group_field ? "boundary_group_field" : "boundary_group_value",
               "boundary_group_field and boundary_group_value go together (the field and the value of the group, "
               "such as the province)");
    if (s.study_area.boundary_group_field && s.study_area.boundary_group_field->empty())
      sa->fail("boundary_group_field", "must not be empty");
    if (s.study_area.boundary_group_field && !s.study_area.boundary_field)
      sa->fail("boundary_group_field", "needs boundary_field and boundary_value (the county within the group)");
    if (s.study_area.boundary_field.has_value() != s.study_area.boundary_value.has_value())
      sa->fail(s.study_area.boundary_field ? "boundary_field" : "boundary_value",
               "boundary_field and boundary_value go together (the field and the value that select the feature)");
    if (s.study_area.boundary_field && s.study_area.boundary_field->empty())
      sa->fail("boundary_field", "must not be empty");
    if (s.study_area.boundary_field && !s.study_area.boundary_path)
      sa->fail("boundary_field", "needs study_area.boundary (the polygon layer that holds the field)");
    if (s.study_area.clip && !s.study_area.boundary_path)
      sa->fail("clip", "needs study_area.boundary (the polygon layer to clip the villages and sites to)");
    auto bounds = sa->optional_number_array("bounds");
    if (s.study_area.mode == ExtentMode::boundary && !s.study_area.boundary_path)
      sa->fail("from", "\"boundary\" needs study_area.boundary (a polygon layer)");
    if (s.study_area.mode == ExtentMode::bounds) {
      if (!bounds) sa->fail("from", "\"bounds\" needs study_area.bounds = [xmin, ymin, xmax, ymax]");
      if (bounds->size() != 4 || !((*bounds)[2] > (*bounds)[0] && (*bounds)[3] > (*bounds)[1]))
        sa->fail("bounds", "must be [xmin, ymin, xmax, ymax] with xmax > xmin and ymax > ymin");
      if (s.crs == "auto")
        sa->fail("bounds", "explicit bounds are coordinates in the working CRS: set grid.crs to an EPSG code");
      std::copy(bounds->begin(), bounds->end(), s.study_area.bounds.begin());
    }
    sa->finish();
  }
  {
    TableReader inputs = top.required_table("inputs");
    {
      TableReader dem = inputs.required_table("dem");
      s.dem.path = required_path(dem, base, "path");
      s.dem.band = static_cast<int>(dem.optional_integer("band").value_or(1));
      if (s.dem.band < 1) dem.fail("band", "must be 1 or more");
      s.dem.resampling = dem.optional_string("resampling").value_or("bilinear");
      if (s.dem.resampling != "bilinear" && s.dem.resampling != "cubic" && s.dem.resampling != "cubicspline")
        dem.fail("resampling", "must be \"bilinear\", \"cubic\" or \"cubicspline\" for elevation, got \"" +
                                   s.dem.resampling + "\"");
      s.dem.nodata = dem.optional_number("nodata");
      dem.finish();
    }
    {
      TableReader v = inputs.required_table("villages");
      s.villages.path = required_path(v, base, "path");
      s.villages.layer = v.optional_string("layer");
      s.villages.crs = v.optional_string("crs");
      s.villages.x_field = v.optional_string("x_field");
      s.villages.y_field = v.optional_string("y_field");
      if (s.villages.x_field.has_value() != s.villages.y_field.has_value())
        v.fail(s.villages.x_field ? "x_field" : "y_field", "x_field and y_field go together");
      s.villages.encoding = v.optional_string("encoding");
      TableReader f = v.required_table("fields");
      s.villages.fields.id = f.required_string("id");
      s.villages.fields.name = f.optional_string("name");
      s.villages.fields.county = f.optional_string("county");
      s.villages.fields.township = f.optional_string("township");
      s.villages.fields.population = f.optional_string("population");
      s.villages.fields.households = f.optional_string("households");
      s.villages.fields.poor_households = f.optional_string("poor_households");
      f.finish();
      v.finish();
    }
    if (auto lc = inputs.optional_table("landcover"))
      s.landcover = parse_raster_input(*lc, base, "nearest", {"nearest", "mode"});
    if (auto fr = inputs.optional_table("fragility"))
      s.fragility = parse_raster_input(*fr, base, "bilinear", {"nearest", "bilinear", "cubic", "average"});
    for (const auto& kind : vector_kinds()) {
      if (auto t = inputs.optional_table(kind.name)) {
        VectorInput vi = parse_vector_input(*t, base, kind);
        const std::string n = kind.name;
        if (n == "hazard_points") s.hazard_points = vi;
        else if (n == "susceptibility") s.susceptibility = vi;
        else if (n == "flood_zone") s.flood_zone = vi;
        else if (n == "desertification") s.desertification = vi;
        else if (n == "reserve") s.reserve = vi;
        else if (n == "redline") s.redline = vi;
        else if (n == "roads") s.roads = vi;
        else if (n == "towns") s.towns = vi;
        else if (n == "counties") s.counties = vi;
        else if (n == "territories") s.territories = vi;
        else if (n == "townships") s.townships = vi;
        else if (n == "schools") s.schools = vi;
        else if (n == "clinics") s.clinics = vi;
        else if (n == "rivers") s.rivers = vi;
        else if (n == "water_bodies") s.water_bodies = vi;
        else if (n == "exclusions") s.exclusions = vi;
        else if (n == "planned_sites") s.planned_sites = vi;
      }
    }
    inputs.finish();
  }
  if (auto th = top.optional_table("thresholds")) {
    for (const std::string& kind : th->keys()) {
      if (!s.thresholds.has_kind(kind)) {
        std::string known;
        for (const auto& k : s.thresholds.kinds()) known += (known.empty() ? "" : ", ") + k;
        th->fail(kind, "is not a layer kind (known: " + known + ")");
      }
      TableReader k = th->required_table(kind);
      for (const std::string& key : k.keys()) {
        if (!s.thresholds.has(kind, key)) {
          std::string known;
          for (const auto& x : s.thresholds.keys(kind)) known += (known.empty() ? "" : ", ") + x;
          k.fail(key, "is not a threshold of layer kind '" + kind + "' (known: " + known + ")");
        }
        const double value = k.required_number(key);
        if (const std::string why = out_of_range(s.thresholds.get(kind, key), value); !why.empty())
          k.fail(key, why);
        s.thresholds.set(kind, key, value);
      }
      k.finish();
    }
    th->finish();
  }
  if (s.thresholds.value("terrain", "village_radius_m") <= 0)
    throw core::ScenarioError(fname + ": thresholds.terrain.village_radius_m must be positive");
  if (s.thresholds.value("terrain", "relief_radius_m") < 0)
    throw core::ScenarioError(fname + ": thresholds.terrain.relief_radius_m must be zero or positive");
  s.assessment.criteria = soft_criteria();
  s.assessment.weights.assign(soft_criteria().size(), 1.0 / static_cast<double>(soft_criteria().size()));
  if (auto a = top.optional_table("assessment")) {
    s.assessment.weights =
        parse_weights(*a, soft_criteria(), s.assessment.weights_from, s.assessment.ahp_cr, fname);
    a->finish();
  }
  if (auto st = top.optional_table("sites")) {
    SitesSpec sp;
    sp.factors = site_factors();
    sp.weights = parse_weights(*st, site_factors(), sp.weights_from, sp.ahp_cr, fname);
    sp.exclude = site_constraints();
    if (auto ex = st->optional_string_array("exclude")) {
      for (const auto& e : *ex)
        if (std::find(site_constraints().begin(), site_constraints().end(), e) == site_constraints().end()) {
          std::string list;
          for (const auto& x : site_constraints()) list += (list.empty() ? "" : ", ") + x;
          st->fail("exclude", "'" + e + "' is not a constraint (known: " + list + ")");
        }
      sp.exclude = *ex;
    }
    sp.membership = st->optional_string("membership").value_or("linear");
    if (sp.membership != "linear" && sp.membership != "sigmoid")
      st->fail("membership", "must be \"linear\" or \"sigmoid\", got \"" + sp.membership + "\"");
    if (auto owa = st->optional_number_array("owa_order_weights")) {
      try {
        sp.owa_order_weights = suitability::normalise_weights(*owa);
      } catch (const core::ScenarioError& e) {
        st->fail("owa_order_weights", e.what());
      }
    }
    st->finish();
    s.sites = sp;
  }
  if (auto al = top.optional_table("allocation")) {
    AllocationSpec a;
    a.cost = al->optional_string("cost").value_or("travel_time");
    if (a.cost != "travel_time" && a.cost != "distance")
      al->fail("cost", "must be \"travel_time\" or \"distance\", got \"" + a.cost + "\"");
    a.max_travel_min = al->optional_number("max_travel_min").value_or(a.max_travel_min);
    a.max_distance_m = al->optional_number("max_distance_m").value_or(a.max_distance_m);
    if (!(a.max_travel_min > 0)) al->fail("max_travel_min", "must be positive");
    if (!(a.max_distance_m > 0)) al->fail("max_distance_m", "must be positive");
    a.same_county = al->optional_bool("same_county").value_or(true);
    a.cross_county_penalty = al->optional_number("cross_county_penalty").value_or(a.cross_county_penalty);
    if (a.cross_county_penalty < 0) al->fail("cross_county_penalty", "must be zero or positive");
    a.keep_villages_whole = al->optional_bool("keep_villages_whole").value_or(false);
    a.urban_share = al->optional_number("urban_share");
    if (a.urban_share && !(*a.urban_share >= 0 && *a.urban_share <= 1))
      al->fail("urban_share", "must be a share between 0 and 1");
    a.urban_max_travel_min = al->optional_number("urban_max_travel_min").value_or(a.urban_max_travel_min);
    if (!s.sites) al->fail("cost", "[allocation] needs [sites]: people are allocated to the sites it finds");
    al->finish();
    s.allocation = a;
  }
  if (auto out = top.optional_table("output")) {
    if (auto p = out->optional_string("path")) s.output = local_path(*out, base, "path", *p);
    if (auto a = out->optional_string("aliases")) {
      if (*a != "both" && *a != "zh" && *a != "en")
        out->fail("aliases", "must be \"both\", \"zh\" or \"en\", got \"" + *a + "\"");
      s.output_aliases = *a;
    }
    out->finish();
  }
  if (auto proc = top.optional_table("processing")) {
    if (auto mb = proc->optional_integer("memory_mb")) {
      if (*mb < 16) proc->fail("memory_mb", "must be at least 16, got " + std::to_string(*mb));
      s.memory_mb = static_cast<std::size_t>(*mb);
    }
    proc->finish();
  }
  top.finish();
  return s;
}

}  // namespace relocplan::config
