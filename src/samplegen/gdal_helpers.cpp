// relocplan-samplegen: the error helpers (fail, failGdal, the GDAL error
// handler), the coordinate transformation of point arrays, and removing and
// renaming files.

#include "gdal_helpers.hpp"

namespace relocplan::samplegen {

[[noreturn]] void fail(const std::string& what, const std::string& detail) {
  throw Failure{what, detail};
}

std::string gdalMessage() {
  const char* m = CPLGetLastErrorMsg();
  if (m != nullptr && *m != '\0') return m;
  return "unknown GDAL error";
}

[[noreturn]] void failGdal(const std::string& what) { fail(what, gdalMessage()); }

void CPL_STDCALL errorHandler(CPLErr cls, CPLErrorNum /*num*/, const char* msg) {
  // Failures are reported by the caller (with context); warnings are shown.
  if (cls == CE_Warning && msg != nullptr)
    std::fprintf(stderr, "%s: GDAL warning: %s\n", kProg, msg);
}

void TransformHandle::apply(std::vector<double>& xs, std::vector<double>& ys, const std::string& what) const {
  if (xs.empty()) return;
  std::vector<int> ok(xs.size(), 0);
  if (!OCTTransformEx(h, static_cast<int>(xs.size()), xs.data(), ys.data(), nullptr, ok.data()))
    failGdal(what);
  for (int f : ok)
    if (!f) failGdal(what);
}

void removeIfExists(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
  if (ec) fail("cannot remove " + p.string(), ec.message());
}

void renameInto(const fs::path& tmp, const fs::path& dst) {
  std::error_code ec;
  fs::rename(tmp, dst, ec);
  if (ec) fail("cannot rename " + tmp.string() + " to " + dst.string(), ec.message());
}

}  // namespace relocplan::samplegen
