#include "relocplan/config/layer_defaults.hpp"

#include "relocplan/config/toml_reader.hpp"
#include "relocplan/core/error.hpp"

namespace relocplan::config {

LayerDefaults LayerDefaults::load_embedded() {
  LayerDefaults d;
  for (const auto& f : embedded_layer_files()) {
    const std::string file = std::string("layers/") + f.kind + ".toml";
    const toml::table root = parse_toml(f.text, file);
    TableReader top(root, file, "");
    const std::string kind = top.required_string("kind");
    if (kind != f.kind) top.fail("kind", "must equal the file name '" + std::string(f.kind) + "'");
    top.optional_string("title");
    auto& bucket = d.thresholds_[kind];
    if (auto th = top.optional_table("thresholds")) {
      for (const std::string& key : th->keys()) {
        TableReader t = th->required_table(key);
        Threshold x;
        x.kind = kind;
        x.key = key;
        x.value = x.default_value = t.required_number("value");
        x.unit = t.required_string("unit");
        x.description = t.optional_string("description").value_or("");
        x.source = t.required_string("source");
        x.assumption = x.source.rfind("assumption", 0) == 0;
        t.finish();
        bucket[key] = x;
      }
      th->finish();
    }
    top.finish();
  }
  return d;
}

const Threshold& LayerDefaults::get(const std::string& kind, const std::string& key) const {
  auto k = thresholds_.find(kind);
  if (k == thresholds_.end()) throw core::InternalError("no layer kind '" + kind + "' in layers/");
  auto t = k->second.find(key);
  if (t == k->second.end()) throw core::InternalError("no threshold '" + key + "' in layers/" + kind + ".toml");
  return t->second;
}

bool LayerDefaults::has(const std::string& kind, const std::string& key) const {
  auto k = thresholds_.find(kind);
  return k != thresholds_.end() && k->second.count(key) > 0;
}

bool LayerDefaults::has_kind(const std::string& kind) const { return thresholds_.count(kind) > 0; }

void LayerDefaults::set(const std::string& kind, const std::string& key, double value) {
  get(kind, key);  // throws for an unknown kind or key
  Threshold& t = thresholds_.at(kind).at(key);
  t.value = value;
  t.overridden = true;
}

std::vector<std::string> LayerDefaults::keys(const std::string& kind) const {
  std::vector<std::string> out;
  if (auto k = thresholds_.find(kind); k != thresholds_.end())
    for (const auto& [key, t] : k->second) out.push_back(key);
  return out;
}

std::vector<std::string> LayerDefaults::kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : thresholds_) out.push_back(k);
  return out;
}

}  // namespace relocplan::config
