#pragma once
// GEOS through its reentrant C API: one context per run, geometries owned by
// unique_ptr with a deleter that knows the context.

#include <geos_c.h>

#include <memory>
#include <string>

namespace relocplan::vector {

class GeosContext {
 public:
  GeosContext();
  ~GeosContext();
  GeosContext(const GeosContext&) = delete;
  GeosContext& operator=(const GeosContext&) = delete;
  GEOSContextHandle_t get() const { return ctx_; }
  // The last message GEOS reported.
  const std::string& last_error() const { return error_; }

 private:
  GEOSContextHandle_t ctx_;
  std::string error_;
};

struct GeomDeleter {
  GEOSContextHandle_t ctx = nullptr;
  void operator()(GEOSGeometry* g) const noexcept {
    if (g) GEOSGeom_destroy_r(ctx, g);
  }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

inline GeomPtr wrap(GEOSContextHandle_t ctx, GEOSGeometry* g) { return GeomPtr(g, GeomDeleter{ctx}); }

struct PreparedDeleter {
  GEOSContextHandle_t ctx = nullptr;
  void operator()(const GEOSPreparedGeometry* g) const noexcept {
    if (g) GEOSPreparedGeom_destroy_r(ctx, g);
  }
};
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

// Little-endian ISO WKB of a geometry (for writing with OGR).
std::string to_wkb(GEOSContextHandle_t ctx, const GEOSGeometry* g);

}  // namespace relocplan::vector
