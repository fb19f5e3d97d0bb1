#pragma once
#include <filesystem>
#include <string>

namespace relocplan::io {

// SHA-256 of a file's bytes, as 64 lower-case hex digits. Throws InputError.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace relocplan::io
