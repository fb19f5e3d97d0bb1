// relocplan-samplegen: the usage text and the command-line parser (defaults,
// ranges of --size-km, --cell-m and --villages).

#include "options.hpp"

namespace relocplan::samplegen {

namespace {

void usage(std::FILE* f) {
  std::fprintf(f,
               "usage: %s OUTDIR [--seed N] [--size-km K] [--cell-m C] [--villages N]\n"
               "Writes a synthetic karst county: OUTDIR/dem.tif, villages.csv, villages_4544.gpkg,\n"
               "landcover.tif, fragility.tif, hazard_points.shp and layers.gpkg (see samples/README.md).\n"
               "Defaults: --seed 20161 --size-km 60 --cell-m 30,\n"
               "--villages 600 per 3600 km2 of area.  The same arguments give identical files.\n",
               kProg);
}

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kProg, msg.c_str());
  usage(stderr);
  std::exit(2);
}

}  // namespace

Options parseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto numArg = [&](size_t& i, const std::string& name, std::string& out) {
    const std::string& a = args[i];
    if (a.size() > name.size() && a.compare(0, name.size() + 1, name + "=") == 0) {
      out = a.substr(name.size() + 1);
      return true;
    }
    if (a == name) {
      if (i + 1 >= args.size()) usageError("missing value for " + name);
      out = args[++i];
      return true;
    }
    return false;
  };
  auto parseNumber = [](const std::string& name, const std::string& s) {
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (s.empty() || end == nullptr || *end != '\0' || !std::isfinite(d))
      usageError("invalid value for " + name + ": " + s);
    return d;
  };
  auto parseCount = [](const std::string& name, const std::string& s) {
    char* end = nullptr;
    if (s.empty() || s[0] == '-') usageError("invalid value for " + name + ": " + s);
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (end == nullptr || *end != '\0') usageError("invalid value for " + name + ": " + s);
    return static_cast<uint64_t>(v);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string val;
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(0);
    } else if (numArg(i, "--seed", val)) {
      o.seed = parseCount("--seed", val);
    } else if (numArg(i, "--size-km", val)) {
      o.sizeKm = parseNumber("--size-km", val);
    } else if (numArg(i, "--cell-m", val)) {
      o.cellM = parseNumber("--cell-m", val);
    } else if (numArg(i, "--villages", val)) {
      o.villages = static_cast<long>(parseCount("--villages", val));
    } else if (!a.empty() && a[0] == '-') {
      usageError("unknown option " + a);
    } else if (o.outdir.empty()) {
      o.outdir = a;
    } else {
      usageError("more than one OUTDIR given");
    }
  }
  if (o.outdir.empty()) usageError("OUTDIR is required");
  if (o.sizeKm < 10.0 || o.sizeKm > 1000.0) usageError("--size-km must be between 10 and 1000");
  if (o.cellM < 5.0 || o.cellM > 500.0) usageError("--cell-m must be between 5 and 500");
  if (o.sizeKm * 1000.0 / o.cellM > 100000.0) usageError("raster would exceed 100000 x 100000 cells");
  const double areaKm2 = o.sizeKm * o.sizeKm;
  if (o.villages < 0) o.villages = std::lround(600.0 * areaKm2 / 3600.0);
  if (o.villages < 1) usageError("--villages must be at least 1");
  if (static_cast<double>(o.villages) > areaKm2 / 2.0)
    usageError("--villages too large for the area (at most one village per 2 km2)");
  return o;
}

}  // namespace relocplan::samplegen
