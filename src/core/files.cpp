#include "relocplan/core/files.hpp"

#include <algorithm>
#include <cctype>

#include <cpl_vsi.h>

#include "relocplan/core/error.hpp"

namespace relocplan::core {

void check_input_file(const std::string& key, const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  // GDAL's in-memory files (programs that embed the library, and the fuzz
  // targets); scenario and batch files cannot name them (non_local_path).
  if (path.native().rfind("/vsimem/", 0) == 0) {
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) != 0) throw ScenarioError(key + ": file '" + path.string() + "' does not exist");
    if (st.st_size == 0) throw InputError(key + ": file '" + path.string() + "' is empty (0 bytes)");
    return;
  }
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw ScenarioError(key + ": file '" + path.string() + "' does not exist");
  if (fs::is_directory(status)) throw ScenarioError(key + ": '" + path.string() + "' is a folder, not a file");
  if (fs::is_regular_file(status) && fs::file_size(path, ec) == 0 && !ec)
    throw InputError(key + ": file '" + path.string() + "' is empty (0 bytes)");
}

std::string open_failure_reason(const char* kind) {
  std::string reason = last_gdal_error();
  if (reason.empty()) reason = std::string("GDAL recognises no ") + kind + " format in it";
  return reason;
}

std::string non_local_path(const std::string& path) {
  if (path.rfind("/vsi", 0) == 0) return "a GDAL virtual file system path";
  if (path.find("://") != std::string::npos) return "a URL";
  const auto colon = path.find(':');
  if (colon != std::string::npos && colon > 1) {
    const std::string prefix = path.substr(0, colon);
    if (std::all_of(prefix.begin(), prefix.end(),
                    [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; }))
      return "a data source connection string ('" + prefix + ":')";
  }
  return "";
}

}  // namespace relocplan::core
