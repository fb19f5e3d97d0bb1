#pragma once
// Checks on the files a scenario or batch file names, before GDAL opens them,
// so that the error says what is wrong with the file itself.

#include <filesystem>
#include <string>

namespace relocplan::core {

// Throws ScenarioError (exit 2) when `path` does not exist or is a folder, and
// InputError (exit 3) when it is an empty file. `key` names the setting, as
// "inputs.dem.path".
void check_input_file(const std::string& key, const std::filesystem::path& path);

// The reason GDAL gave for failing to open a file, or a plain one when GDAL
// gave none (it recognised no format in the file).
std::string open_failure_reason(const char* kind);

// What a path is when it does not name a local file: a GDAL virtual file
// system path (/vsicurl/, /vsis3/, /vsistdin/ ...), a URL, or a driver
// connection string ("PG:dbname=...", "WFS:http://..."); empty for a local
// path. Scenario and batch files accept local files only, so that a file
// received from elsewhere cannot make a run reach out to a network or a
// service.
std::string non_local_path(const std::string& path);

}  // namespace relocplan::core
