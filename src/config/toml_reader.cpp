#include "relocplan/config/toml_reader.hpp"

#include <algorithm>
#include <sstream>

#include "relocplan/core/error.hpp"
#include "relocplan/core/text.hpp"

namespace relocplan::config {

namespace {
std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "true/false";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}
}  // namespace

std::string describe_value(const toml::node& node) {
  std::ostringstream os;
  if (node.is_table()) return "a table";
  if (node.is_array()) {
    os << *node.as_array();
  } else if (node.is_string()) {
    os << '"' << node.as_string()->get() << '"';
  } else if (node.is_integer()) {
    os << node.as_integer()->get();
  } else if (node.is_floating_point()) {
    os << node.as_floating_point()->get();
  } else if (node.is_boolean()) {
    os << (node.as_boolean()->get() ? "true" : "false");
  } else {
    os << type_name(node);
  }
  std::string s = os.str();
  if (s.size() > 60) s = std::string(core::cut_utf8(s, 57)) + "...";
  return s;
}

toml::table parse_toml(const std::string& text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << file << ":" << e.source().begin.line << ": " << e.description();
    throw core::ScenarioError(os.str());
  }
}

TableReader::TableReader(const toml::table& table, std::string file, std::string path)
    : table_(&table), file_(std::move(file)), path_(std::move(path)) {}

int TableReader::line() const { return static_cast<int>(table_->source().begin.line); }

std::string TableReader::where(const std::string& key) const {
  const toml::node* n = table_->get(key);
  const int ln = n ? static_cast<int>(n->source().begin.line) : line();
  return file_ + ":" + std::to_string(ln) + ": " + key_path(key);
}

void TableReader::fail(const std::string& key, const std::string& message) const {
  throw core::ScenarioError(where(key) + ": " + message);
}

const toml::node* TableReader::get(const std::string& key) {
  used_.insert(key);
  return table_->get(key);
}

std::optional<std::vector<std::string>> TableReader::optional_string_array(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_array()) fail(key, "must be an array of strings, got " + type_name(*n) + " " + describe_value(*n));
  std::vector<std::string> out;
  for (const toml::node& e : *n->as_array()) {
    if (!e.is_string()) fail(key, "must be an array of strings; element " + describe_value(e) + " is " + type_name(e));
    out.push_back(e.as_string()->get());
  }
  return out;
}

std::optional<std::vector<std::vector<double>>> TableReader::optional_number_matrix(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_array()) fail(key, "must be an array of arrays of numbers, got " + type_name(*n));
  std::vector<std::vector<double>> out;
  for (const toml::node& row : *n->as_array()) {
    if (!row.is_array()) fail(key, "must be an array of arrays of numbers; row " + describe_value(row) + " is not an array");
    std::vector<double> r;
    for (const toml::node& e : *row.as_array()) {
      if (e.is_integer()) r.push_back(static_cast<double>(e.as_integer()->get()));
      else if (e.is_floating_point()) r.push_back(e.as_floating_point()->get());
      else fail(key, "must hold numbers; element " + describe_value(e) + " is " + type_name(e));
    }
    out.push_back(std::move(r));
  }
  return out;
}

bool TableReader::has(const std::string& key) const { return table_->contains(key); }

std::optional<std::string> TableReader::optional_string(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_string()) fail(key, "must be a string, got " + type_name(*n) + " " + describe_value(*n));
  return n->as_string()->get();
}

std::string TableReader::required_string(const std::string& key) {
  auto v = optional_string(key);
  if (!v)
    throw core::ScenarioError(file_ + ":" + std::to_string(line()) + ": required key '" + key_path(key) +
                              "' is missing");
  return *v;
}

std::optional<double> TableReader::optional_number(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
  if (n->is_floating_point()) return n->as_floating_point()->get();
  fail(key, "must be a number, got " + type_name(*n) + " " + describe_value(*n));
}

double TableReader::required_number(const std::string& key) {
  auto v = optional_number(key);
  if (!v)
    throw core::ScenarioError(file_ + ":" + std::to_string(line()) + ": required key '" + key_path(key) +
                              "' is missing");
  return *v;
}

std::optional<long long> TableReader::optional_integer(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) fail(key, "must be an integer, got " + type_name(*n) + " " + describe_value(*n));
  return n->as_integer()->get();
}

std::optional<bool> TableReader::optional_bool(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_boolean()) fail(key, "must be true or false, got " + type_name(*n) + " " + describe_value(*n));
  return n->as_boolean()->get();
}

std::optional<std::vector<double>> TableReader::optional_number_array(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_array()) fail(key, "must be an array of numbers, got " + type_name(*n) + " " + describe_value(*n));
  std::vector<double> out;
  for (const toml::node& e : *n->as_array()) {
    if (e.is_integer()) out.push_back(static_cast<double>(e.as_integer()->get()));
    else if (e.is_floating_point()) out.push_back(e.as_floating_point()->get());
    else fail(key, "must be an array of numbers; element " + describe_value(e) + " is " + type_name(e));
  }
  return out;
}

std::optional<TableReader> TableReader::optional_table(const std::string& key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  if (!n->is_table()) fail(key, "must be a table, got " + type_name(*n) + " " + describe_value(*n));
  return TableReader(*n->as_table(), file_, key_path(key));
}

TableReader TableReader::required_table(const std::string& key) {
  auto t = optional_table(key);
  if (!t)
    throw core::ScenarioError(file_ + ": required table [" + key_path(key) + "] is missing");
  return *t;
}

std::vector<std::string> TableReader::keys() const {
  std::vector<std::pair<int, std::string>> ordered;
  for (const auto& [k, v] : *table_) ordered.emplace_back(static_cast<int>(v.source().begin.line), std::string(k.str()));
  std::stable_sort(ordered.begin(), ordered.end());
  std::vector<std::string> out;
  for (auto& [ln, k] : ordered) out.push_back(k);
  return out;
}

void TableReader::finish() const {
  for (const auto& [k, v] : *table_) {
    const std::string key(k.str());
    if (used_.count(key)) continue;
    std::string known;
    for (const auto& u : used_) known += (known.empty() ? "" : ", ") + u;
    throw core::ScenarioError(file_ + ":" + std::to_string(v.source().begin.line) + ": unknown key '" +
                              key_path(key) + "'" + (known.empty() ? "" : " (known here: " + known + ")"));
  }
}

}  // namespace relocplan::config
