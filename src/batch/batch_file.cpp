#include "relocplan/batch/batch_file.hpp"

#include <gdal.h>
#include <ogr_api.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "relocplan/config/scenario.hpp"
#include "relocplan/config/toml_reader.hpp"
#include "relocplan/core/error.hpp"
#include "relocplan/core/files.hpp"
#include "relocplan/raster/gdal_handles.hpp"

namespace relocplan::batch {

namespace fs = std::filesystem;

namespace {

fs::path resolve(const fs::path& base, const std::string& p) {
  fs::path path(p);
  return path.is_absolute() ? path.lexically_normal() : (base / path).lexically_normal();
}

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

// The most jobs one batch expands into (grid combinations, and variants times
// split values times sensitivity samples): a larger batch is refused before
// its jobs are listed, instead of exhausting memory.
constexpr std::size_t kMaxJobs = 10000;

// Strings in double quotes (as people write them), everything else as toml++ writes it.
constexpr toml::format_flags kFormat = toml::toml_formatter::default_flags & ~toml::format_flags::allow_literal_strings;

// A node as TOML value text: 20, 0.5, "sigmoid", [1, 2], { a = 1 }.
std::string toml_text(const toml::node& n) {
  std::ostringstream os;
  os << toml::toml_formatter{n, kFormat};
  return os.str();
}

// The value part of a grid variant's name: strings without quotes.
std::string name_text(const toml::node& n) {
  if (n.is_string()) return n.as_string()->get();
  return toml_text(n);
}

// Override keys from a variant table: quoted dotted keys ("a.b.c" = 1) and
// nested standard tables (a.b.c = 1, [variants.x.a.b]) both give "a.b.c";
// an inline table is one value (it replaces the whole table).
void flatten(const toml::table& t, const std::string& prefix, std::vector<std::pair<std::string, const toml::node*>>& out) {
  std::vector<std::pair<int, std::pair<std::string, const toml::node*>>> ordered;
  for (const auto& [k, v] : t) ordered.push_back({line_of(v), {prefix + std::string(k.str()), &v}});
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [ln, kv] : ordered) {
    const auto& [key, node] = kv;
    if (node->is_table() && !node->as_table()->is_inline()) flatten(*node->as_table(), key + ".", out);
    else out.emplace_back(key, node);
  }
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

// Sets `key` (dotted) in `root` to `value`, creating tables on the way.
// Returns an error message, or "" on success.
std::string set_key(toml::table& root, const std::string& key, const toml::node& value) {
  const auto parts = split_key(key);
  for (const auto& p : parts)
    if (p.empty()) return "'" + key + "' is not a valid dotted key";
  toml::table* t = &root;
  std::string path;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    path += (i ? "." : "") + parts[i];
    toml::node* n = t->get(parts[i]);
    if (!n) {
      t->insert_or_assign(parts[i], toml::table{});
      n = t->get(parts[i]);
    }
    if (!n->is_table()) return "'" + path + "' is a value in the base scenario, not a table";
    t = n->as_table();
  }
  t->insert_or_assign(parts.back(), value);
  return "";
}

// Makes the relative paths of a scenario table absolute against `dir`.
void absolutise_paths(toml::table& root, const fs::path& dir) {
  auto fix = [&dir](toml::node* n) {
    if (n && n->is_string()) {
      auto& s = n->as_string()->get();
      if (!s.empty()) s = resolve(dir, s).string();
    }
  };
  if (toml::table* inputs = root["inputs"].as_table())
    for (auto& [k, v] : *inputs)
      if (toml::table* t = v.as_table()) fix(t->get("path"));
  if (toml::table* sa = root["study_area"].as_table()) fix(sa->get("boundary"));
  if (toml::table* out = root["output"].as_table()) fix(out->get("path"));
}

std::string format_number(double v) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(6) << v;
  return os.str();
}

std::uint64_t splitmix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A split unit: the county and, in a national split, its province.
struct SplitUnit {
  std::optional<std::string> group;
  std::string value;
  bool operator==(const SplitUnit&) const = default;
};

