#include "test_support.hpp"

#include <cpl_string.h>
#include <fcntl.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

namespace testsupport {

std::vector<float> random_friction(std::mt19937& rng, std::size_t cells, double nodata_share) {
  std::uniform_real_distribution<float> speed(0.002f, 0.05f);
  std::bernoulli_distribution hole(nodata_share);
  std::vector<float> f(cells);
  for (auto& v : f) v = hole(rng) ? std::numeric_limits<float>::quiet_NaN() : speed(rng);
  return f;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "relocplan-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {
OGRSpatialReferenceH make_srs(const std::string& crs) {
  OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
  if (OSRSetFromUserInput(srs, crs.c_str()) != OGRERR_NONE) throw std::runtime_error("bad CRS " + crs);
  OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}
}  // namespace

void write_geotiff(const fs::path& path, const RasterData& d, const std::string& crs) {
  GDALDriverH drv = GDALGetDriverByName("GTiff");
  GDALDatasetH ds = GDALCreate(drv, path.c_str(), static_cast<int>(d.cols), static_cast<int>(d.rows), 1, GDT_Float32,
                               nullptr);
  if (!ds) throw std::runtime_error("cannot create " + path.string());
  auto gt = d.geotransform;
  GDALSetGeoTransform(ds, gt.data());
  if (!crs.empty()) {
    OGRSpatialReferenceH srs = make_srs(crs);
    GDALSetSpatialRef(ds, srs);
    OSRRelease(srs);
  }
  GDALRasterBandH b = GDALGetRasterBand(ds, 1);
  if (d.nodata) GDALSetRasterNoDataValue(b, *d.nodata);
  if (GDALRasterIO(b, GF_Write, 0, 0, static_cast<int>(d.cols), static_cast<int>(d.rows),
                   const_cast<float*>(d.values.data()), static_cast<int>(d.cols), static_cast<int>(d.rows),
                   GDT_Float32, 0, 0) != CE_None)
    throw std::runtime_error("cannot write " + path.string());
  GDALClose(ds);
}

RasterData read_raster(const std::string& name) {
  GDALDatasetH ds = GDALOpenEx(name.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!ds) throw std::runtime_error("cannot open raster " + name);
  RasterData d;
  d.cols = static_cast<std::size_t>(GDALGetRasterXSize(ds));
  d.rows = static_cast<std::size_t>(GDALGetRasterYSize(ds));
  GDALGetGeoTransform(ds, d.geotransform.data());
  GDALRasterBandH b = GDALGetRasterBand(ds, 1);
  int has = 0;
  const double nd = GDALGetRasterNoDataValue(b, &has);
  if (has) d.nodata = nd;
  d.values.resize(d.rows * d.cols);
  if (GDALRasterIO(b, GF_Read, 0, 0, static_cast<int>(d.cols), static_cast<int>(d.rows), d.values.data(),
                   static_cast<int>(d.cols), static_cast<int>(d.rows), GDT_Float32, 0, 0) != CE_None)
    throw std::runtime_error("cannot read raster " + name);
  GDALClose(ds);
  return d;
}

RasterData synthetic_dem(std::size_t rows, std::size_t cols, double xmin, double ymax, double cell, double amplitude) {
  RasterData d;
  d.rows = rows;
  d.cols = cols;
  d.geotransform = {xmin, cell, 0, ymax, 0, -cell};
  d.values.resize(rows * cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const double x = static_cast<double>(c) * cell, y = static_cast<double>(r) * cell;
      const double ridge = std::abs(std::sin(x / 1700.0 + 0.3) * std::cos(y / 2300.0));
      const double z = 1000.0 + amplitude * (0.6 * std::sin(x / 900.0) * std::cos(y / 1300.0) + 0.8 * ridge +
                                             0.15 * std::sin((x + 2 * y) / 210.0));
      d.values[r * cols + c] = static_cast<float>(z);
    }
  return d;
}

void write_villages(const fs::path& path, const std::string& crs, const std::vector<TestVillage>& villages) {
  const std::string ext = path.extension().string();
  if (ext == ".csv") {
    std::ofstream out(path);
    out << "code,name,x,y,pop,hh,poor\n";
    out.precision(12);
    for (const auto& v : villages) {
      out << v.id << "," << v.name << "," << v.x << "," << v.y << ",";
      if (v.population) out << *v.population;
      out << ",";
      if (v.households) out << *v.households;
      out << ",";
      if (v.poor_households) out << *v.poor_households;
      out << "\n";
    }
    return;
  }
  const char* driver = ext == ".gpkg" ? "GPKG" : ext == ".shp" ? "ESRI Shapefile" : "GeoJSON";
  GDALDatasetH ds = GDALCreate(GDALGetDriverByName(driver), path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
  if (!ds) throw std::runtime_error("cannot create " + path.string());
  OGRSpatialReferenceH srs = make_srs(crs);
  OGRLayerH layer = GDALDatasetCreateLayer(ds, "villages", srs, wkbPoint, nullptr);
  OSRRelease(srs);
  auto add = [&](const char* n, OGRFieldType t) {
    OGRFieldDefnH fd = OGR_Fld_Create(n, t);
    OGR_L_CreateField(layer, fd, TRUE);
    OGR_Fld_Destroy(fd);
  };
  add("code", OFTString);
  add("name", OFTString);
  add("pop", OFTInteger);
  add("hh", OFTInteger);
  add("poor", OFTInteger);
  for (const auto& v : villages) {
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    OGR_F_SetFieldString(f, 0, v.id.c_str());
    OGR_F_SetFieldString(f, 1, v.name.c_str());
    if (v.population) OGR_F_SetFieldInteger64(f, 2, *v.population);
    if (v.households) OGR_F_SetFieldInteger64(f, 3, *v.households);
    if (v.poor_households) OGR_F_SetFieldInteger64(f, 4, *v.poor_households);
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, v.x, v.y);
    OGR_F_SetGeometryDirectly(f, g);
    if (OGR_L_CreateFeature(layer, f) != OGRERR_NONE) throw std::runtime_error("cannot write village " + v.id);
    OGR_F_Destroy(f);
  }
  GDALClose(ds);
}

std::vector<std::map<std::string, std::string>> read_features(const fs::path& path, const std::string& layer_name) {
  GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!ds) throw std::runtime_error("cannot open " + path.string());
  OGRLayerH layer = GDALDatasetGetLayerByName(ds, layer_name.c_str());
  if (!layer) throw std::runtime_error("no layer " + layer_name + " in " + path.string());
  std::vector<std::map<std::string, std::string>> rows;
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  for (OGRFeatureH f = OGR_L_GetNextFeature(layer); f; f = OGR_L_GetNextFeature(layer)) {
    std::map<std::string, std::string> row;
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
      const std::string name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
      if (!OGR_F_IsFieldSetAndNotNull(f, i)) {
        row[name] = "";
        continue;
      }
      if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)) == OFTReal) {
        std::ostringstream os;
        os.precision(17);
        os << OGR_F_GetFieldAsDouble(f, i);
        row[name] = os.str();
      } else {
        row[name] = OGR_F_GetFieldAsString(f, i);
      }
    }
    if (OGRGeometryH g = OGR_F_GetGeometryRef(f)) {
      std::ostringstream os;
      os.precision(17);
      os << OGR_G_GetX(g, 0) << " " << OGR_G_GetY(g, 0);
      row["@geom"] = os.str();
    }
    rows.push_back(std::move(row));
    OGR_F_Destroy(f);
  }
  GDALClose(ds);
  return rows;
}

std::vector<std::string> layer_names(const fs::path& path) {
  GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!ds) throw std::runtime_error("cannot open " + path.string());
  std::vector<std::string> names;
  for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) names.emplace_back(OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
  GDALClose(ds);
  return names;
}

std::string light_sample_scenario() {
  std::string text = read_text(fs::path(RELOCPLAN_SOURCE_DIR) / "samples/sample-county/scenario.toml");
  const auto a = text.find("# Resettlement sites");
  const auto b = text.find("[processing]");
  const auto o = text.find("[output]");
  if (a == std::string::npos || b == std::string::npos || o == std::string::npos || !(a < b && b < o))
    throw std::runtime_error("the sample scenario no longer has its sites, processing and output sections");
  text.erase(o);
  text.erase(a, b - a);
  return text;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  CommandResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

fs::path shared_data_dir() { return fs::path(RELOCPLAN_SHARED_DIR) / "data" / "real"; }
bool has_temp_files(const fs::path& dir) {
  if (!fs::exists(dir)) return false;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
  return false;
}

bool shared_data_present() { return fs::is_directory(shared_data_dir()); }

}  // namespace testsupport
