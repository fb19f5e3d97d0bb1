#pragma once
// relocplan-samplegen: the world: the terrain carved by the valley network,
// with one NoData void.  Built once (the drainage network, river beds,
// basins, valley widths and segments, in world_network.cpp), then evaluated
// cell by cell for the DEM and probed for slope and height above the river
// where villages are placed (world.cpp).  Segments are found through a
// coarse bucket index; the DEM is written in independent strips of rows.

#include "common.hpp"
#include "noise.hpp"
#include "options.hpp"
#include "terrain.hpp"
#include "valleys.hpp"

namespace relocplan::samplegen {

struct Probe {
  bool valid = false;
  double h = 0.0;
  double slope = 0.0;   // degrees
  double hand = 0.0;    // height above the nearest river bed (m)
  double dRiver = 0.0;  // distance to the nearest river centre-line (m)
  int order = 0;        // order of the nearest river
  int basin = -1;       // basin index if on a basin floor
};

class World {
 public:
  explicit World(const Options& o)
      : opt_(o),
        cell_(o.cellM),
        ncols_(static_cast<int>(std::lround(o.sizeKm * 1000.0 / o.cellM))),
        nrows_(ncols_),
        W_(ncols_ * cell_),
        H_(nrows_ * cell_),
        ter_(W_, H_, o.seed),
        wallSalt_(mix64(o.seed ^ 0xA11ULL)) {}

  // Builds the valley network and chooses the void; before any evaluation.
  void build();

  int ncols() const { return ncols_; }
  int nrows() const { return nrows_; }
  double cell() const { return cell_; }
  double width() const { return W_; }
  double height() const { return H_; }
  const std::vector<River>& rivers() const { return rivers_; }
  const std::vector<Basin>& basins() const { return basins_; }
  const std::vector<Seg>& segments() const { return segs_; }
  double karst(double x, double v) const { return ter_.karstMask(x, v); }

  // Writes the cell values of rows [r0, r0 + nr) into buf (nr * ncols).
  void fillRows(int r0, int nr, std::vector<float>& buf) const;

  // Value of one DEM cell (identical to what fillRows writes).
  float cellAt(int c, int r) const;

  // Elevation, slope and nearest river at (x, v), from the DEM cells around.
  Probe probe(double x, double v) const;

  bool nearVoid(double x, double v, double dist) const {
    const double dx = x - voidX_;
    const double dv = v - voidV_;
    return dx * dx + dv * dv < dist * dist;
  }

 private:
  struct Run {
    int first;
    int count;
  };
  static constexpr int kFine = 8;     // cells per fine bucket side
  static constexpr int kCoarse = 64;  // cells per coarse bucket side
  static constexpr double kSmooth = 45.0;
  static constexpr double kFlowCell = 240.0;    // drainage grid spacing (m)
  static constexpr double kFlowMargin = 2400.0;  // drainage grid beyond the DEM (m)
  static constexpr double kChannelArea = 0.9;  // km2 that start a valley
  static constexpr double kMaxGrade = 0.08;    // steepest bed gradient near a confluence

  bool inside(const Pt& p, double margin) const {
    return p.x >= -margin && p.v >= -margin && p.x <= W_ + margin && p.v <= H_ + margin;
  }

  // building (world_network.cpp)
  void buildRivers();
  static void arclength(River& r);
  static double incision(double area);
  void computeBeds();
  double bedAt(const River& r, double s) const;
  void placeBasins();
  void computeWidths();
  void buildSegments();
  static void addRun(std::vector<Run>& runs, int si);
  void settleBeds();

  // evaluation (world.cpp)
  void coarseList(int c, int r, std::vector<int>& out) const;
  void fineBucket(int bc, int br, std::vector<int>& kept) const;
  double wallPert(double x, double v) const;
  double texture(double x, double v, double e) const;
  double surface(double x, double v, const std::vector<int>& segIdx, int skip) const;
  float cellValue(int c, int r, const std::vector<int>& kept) const;
  bool inVoid(double x, double v) const;
  void chooseVoid();

  Options opt_;
  double cell_;
  int ncols_, nrows_;
  double W_, H_;
  Terrain ter_;
  std::vector<River> rivers_;
  std::vector<Basin> basins_;
  std::vector<Seg> segs_;
  int ncx_ = 0, ncv_ = 0;
  std::vector<std::vector<Run>> coarse_;
  double voidX_ = -1e9, voidV_ = -1e9, voidR_ = 0.0, voidRmax_ = 0.0;
  std::array<std::pair<double, double>, 4> voidHarm_{};
  mutable std::map<int64_t, std::vector<int>> cache_;
  mutable std::vector<double> lbScratch_;
  mutable std::vector<int> candScratch_;
  uint64_t wallSalt_ = 0;
};

}  // namespace relocplan::samplegen
