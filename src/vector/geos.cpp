#include "relocplan/vector/geos.hpp"

#include "relocplan/core/error.hpp"

namespace relocplan::vector {

GeosContext::GeosContext() : ctx_(GEOS_init_r()) {
  if (!ctx_) throw core::InternalError("cannot initialise GEOS");
  GEOSContext_setErrorMessageHandler_r(
      ctx_,
      [](const char* message, void* user) {
        if (user && message) *static_cast<std::string*>(user) = message;
      },
      &error_);
}

GeosContext::~GeosContext() { GEOS_finish_r(ctx_); }

std::string to_wkb(GEOSContextHandle_t ctx, const GEOSGeometry* g) {
  GEOSWKBWriter* w = GEOSWKBWriter_create_r(ctx);
  GEOSWKBWriter_setByteOrder_r(ctx, w, GEOS_WKB_NDR);
  std::size_t size = 0;
  unsigned char* buf = GEOSWKBWriter_write_r(ctx, w, g, &size);
  GEOSWKBWriter_destroy_r(ctx, w);
  if (!buf) throw core::InternalError("GEOS cannot write a geometry as WKB");
  std::string out(reinterpret_cast<char*>(buf), size);
  GEOSFree_r(ctx, buf);
  return out;
}

}  // namespace relocplan::vector
