#include <catch2/catch.hpp>

#include "relocplan/config/layer_defaults.hpp"
#include "relocplan/config/scenario.hpp"
#include "relocplan/core/error.hpp"

using namespace relocplan;

namespace {

const char* kMinimal = R"([project]
name = "t"

[grid]
crs = "EPSG:4545"
cell_size_m = 25

[inputs.dem]
path = "dem.tif"

[inputs.villages]
path = "data/villages.gpkg"
[inputs.villages.fields]
id = "code"
population = "pop"
)";

std::string error_of(const std::string& text) {
  try {
    config::parse_scenario(text, "/work/s/scenario.toml");
  } catch (const core::ScenarioError& e) {
    CHECK(e.code() == core::ExitCode::usage);
    return e.what();
  }
  FAIL("no error for:\n" << text);
  return "";
}

}  // namespace

TEST_CASE("a minimal scenario parses, with defaults and resolved paths", "[config]") {
  const auto s = config::parse_scenario(kMinimal, "/work/s/scenario.toml");
  CHECK(s.name == "t");
  CHECK(s.crs == "EPSG:4545");
  CHECK(s.cell_size_m == 25.0);
  CHECK(s.dem.path == "/work/s/dem.tif");
  CHECK(s.villages.path == "/work/s/data/villages.gpkg");
  CHECK(s.villages.fields.id == "code");
  CHECK(s.villages.fields.population == std::optional<std::string>("pop"));
  CHECK_FALSE(s.villages.fields.households.has_value());
  CHECK(s.study_area.mode == config::ExtentMode::villages);
  CHECK(s.thresholds.value("terrain", "steep_slope_deg") == 25.0);
  CHECK_FALSE(s.thresholds.get("terrain", "steep_slope_deg").overridden);
}

TEST_CASE("unknown keys are rejected with their path and line", "[config]") {
  std::string t = kMinimal;
  t += "\n[inputs.dem2]\npath = \"x\"\n";
  CHECK_THAT(error_of(t), Catch::Contains("scenario.toml:17: unknown key 'inputs.dem2'"));
  std::string t2 = kMinimal;
  t2.insert(t2.find("cell_size_m"), "slop_deg = 3\n");
  CHECK_THAT(error_of(t2), Catch::Contains("scenario.toml:6: unknown key 'grid.slop_deg'") &&
                               Catch::Contains("known here: cell_size_m, crs"));
}

TEST_CASE("wrong types name the key, the line and the value", "[config]") {
  std::string t = kMinimal;
  t.replace(t.find("cell_size_m = 25"), 16, "cell_size_m = \"30m\"");
  CHECK_THAT(error_of(t), Catch::Contains("scenario.toml:6: grid.cell_size_m: must be a number, got a string \"30m\""));
}

TEST_CASE("missing required keys and tables are named", "[config]") {
  std::string t = kMinimal;
  t.erase(t.find("id = \"code\"\n"), 12);
  CHECK_THAT(error_of(t), Catch::Contains("required key 'inputs.villages.fields.id' is missing"));
  std::string t2 = kMinimal;
  t2.erase(t2.find("[inputs.dem]"), std::string("[inputs.dem]\npath = \"dem.tif\"\n").size());
  CHECK_THAT(error_of(t2), Catch::Contains("required table [inputs.dem] is missing"));
}

TEST_CASE("TOML syntax errors carry the line", "[config]") {
  CHECK_THAT(error_of("[project]\nname = \"x\nfoo"), Catch::Contains("scenario.toml:2:"));
}

TEST_CASE("thresholds from layers/ can be overridden, unknown ones are rejected", "[config]") {
  std::string t = kMinimal;
  t += "\n[thresholds.terrain]\nsteep_slope_deg = 20\n";
  const auto s = config::parse_scenario(t, "/work/s/scenario.toml");
  CHECK(s.thresholds.value("terrain", "steep_slope_deg") == 20.0);
  CHECK(s.thresholds.get("terrain", "steep_slope_deg").overridden);
  CHECK(s.thresholds.get("terrain", "steep_slope_deg").default_value == 25.0);
  std::string bad = kMinimal;
  bad += "\n[thresholds.terrain]\nsteep_deg = 20\n";
  CHECK_THAT(error_of(bad), Catch::Contains("thresholds.terrain.steep_deg: is not a threshold of layer kind 'terrain'"));
  std::string bad_kind = kMinimal;
  bad_kind += "\n[thresholds.terain]\nsteep_slope_deg = 20\n";
  CHECK_THAT(error_of(bad_kind), Catch::Contains("thresholds.terain: is not a layer kind"));
}

