#pragma once
// Strict reading of TOML tables into plain structs.
//
// Every key that is read is marked; finish() then rejects any key left over,
// so a typo in a scenario ("slop_deg") is an error naming the key and its line,
// never a silently ignored setting. Type errors name the key path, the line,
// the expected type and the value found.

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace relocplan::config {

class TableReader {
 public:
  // `file` and `path` ("inputs.dem") are used in messages only.
  TableReader(const toml::table& table, std::string file, std::string path);

  std::optional<std::string> optional_string(const std::string& key);
  std::string required_string(const std::string& key);
  std::optional<double> optional_number(const std::string& key);  // integer or float
  double required_number(const std::string& key);
  std::optional<long long> optional_integer(const std::string& key);
  std::optional<bool> optional_bool(const std::string& key);
  std::optional<std::vector<double>> optional_number_array(const std::string& key);
  std::optional<std::vector<std::string>> optional_string_array(const std::string& key);
  // An array of arrays of numbers (a matrix; rows may differ in length).
  std::optional<std::vector<std::vector<double>>> optional_number_matrix(const std::string& key);
  bool has(const std::string& key) const;
  // The raw node of a key, without marking it as read (for keys that accept
  // more than one type); nullptr when absent.
  const toml::node* peek(const std::string& key) const { return table_->get(key); }
  // A sub-table; marks the key as used.
  std::optional<TableReader> optional_table(const std::string& key);
  TableReader required_table(const std::string& key);
  // Keys of this table, in file order.
  std::vector<std::string> keys() const;

  // Throws ScenarioError for any key that was not read.
  void finish() const;

  // "scenario.toml:12: grid.cell_size_m" for messages about a key's value.
  std::string where(const std::string& key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  int line() const;

  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  const toml::node* get(const std::string& key);
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const toml::table* table_;
  std::string file_, path_;
  std::set<std::string> used_;
};

// Parses TOML text; syntax errors become ScenarioError with file and line.
toml::table parse_toml(const std::string& text, const std::string& file);

// A short rendering of a node's value for messages.
std::string describe_value(const toml::node& node);

}  // namespace relocplan::config
