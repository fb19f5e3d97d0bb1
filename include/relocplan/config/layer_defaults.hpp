#pragma once
// Policy defaults per layer kind (terrain, land cover, hazards ...), read from
// the layers/*.toml files compiled into the binary. Each threshold carries its
// unit and source; a scenario may override values, and the values used are
// recorded in the output.

#include <map>
#include <string>
#include <vector>

namespace relocplan::config {

struct EmbeddedLayerFile {
  const char* kind;
  const char* text;
};
// Generated at build time from layers/*.toml.
const std::vector<EmbeddedLayerFile>& embedded_layer_files();

struct Threshold {
  std::string kind, key;
  double value = 0;
  std::string unit, description, source;
  bool assumption = false;  // the source says "assumption"
  bool overridden = false;  // the scenario set it
  double default_value = 0;
};

class LayerDefaults {
 public:
  // Parses every embedded layers/*.toml file.
  static LayerDefaults load_embedded();

  const Threshold& get(const std::string& kind, const std::string& key) const;
  double value(const std::string& kind, const std::string& key) const { return get(kind, key).value; }
  bool has(const std::string& kind, const std::string& key) const;
  void set(const std::string& kind, const std::string& key, double value);
  std::vector<std::string> keys(const std::string& kind) const;
  bool has_kind(const std::string& kind) const;
  std::vector<std::string> kinds() const;
  const std::map<std::string, std::map<std::string, Threshold>>& all() const { return thresholds_; }

 private:
  std::map<std::string, std::map<std::string, Threshold>> thresholds_;
};

}  // namespace relocplan::config