// The distinct (group, value) pairs of a polygon layer, in layer order.
std::vector<SplitUnit> split_units(const SplitSpec& split, const std::string& where) {
  core::check_input_file(where + "split.path", split.path);
  CPLErrorReset();
  raster::DatasetPtr ds(GDALOpenEx(split.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!ds)
    throw core::InputError(where + "split.path: cannot open '" + split.path.string() + "' as a vector data set: " +
                           core::last_gdal_error());
  OGRLayerH layer = nullptr;
  if (split.layer) {
    layer = GDALDatasetGetLayerByName(ds.get(), split.layer->c_str());
    if (!layer) throw core::ScenarioError(where + "split.layer: '" + split.path.string() + "' has no layer '" + *split.layer + "'");
  } else if (GDALDatasetGetLayerCount(ds.get()) == 1) {
    layer = GDALDatasetGetLayer(ds.get(), 0);
  } else {
    throw core::ScenarioError(where + "split.layer: '" + split.path.string() + "' has " +
                              std::to_string(GDALDatasetGetLayerCount(ds.get())) + " layers; name one with split.layer");
  }
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  auto field_index = [&](const std::string& name, const char* key) {
    const int idx = OGR_FD_GetFieldIndex(defn, name.c_str());
    if (idx >= 0) return idx;
    std::string fields;
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i)
      fields += (i ? ", " : "") + std::string(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    throw core::ScenarioError(where + "split." + key + ": field '" + name + "' not found in layer '" +
                              OGR_L_GetName(layer) + "' of '" + split.path.string() + "' (fields: " + fields + ")");
  };
  const int idx = field_index(split.field, "field");
  const int gidx = split.group_field ? field_index(*split.group_field, "group_field") : -1;
  std::vector<SplitUnit> units;
  std::set<std::pair<std::string, std::string>> seen;
  OGR_L_ResetReading(layer);
  for (OGRFeatureH f = OGR_L_GetNextFeature(layer); f; f = OGR_L_GetNextFeature(layer)) {
    const bool has_group = gidx < 0 || OGR_F_IsFieldSetAndNotNull(f, gidx);
    if (OGR_F_IsFieldSetAndNotNull(f, idx) && has_group) {
      SplitUnit u;
      u.value = OGR_F_GetFieldAsString(f, idx);
      if (gidx >= 0) u.group = OGR_F_GetFieldAsString(f, gidx);
      if (!u.value.empty() && (!u.group || !u.group->empty()) && seen.emplace(u.group.value_or(""), u.value).second)
        units.push_back(std::move(u));
    }
    OGR_F_Destroy(f);
  }
  if (units.empty())
    throw core::InputError(where + "split: layer '" + std::string(OGR_L_GetName(layer)) + "' of '" +
                           split.path.string() + "' has no feature with a value in field '" + split.field + "'" +
                           (split.group_field ? " and in field '" + *split.group_field + "'" : std::string()));
  return units;
}

}  // namespace

std::string file_safe(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    const bool keep = c >= 0x80 || std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+';
    out.push_back(keep ? static_cast<char>(c) : '_');
  }
  // No hidden files and no "." / ".." names.
  while (!out.empty() && out.front() == '.') out.front() = '_';
  return out;
}

std::vector<double> perturb_weights(const std::vector<double>& weights, double spread, std::uint64_t seed, int sample,
                                    std::uint64_t stream) {
  // The generator's seed depends only on (seed, sample, stream): samples do
  // not depend on how many jobs run at once or in which order. mt19937_64's
  // output sequence is fixed by the C++ standard; the uniform transform is
  // our own (std::uniform_real_distribution differs between libraries).
  std::uint64_t state = seed;
  std::uint64_t mixed = splitmix64(state);
  state = mixed ^ (static_cast<std::uint64_t>(sample) * 0xD1B54A32D192ED03ULL);
  mixed = splitmix64(state);
  state = mixed ^ (stream * 0x8CB92BA72F3D8DD7ULL);
  std::mt19937_64 gen(splitmix64(state));
  std::vector<double> w(weights.size());
  double sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double u01 = static_cast<double>(gen() >> 11) * 0x1.0p-53;  // [0, 1)
    const double u = 2.0 * u01 - 1.0;                                  // [-1, 1)
    w[i] = weights[i] > 0 ? weights[i] * (1.0 + spread * u) : 0.0;
    sum += w[i];
  }
  if (!(sum > 0)) return weights;
  for (double& x : w) x = std::round(x / sum * 1e6) / 1e6;
  return w;
}

