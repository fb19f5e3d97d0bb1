#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <gdal.h>

int main(int argc, char** argv) {
  GDALAllRegister();
  CPLSetErrorHandler(CPLQuietErrorHandler);
  return Catch::Session().run(argc, argv);
}
