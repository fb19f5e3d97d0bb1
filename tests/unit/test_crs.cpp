#include <catch2/catch.hpp>

#include "relocplan/core/error.hpp"
#include "relocplan/vector/crs.hpp"

using namespace relocplan;

TEST_CASE("auto CRS: CGCS2000 3-degree Gauss-Kruger zone in China", "[crs]") {
  CHECK(vector::auto_working_crs(107.3, 26.0).authority_code() == "EPSG:4545");  // CM 108E, southern Guizhou
  CHECK(vector::auto_working_crs(103.75, 25.58).authority_code() == "EPSG:4544");  // CM 105E, eastern Yunnan
  CHECK(vector::auto_working_crs(116.4, 39.9).authority_code() == "EPSG:4548");  // CM 117E, Beijing
  CHECK(vector::auto_working_crs(75.99, 39.47).authority_code() == "EPSG:4534");  // CM 75E, Kashgar
}

TEST_CASE("auto CRS: UTM outside China", "[crs]") {
  CHECK(vector::auto_working_crs(20.4, -34.0).authority_code() == "EPSG:32734");  // Swellendam, South Africa
  CHECK(vector::auto_working_crs(9.0, 48.0).authority_code() == "EPSG:32632");
  CHECK(vector::auto_working_crs(105.8, 21.0).authority_code() == "EPSG:32648");  // Hanoi: CM 105E zone does not cover it
}

TEST_CASE("CRS parsing and comparison", "[crs]") {
  CHECK(vector::Crs::from_user_input("EPSG:4490").is_geographic());
  CHECK(vector::Crs::from_user_input("EPSG:4545").is_projected());
  CHECK(vector::Crs::from_user_input("EPSG:4545").same_as(vector::Crs::from_epsg(4545)));
  CHECK_FALSE(vector::Crs::from_epsg(4545).same_as(vector::Crs::from_epsg(4544)));
  CHECK_THROWS_AS(vector::Crs::from_user_input("EPSG:99999999"), core::ScenarioError);
  CHECK_THROWS_AS(vector::Crs::from_user_input("not a crs"), core::ScenarioError);
}

TEST_CASE("transformations keep x = longitude, y = latitude", "[crs]") {
  std::vector<double> xs = {107.3}, ys = {26.0};
  vector::Transformer(vector::Crs::from_epsg(4490), vector::Crs::from_epsg(4545)).transform_in_place(xs, ys, false);
  CHECK(xs[0] == Approx(430000).margin(1000));  // 0.7 degrees (70 km) west of CM 108E
  CHECK(ys[0] == Approx(2876000).margin(2000));
}