BatchSpec load_batch(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw core::ScenarioError("cannot read batch file '" + file.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_batch(ss.str(), fs::absolute(file));
}

BatchSpec parse_batch(const std::string& text, const fs::path& file) {
  BatchSpec b;
  b.file = fs::absolute(file);
  b.text = text;
  const std::string fname = file.filename().string();
  const fs::path dir = b.file.parent_path();
  const toml::table root = config::parse_toml(text, fname);
  config::TableReader top(root, fname, "");

  {
    config::TableReader t = top.required_table("batch");
    b.name = t.required_string("name");
    if (b.name.empty() || file_safe(b.name) != b.name)
      t.fail("name", "\"" + b.name + "\" is used in file names: use letters, digits, '-', '_', '.' or '+' only");
    const std::string base = t.required_string("base");
    if (base.empty()) t.fail("base", "must not be empty");
    if (const std::string what = core::non_local_path(base); !what.empty())
      t.fail("base", "'" + base + "' is " + what + "; batch paths name local files only");
    b.base = resolve(dir, base);
    const std::string out = t.required_string("output_dir");
    if (out.empty()) t.fail("output_dir", "must not be empty");
    if (const std::string what = core::non_local_path(out); !what.empty())
      t.fail("output_dir", "'" + out + "' is " + what + "; batch paths name local files only");
    b.output_dir = resolve(dir, out);
    if (auto mb = t.optional_integer("memory_mb")) {
      if (*mb < 16) t.fail("memory_mb", "must be at least 16, got " + std::to_string(*mb));
      b.memory_mb = static_cast<std::size_t>(*mb);
    }
    b.include_base = t.optional_bool("include_base").value_or(true);
    t.finish();
  }

  std::set<std::string> names;
  if (b.include_base) {
    b.variants.push_back({"base", {}, 0});
    names.insert("base");
  }
  if (const toml::node* vs = root.get("variants")) {
    top.optional_table("variants");  // marks the key; checks it is a table
    std::vector<std::pair<int, std::string>> order;
    for (const auto& [k, v] : *vs->as_table()) order.emplace_back(line_of(v), std::string(k.str()));
    std::stable_sort(order.begin(), order.end());
    for (const auto& [ln, name] : order) {
      const toml::node* v = vs->as_table()->get(name);
      const std::string where = fname + ":" + std::to_string(ln) + ": variants." + name;
      if (!v->is_table()) throw core::ScenarioError(where + ": must be a table of scenario keys and values");
      if (name.empty() || file_safe(name) != name)
        throw core::ScenarioError(where + ": the variant name is used in job ids and file names: use letters, "
                                          "digits, '-', '_', '.' or '+' only");
      if (!names.insert(name).second)
        throw core::ScenarioError(where + ": the name \"" + name + "\" is already used" +
                                  (name == "base" ? " by the base scenario" : ""));
      Variant var{name, {}, ln};
      std::vector<std::pair<std::string, const toml::node*>> flat;
      flatten(*v->as_table(), "", flat);
      if (flat.empty()) throw core::ScenarioError(where + ": sets no scenario key");
      for (const auto& [key, node] : flat) var.overrides.push_back({key, toml_text(*node), line_of(*node)});
      b.variants.push_back(std::move(var));
    }
  }
  if (const toml::node* g = root.get("grid")) {
    top.optional_table("grid");
    std::vector<std::pair<std::string, const toml::node*>> flat;
    flatten(*g->as_table(), "", flat);
    if (flat.empty())
      throw core::ScenarioError(fname + ":" + std::to_string(line_of(*g)) + ": [grid] lists no scenario key");
    std::map<std::string, int> last_count;
    for (const auto& [key, node] : flat) {
      const std::string where = fname + ":" + std::to_string(line_of(*node)) + ": grid.\"" + key + "\"";
      if (!node->is_array()) throw core::ScenarioError(where + ": must be an array of values to combine");
      if (node->as_array()->empty()) throw core::ScenarioError(where + ": is an empty list; give at least one value");
      ++last_count[split_key(key).back()];
    }
    std::size_t combinations = 1;
    for (const auto& [key, node] : flat)
      if ((combinations *= node->as_array()->size()) > kMaxJobs)
        throw core::ScenarioError(fname + ":" + std::to_string(line_of(*g)) + ": [grid] makes more than " +
                                  std::to_string(kMaxJobs) + " combinations; a batch runs at most " +
                                  std::to_string(kMaxJobs) + " jobs");
    // Every combination, the first key varying slowest.
    std::vector<std::size_t> index(flat.size(), 0);
    while (true) {
      Variant var;
      std::string name;
      for (std::size_t k = 0; k < flat.size(); ++k) {
        const auto& [key, node] = flat[k];
        const toml::node& value = *node->as_array()->get(index[k]);
        const std::string label = last_count[split_key(key).back()] > 1 ? key : split_key(key).back();
        name += (k ? "_" : "") + label + "-" + name_text(value);
        var.overrides.push_back({key, toml_text(value), line_of(value)});
      }
      var.name = file_safe(name);
      var.line = line_of(*g);
      if (!names.insert(var.name).second)
        throw core::ScenarioError(fname + ":" + std::to_string(var.line) + ": grid combination \"" + var.name +
                                  "\" has the name of another variant; rename that variant");
      b.variants.push_back(std::move(var));
      std::size_t k = flat.size();
      while (k > 0) {
        --k;
        if (++index[k] < flat[k].second->as_array()->size()) break;
        index[k] = 0;
        if (k == 0) {
          k = flat.size() + 1;
          break;
        }
      }
      if (k == flat.size() + 1) break;
    }
  }
  if (b.variants.empty())
    throw core::ScenarioError(fname + ": no job to run: include_base = false and no [variants] or [grid]");

  if (auto sp = top.optional_table("split")) {
    SplitSpec s;
    const std::string p = sp->required_string("path");
    if (p.empty()) sp->fail("path", "must not be empty");
    if (const std::string what = core::non_local_path(p); !what.empty())
      sp->fail("path", "'" + p + "' is " + what + "; batch paths name local files only");
    s.path = resolve(dir, p);
    s.layer = sp->optional_string("layer");
    s.field = sp->required_string("field");
    if (s.field.empty()) sp->fail("field", "must not be empty");
    s.group_field = sp->optional_string("group_field");
    if (s.group_field && s.group_field->empty()) sp->fail("group_field", "must not be empty");
    if (s.group_field && *s.group_field == s.field)
      sp->fail("group_field", "names the same field as split.field ('" + s.field + "')");
    s.margin_m = sp->optional_number("margin_m").value_or(5000.0);
    if (!(s.margin_m >= 0)) sp->fail("margin_m", "must be zero or positive");
    if (auto v = sp->optional_string_array("values")) {
      if (v->empty()) sp->fail("values", "is an empty list; leave it out to run every value");
      std::set<std::string> seen;
      for (const auto& x : *v)
        if (!seen.insert(x).second) sp->fail("values", "lists \"" + x + "\" twice");
      s.values = *v;
    }
    sp->finish();
    b.split = s;
  }
  if (auto se = top.optional_table("sensitivity")) {
    SensitivitySpec s;
    const auto runs = se->optional_integer("runs");
    if (!runs) se->fail("runs", "is required: the number of perturbed runs");
    if (*runs < 1 || *runs > 10000) se->fail("runs", "must be between 1 and 10000, got " + std::to_string(*runs));
    s.runs = static_cast<int>(*runs);
    s.spread = se->optional_number("spread").value_or(0.2);
    if (!(s.spread > 0 && s.spread < 1)) se->fail("spread", "must be above 0 and below 1 (a share of each weight)");
    const auto seed = se->optional_integer("seed").value_or(42);
    if (seed < 0) se->fail("seed", "must be zero or positive");
    s.seed = static_cast<std::uint64_t>(seed);
    if (const toml::node* of = se->peek("of"); of && of->is_string()) {
      const std::string v = *se->optional_string("of");
      s.of = {v == "all" ? std::string("*") : v};
    } else if (auto list = se->optional_string_array("of")) {
      if (list->empty()) se->fail("of", "is an empty list; name at least one variant, or \"all\"");
      s.of = *list;
    } else {
      s.of = {b.include_base ? std::string("base") : std::string("*")};
    }
    for (const auto& name : s.of)
      if (name != "*" && !names.count(name)) {
        std::string known;
        for (const auto& v : b.variants) known += (known.empty() ? "" : ", ") + v.name;
        se->fail("of", "names no variant: \"" + name + "\" (variants: " + known + ", or \"all\")");
      }
    se->finish();
    b.sensitivity = s;
  }
  top.finish();
  return b;
}

BatchPlan expand_batch(const BatchSpec& spec) {
  BatchPlan plan;
  plan.spec = spec;
  plan.jobs_dir = spec.output_dir / "jobs";
  plan.scenarios_dir = spec.output_dir / "scenarios";
  plan.logs_dir = spec.output_dir / "logs";
  plan.summary = spec.output_dir / (spec.name + "_summary.gpkg");
  const std::string fname = spec.file.filename().string();

  // The base scenario: checked as it is, then as a TOML table to edit.
  std::string base_text;
  {
    std::ifstream in(spec.base, std::ios::binary);
    if (!in) throw core::ScenarioError(fname + ": batch.base: cannot read the base scenario '" + spec.base.string() + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    base_text = ss.str();
  }
  try {
    config::parse_scenario(base_text, spec.base);
  } catch (const core::Error& e) {
    throw core::ScenarioError(fname + ": the base scenario is invalid: " + e.what());
  }
  toml::table base = config::parse_toml(base_text, spec.base.filename().string());
  absolutise_paths(base, spec.base.parent_path());

  std::vector<std::optional<SplitUnit>> split_values{std::nullopt};
  if (spec.split) {
    const auto available = split_units(*spec.split, fname + ": ");
    split_values.clear();
    if (spec.split->values.empty()) {
      for (const auto& u : available) split_values.emplace_back(u);
    } else {
      // values name counties; in a national split every province's county of that name.
      for (const auto& v : spec.split->values) {
        bool found = false;
        for (const auto& u : available)
          if (u.value == v) {
            split_values.emplace_back(u);
            found = true;
          }
        if (!found) {
          std::string list;
          std::set<std::string> listed;
          for (const auto& a : available)
            if (listed.insert(a.value).second) list += (list.empty() ? "\"" : ", \"") + a.value + "\"";
          throw core::ScenarioError(fname + ": split.values: no feature of '" + spec.split->path.string() + "' has " +
                                    spec.split->field + " = \"" + v + "\" (values there: " + list + ")");
        }
      }
    }
  }

  std::size_t total = 0;
  for (const Variant& var : spec.variants) {
    const bool perturbed = spec.sensitivity && std::any_of(spec.sensitivity->of.begin(), spec.sensitivity->of.end(),
                                                           [&](const std::string& n) { return n == "*" || n == var.name; });
    total += split_values.size() * (1 + (perturbed ? static_cast<std::size_t>(spec.sensitivity->runs) : 0));
  }
  if (total > kMaxJobs)
    throw core::ScenarioError(fname + ": the batch makes " + std::to_string(total) +
                              " jobs (variants x split values x sensitivity samples); a batch runs at most " +
                              std::to_string(kMaxJobs) + " jobs");

  std::set<std::string> ids;
  for (const Variant& var : spec.variants) {
    toml::table vt = base;
    const std::string vwhere = fname + ":" + std::to_string(var.line) + ": variant '" + var.name + "'";
    std::vector<std::pair<std::string, std::string>> applied;
    for (const Override& o : var.overrides) {
      toml::table parsed;
      try {
        parsed = toml::parse("v = " + o.value);
      } catch (const toml::parse_error& e) {
        throw core::InternalError("override " + o.key + " = " + o.value + " cannot be re-read: " +
                                  std::string(e.description()));
      }
      const std::string err = set_key(vt, o.key, *parsed.get("v"));
      if (!err.empty())
        throw core::ScenarioError(fname + ":" + std::to_string(o.line) + ": variant '" + var.name + "' sets '" + o.key +
                                  "': " + err);
      applied.emplace_back(o.key, o.value);
    }
    // Paths the variant set are relative to the batch file.
    absolutise_paths(vt, spec.file.parent_path());
    const bool perturbed = spec.sensitivity && std::any_of(spec.sensitivity->of.begin(), spec.sensitivity->of.end(),
                                                           [&](const std::string& n) { return n == "*" || n == var.name; });
    for (const auto& split_value : split_values) {
      toml::table st = vt;
      auto split_applied = applied;
      if (split_value) {
        toml::table sa;
        sa.insert_or_assign("from", "boundary");
        sa.insert_or_assign("margin_m", spec.split->margin_m);
        sa.insert_or_assign("boundary", spec.split->path.string());
        if (spec.split->layer) sa.insert_or_assign("boundary_layer", *spec.split->layer);
        sa.insert_or_assign("boundary_field", spec.split->field);
        sa.insert_or_assign("boundary_value", split_value->value);
        if (split_value->group) {
          sa.insert_or_assign("boundary_group_field", *spec.split->group_field);
          sa.insert_or_assign("boundary_group_value", *split_value->group);
        }
        sa.insert_or_assign("clip", true);
        for (const auto& [k, v] : sa) split_applied.emplace_back("study_area." + std::string(k.str()), toml_text(v));
        st.insert_or_assign("study_area", std::move(sa));
      }
      const int runs = perturbed ? spec.sensitivity->runs : 0;
      const int width = std::max<int>(2, static_cast<int>(std::to_string(runs).size()));
      std::optional<config::Scenario> unperturbed;
      for (int sample = 0; sample <= runs; ++sample) {
        toml::table jt = st;
        auto job_applied = split_applied;
        std::string id = file_safe(var.name);
        if (split_value && split_value->group) id += "." + file_safe(*split_value->group);
        if (split_value) id += "." + file_safe(split_value->value);
        if (sample > 0) {
          std::ostringstream os;
          os << ".s" << std::setw(width) << std::setfill('0') << sample;
          id += os.str();
          // The weights in effect (the scenario's, AHP-derived or the
          // defaults), perturbed and written as explicit direct weights.
          auto perturb = [&](const char* table, const std::vector<std::string>& names, const std::vector<double>& w,
                             std::uint64_t stream) {
            const auto pw = perturb_weights(w, spec.sensitivity->spread, spec.sensitivity->seed, sample, stream);
            toml::table* t = jt[table].as_table();
            if (!t) {
              jt.insert_or_assign(table, toml::table{});
              t = jt[table].as_table();
            }
            t->erase("ahp");
            toml::table weights;
            for (std::size_t i = 0; i < names.size(); ++i) {
              weights.insert_or_assign(names[i], pw[i]);
              job_applied.emplace_back(std::string(table) + ".weights." + names[i], format_number(pw[i]));
            }
            t->insert_or_assign("weights", std::move(weights));
          };
          perturb("assessment", unperturbed->assessment.criteria, unperturbed->assessment.weights, 0);
          if (unperturbed->sites) perturb("sites", unperturbed->sites->factors, unperturbed->sites->weights, 1);
        }
        if (!ids.insert(id).second)
          throw core::ScenarioError(vwhere + ": job id '" + id + "' is not unique (split values or variant names "
                                             "that differ only in characters not allowed in file names?)");
        const fs::path scenario_path = plan.scenarios_dir / (id + ".toml");
        const fs::path output_path = plan.jobs_dir / (id + ".gpkg");
        toml::table* out = jt["output"].as_table();
        if (!out) {
          jt.insert_or_assign("output", toml::table{});
          out = jt["output"].as_table();
        }
        out->insert_or_assign("path", output_path.string());

        std::ostringstream text;
        text << "# Job '" << id << "' of batch '" << spec.name << "' (" << spec.file.string() << ").\n"
             << "# Written by relocplan batch from the base scenario " << spec.base.string() << "\n"
             << "# with the variant's settings; paths are absolute. Run it alone with: relocplan run <this file>\n\n"
             << toml::toml_formatter{jt, kFormat} << "\n";
        JobSpec job;
        job.scenario_text = text.str();
        config::Scenario parsed;
        try {
          parsed = config::parse_scenario(job.scenario_text, scenario_path);
        } catch (const core::Error& e) {
          std::string keys;
          for (const auto& o : var.overrides) keys += (keys.empty() ? "" : ", ") + o.key;
          throw core::ScenarioError(vwhere + (keys.empty() ? "" : " (sets " + keys + ")") + ": " + e.what());
        }
        if (sample == 0) unperturbed = parsed;
        job.record.memory_mb = parsed.memory_mb;
        for (std::size_t i = 0; i < parsed.assessment.criteria.size(); ++i)
          job.assessment_weights.emplace_back(parsed.assessment.criteria[i], parsed.assessment.weights[i]);
        if (parsed.sites)
          for (std::size_t i = 0; i < parsed.sites->factors.size(); ++i)
            job.site_weights.emplace_back(parsed.sites->factors[i], parsed.sites->weights[i]);
        job.record.id = id;
        job.record.variant = var.name;
        job.record.overrides = job_applied;
        if (split_value) {
          job.record.split_value = split_value->value;
          job.record.split_group = split_value->group;
        }
        if (sample > 0) job.record.sample = sample;
        job.record.scenario = scenario_path;
        job.record.output = output_path;
        plan.jobs.push_back(std::move(job));
      }
    }
  }
  return plan;
}

}  // namespace relocplan::batch
