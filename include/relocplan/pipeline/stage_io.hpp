#pragma once
// What the stages of a run take from one another: the thematic polygons the
// terrain stage burns strip by strip for the zonal statistics; the site
// search's terrain inputs read back from the rasters the terrain stage wrote,
// its scratch rows and its cell results in output rasters, and its layers and
// moving villages; and the villages and sites the allocation pairs.

#include <geos_c.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "relocplan/allocation/allocate.hpp"
#include "relocplan/criteria/assessment.hpp"
#include "relocplan/io/output.hpp"
#include "relocplan/pipeline/run.hpp"
#include "relocplan/raster/burn.hpp"
#include "relocplan/sites/site_search.hpp"

namespace relocplan::pipeline {

// The burn code of a desertification polygon from its grade_code field's
// value: the grade 0-5 plus one (0 is "not mapped"). Throws InputError
// naming the layer, the field, the feature and the value for anything else.
std::uint8_t desertification_code(const config::VectorInput& input, const std::string& value, long long fid);

// The thematic layers of the zonal statistics (desertification grades,
// susceptibility, flood zones, reserve zones, the ecological red line) as
// codes per cell, burnt strip by strip; a layer the plan lacks stays null.
class ThematicRows {
 public:
  ThematicRows(const config::Scenario& s, const Plan& plan, GEOSContextHandle_t ctx);
  // Burns rows [row0, row0 + nrows) of `cols` cells and points `layers` at them.
  void burn(std::size_t row0, std::size_t nrows, std::size_t cols, criteria::BlockLayers& layers);
  // Gives the memory of the strip buffers back.
  void release_rows();

 private:
  std::unique_ptr<raster::StreamedPolygonBurner> desert_, susc_;  // read from their files strip by strip
  std::unique_ptr<raster::PolygonBurner> reserve_, flood_, redline_;
  std::vector<std::uint8_t> desert_rows_, susc_rows_, flood_rows_, reserve_rows_, redline_rows_;
};

// The site search's terrain inputs, read back strip by strip from the
// rasters the terrain stage wrote (and land cover from its source).
class TerrainReader : public sites::GridInputs {
 public:
  TerrainReader(const io::RasterStrips& slope, const io::RasterStrips& elevation, const raster::RasterSource* landcover)
      : slope_(slope), elevation_(elevation), landcover_(landcover) {}
  bool has_landcover() const override { return landcover_ != nullptr; }
  void read(std::size_t row0, std::size_t nrows, float* slope_deg, float* elevation_m,
            float* landcover) const override;

 private:
  const io::RasterStrips& slope_;
  const io::RasterStrips& elevation_;
  const raster::RasterSource* landcover_;
};

// The site search's cell results, strip by strip, into the output rasters.
class SiteRasterWriter : public sites::SiteRasterSink {
 public:
  SiteRasterWriter(io::RasterStrips& suitability, io::RasterStrips& classes, io::RasterStrips& constraints,
                   std::size_t cols)
      : suitability_(suitability), classes_(classes), constraints_(constraints), cols_(cols) {}
  void write(std::size_t row0, std::size_t nrows, const float* suit, const std::uint8_t* cls,
             const std::uint16_t* con) override;

 private:
  io::RasterStrips& suitability_;
  io::RasterStrips& classes_;
  io::RasterStrips& constraints_;
  std::size_t cols_;
  std::vector<float> values_;
};

// The plan's layers the site search uses.
sites::SiteLayers site_layers(const Plan& plan);
// Where the villages proposed to move (relocate_whole, relocate_registered) lie.
std::vector<std::pair<double, double>> moving_villages(const Plan& plan,
                                                       const std::vector<criteria::VillageAssessment>& as);
// The allocation's demand: villages with relocating households.
std::vector<allocation::Place> allocation_demand(const Plan& plan, const std::vector<criteria::VillageAssessment>& as);
// The allocation's supply: the sites at a point on their surface, urban when
// they lie within `urban_max_travel_min` of a town.
std::vector<allocation::Place> allocation_supply(GEOSContextHandle_t ctx, const sites::SiteSearchResult& found,
                                                 double urban_max_travel_min);

}  // namespace relocplan::pipeline
