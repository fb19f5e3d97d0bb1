#pragma once
// The scenario file: what a planner writes to describe one run. Parsed into
// plain structs and checked strictly (unknown keys, wrong types, missing
// required keys are errors naming the key and its line). Relative paths are
// resolved against the scenario file's folder.

#include <array>
#include <map>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relocplan/config/layer_defaults.hpp"

namespace relocplan::config {

struct VillageFields {
  std::string id;  // required
  std::optional<std::string> name, county, township, population, households, poor_households;
};

struct VillageInput {
  std::filesystem::path path;
  std::optional<std::string> layer;
  std::optional<std::string> crs;       // assigned when the data set has none, or overrides it
  std::optional<std::string> x_field;   // for CSV: coordinate columns
  std::optional<std::string> y_field;
  std::optional<std::string> encoding;  // for Shapefiles without a .cpg, e.g. "GBK"
  VillageFields fields;
};

struct DemInput {
  std::filesystem::path path;
  int band = 1;
  std::string resampling = "bilinear";
  std::optional<double> nodata;  // overrides the file's NoData value
};

// A thematic vector layer: where it is, and which of its fields play which role.
struct VectorInput {
  std::string key;  // "inputs.roads", for messages
  std::filesystem::path path;
  std::optional<std::string> layer;
  std::optional<std::string> crs;
  std::optional<std::string> encoding;
  std::map<std::string, std::string> fields;  // role -> field name
  std::map<std::string, std::string> values;  // meaning -> attribute value (e.g. core -> "核心区")
};

// A thematic raster (land cover, fragility index).
struct RasterInput {
  std::string key;
  std::filesystem::path path;
  int band = 1;
  std::string resampling;
  std::optional<double> nodata;
};

// How the soft criteria are weighted.
struct AssessmentSpec {
  std::vector<std::string> criteria;  // the soft criteria, in order
  std::vector<double> weights;        // as given (direct) or derived (AHP), normalised
  std::string weights_from = "default (equal weights)";
  std::vector<std::vector<double>> ahp_matrix;
  bool force_ahp = false;
  double ahp_cr = 0;
};

// The resettlement-site search ([sites]); present only when the scenario asks for it.
struct SitesSpec {
  std::vector<std::string> factors;  // in sites_factors() order
  std::vector<double> weights;       // normalised
  std::string weights_from = "default (equal weights)";
  double ahp_cr = 0;
  std::vector<std::string> exclude;  // constraint names that exclude cells
  // Ordered weighted averaging: order weights for the factors ranked from the
  // best to the worst value in each cell; empty = weighted linear combination.
  std::vector<double> owa_order_weights;
  // Fuzzy membership of the distance and travel-time factors between their
  // two control points: "linear", or "sigmoid" (cosine-squared, as IDRISI's
  // FUZZY sigmoidal function).
  std::string membership = "linear";
};

// Who goes to which site ([allocation]); needs [sites].
struct AllocationSpec {
  std::string cost = "travel_time";  // "travel_time" over the site search's cost surface, or "distance"
  double max_travel_min = 60;        // pairs beyond this are not allowed (travel_time)
  double max_distance_m = 40000;     // pairs beyond this are not allowed (distance)
  bool same_county = true;           // keep people in their own county
  double cross_county_penalty = 60;  // added cost (minutes or metres) when crossing is allowed
  bool keep_villages_whole = false;  // each village to one site (an integer problem)
  // Urban resettlement: the target share of allocated households that go to
  // sites within urban_max_travel_min of a town (county seat, township seat
  // or industrial park); empty = no target.
  std::optional<double> urban_share;
  double urban_max_travel_min = 15;
};

enum class ExtentMode { villages, boundary, bounds };

struct StudyArea {
  ExtentMode mode = ExtentMode::villages;
  double margin_m = 2000.0;
  std::optional<std::filesystem::path> boundary_path;
  std::optional<std::string> boundary_layer;
  // Selects the boundary feature(s) whose boundary_field equals boundary_value
  // exactly (compared in C++, never as SQL); without them every feature counts.
  std::optional<std::string> boundary_field, boundary_value;
  // And, for a layer of every county of a country, the feature(s) whose
  // boundary_group_field (the province) equals boundary_group_value; with
  // grid.crs = "auto" the working CRS then comes from the group's centre.
  std::optional<std::string> boundary_group_field, boundary_group_value;
  // Leave out the villages whose point is not inside the selected boundary,
  // and the sites whose centroid is not; the grid keeps its margin.
  bool clip = false;
  std::array<double, 4> bounds{};  // xmin, ymin, xmax, ymax in the working CRS
};

struct Scenario {
  std::filesystem::path file;  // absolute path of the scenario file
  std::string text;            // the file's text, stored in run_info
  std::string name;
  std::string description;
  std::string crs = "auto";  // "auto" or anything GDAL accepts ("EPSG:4545")
  double cell_size_m = 30.0;
  StudyArea study_area;
  DemInput dem;
  VillageInput villages;
  // Optional thematic inputs; each criterion that needs a missing one reports
  // "not assessed".
  std::optional<RasterInput> landcover, fragility;
  std::optional<VectorInput> hazard_points, susceptibility, flood_zone, desertification, reserve, redline, roads,
      towns, counties, territories, townships, schools, clinics, rivers, water_bodies, exclusions, planned_sites;
  AssessmentSpec assessment;
  std::optional<SitesSpec> sites;
  std::optional<AllocationSpec> allocation;
  std::optional<std::filesystem::path> output;  // [output] path
  std::string output_aliases = "both";          // [output] aliases: field aliases and titles in "both", "zh", "en"
  std::size_t memory_mb = 1024;                 // memory budget of the run (see core::MemoryBudget)
  LayerDefaults thresholds;                     // layer defaults with scenario overrides applied
};

// The soft criteria of the village assessment, in a fixed order.
const std::vector<std::string>& soft_criteria();

// The factors of site suitability and the constraints, in a fixed order.
const std::vector<std::string>& site_factors();
const std::vector<std::string>& site_constraints();

// The scenario's thematic vector inputs by name ("roads", "reserve" ...), each
// possibly absent, in a fixed order.
std::vector<std::pair<const char*, const std::optional<VectorInput>*>> vector_inputs(const Scenario& s);

// Reads and checks a scenario file. Throws ScenarioError.
Scenario load_scenario(const std::filesystem::path& file);
// The same from text (file is used for messages and relative paths).
Scenario parse_scenario(const std::string& text, const std::filesystem::path& file);

}  // namespace relocplan::config
