#pragma once
// Arguments for GDAL's command-line style library calls (GDALWarp,
// GDALTranslate ...), kept alive for the duration of the call.

#include <string>
#include <vector>

namespace relocplan::raster {

class GdalArgs {
 public:
  GdalArgs& add(std::string s) {
    store_.push_back(std::move(s));
    return *this;
  }
  // A NULL-terminated argv; valid until the next add().
  char** argv() {
    ptrs_.clear();
    for (auto& s : store_) ptrs_.push_back(s.data());
    ptrs_.push_back(nullptr);
    return ptrs_.data();
  }

 private:
  std::vector<std::string> store_;
  std::vector<char*> ptrs_;
};

}  // namespace relocplan::raster