TEST_CASE("study area options are checked", "[config]") {
  std::string t = kMinimal;
  t += "\n[study_area]\nfrom = \"bounds\"\nbounds = [1, 2, 0, 4]\n";
  CHECK_THAT(error_of(t), Catch::Contains("study_area.bounds: must be [xmin, ymin, xmax, ymax]"));
  std::string t2 = kMinimal;
  t2 += "\n[study_area]\nfrom = \"county\"\n";
  CHECK_THAT(error_of(t2), Catch::Contains("study_area.from: must be \"villages\", \"boundary\" or \"bounds\""));
  std::string t3 = kMinimal;
  t3 += "\n[study_area]\nfrom = \"boundary\"\n";
  CHECK_THAT(error_of(t3), Catch::Contains("needs study_area.boundary"));
}

TEST_CASE("every embedded layer default has a unit and a source", "[config][layers]") {
  const auto d = config::LayerDefaults::load_embedded();
  REQUIRE(d.has_kind("terrain"));
  for (const auto& [kind, ts] : d.all())
    for (const auto& [key, t] : ts) {
      INFO(kind << "." << key);
      CHECK_FALSE(t.unit.empty());
      CHECK_FALSE(t.source.empty());
    }
  CHECK(d.get("terrain", "relief_radius_m").assumption);
  CHECK_FALSE(d.get("terrain", "steep_slope_deg").assumption);
}

TEST_CASE("assessment weights: direct weights are normalised, unknown criteria rejected", "[config][weights]") {
  std::string t = kMinimal;
  t += "\n[assessment.weights]\nsteep = 3\nrelief = 1\nelevation = 0\nfragility = 0\nremoteness = 0\n";
  const auto s = config::parse_scenario(t, "/work/s/scenario.toml");
  CHECK(s.assessment.weights == std::vector<double>{0.75, 0.25, 0.0, 0.0, 0.0});
  std::string bad = kMinimal;
  bad += "\n[assessment.weights]\nslope = 1\n";
  CHECK_THAT(error_of(bad), Catch::Contains("assessment.weights.slope: 'slope' is not one of steep, relief, elevation, "
                                            "fragility, remoteness"));
}

TEST_CASE("assessment weights from an AHP matrix, with its consistency ratio", "[config][weights]") {
  // A consistent matrix for weights 4:2:1 over steep, relief, remoteness.
  std::string t = kMinimal;
  t += "\n[assessment.ahp]\ncriteria = [\"steep\", \"relief\", \"remoteness\"]\n"
       "matrix = [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]]\n";
  const auto s = config::parse_scenario(t, "/work/s/scenario.toml");
  CHECK(s.assessment.weights[0] == Approx(4.0 / 7));
  CHECK(s.assessment.weights[1] == Approx(2.0 / 7));
  CHECK(s.assessment.weights[2] == Approx(0.0));  // elevation is not in the matrix
  CHECK(s.assessment.weights[4] == Approx(1.0 / 7));
  CHECK(s.assessment.ahp_cr == Approx(0.0).margin(1e-9));
  CHECK_THAT(s.assessment.weights_from, Catch::Contains("AHP"));
  // Badly inconsistent: rejected unless forced.
  std::string bad = kMinimal;
  bad += "\n[assessment.ahp]\ncriteria = [\"steep\", \"relief\", \"remoteness\"]\n"
         "matrix = [[1, 9, 0.1111111], [0.1111111, 1, 9], [9, 0.1111111, 1]]\n";
  CHECK_THAT(error_of(bad), Catch::Contains("consistency ratio") && Catch::Contains("is above 0.1"));
  const auto forced = config::parse_scenario(bad + "force = true\n", "/work/s/scenario.toml");
  CHECK(forced.assessment.ahp_cr > 0.1);
  CHECK_THAT(forced.assessment.weights_from, Catch::Contains("forced"));
}

TEST_CASE("the output's alias language is checked", "[config]") {
  std::string t = kMinimal;
  t += "\n[output]\naliases = \"zh\"\n";
  CHECK(config::parse_scenario(t, "/work/s/scenario.toml").output_aliases == "zh");
  std::string bad = kMinimal;
  bad += "\n[output]\naliases = \"fr\"\n";
  CHECK_THAT(error_of(bad), Catch::Contains("output.aliases") && Catch::Contains("\"fr\""));
}
