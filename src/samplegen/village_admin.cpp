// relocplan-samplegen: counties and townships: township seats chosen by
// farthest-point selection and Lloyd iterations, township names and codes;
// then village names, 12-digit codes and the final order of the villages.

#include "villages.hpp"

namespace relocplan::samplegen {

void organise(const World& w, uint64_t seed, std::vector<Village>& vs, std::vector<Township>& towns,
              const CountyLine& line) {
  (void)w;
  Rng rng(seed, 61);
  for (Village& vil : vs) vil.county = line.county(vil.ox, vil.ov);

  // township names: a shuffled pool, then syllable pairs
  std::vector<std::string> pool;
  for (const std::string& a : kTownAnimals) pool.push_back(a + "场");
  for (const std::string& e : kTownExtra) pool.push_back(e);
  for (size_t i = pool.size(); i-- > 1;) {
    const size_t j = static_cast<size_t>(rng.irange(0, static_cast<int64_t>(i)));
    std::swap(pool[i], pool[j]);
  }
  std::set<std::string> usedTown;
  size_t poolPos = 0;
  auto townName = [&]() {
    while (poolPos < pool.size()) {
      const std::string n = pool[poolPos++];
      if (usedTown.insert(n).second) return n;
    }
    for (;;) {
      const std::string n = pick(kCommonA, rng) + pick(kCommonB, rng);
      if (usedTown.insert(n).second) return n;
    }
  };

  for (int county = 0; county < 2; ++county) {
    std::vector<int> idx;
    for (size_t i = 0; i < vs.size(); ++i)
      if (vs[i].county == county) idx.push_back(static_cast<int>(i));
    if (idx.empty()) continue;
    const long nTowns = std::min<long>(static_cast<long>(idx.size()),
                                       std::max<long>(rng.irange(4, 6), static_cast<long>((idx.size() + 99) / 100)));
    std::vector<int> cands = idx;
    std::stable_sort(cands.begin(), cands.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(a)].households > vs[static_cast<size_t>(b)].households;
    });
    cands.resize(std::max<size_t>(static_cast<size_t>(nTowns), cands.size() * 2 / 5));
    // farthest-point selection among the larger villages
    std::vector<int> seats{cands[0]};
    std::vector<double> dmin(cands.size(), kInf);
    while (static_cast<long>(seats.size()) < nTowns) {
      const Village& last = vs[static_cast<size_t>(seats.back())];
      double bestD = -1.0;
      int best = -1;
      for (size_t k = 0; k < cands.size(); ++k) {
        const double dx = vs[static_cast<size_t>(cands[k])].x - last.x;
        const double dv = vs[static_cast<size_t>(cands[k])].v - last.v;
        dmin[k] = std::min(dmin[k], dx * dx + dv * dv);
        if (dmin[k] > bestD) {
          bestD = dmin[k];
          best = cands[k];
        }
      }
      seats.push_back(best);
    }
    // a few Lloyd iterations even out the township sizes; each seat is then
    // the large village nearest to its township's centre
    for (int iter = 0; iter < 6; ++iter) {
      std::vector<double> sx(seats.size(), 0.0);
      std::vector<double> sv(seats.size(), 0.0);
      std::vector<int> cnt(seats.size(), 0);
      for (int i : idx) {
        const Village& vi = vs[static_cast<size_t>(i)];
        double bestD = kInf;
        size_t best = 0;
        for (size_t k = 0; k < seats.size(); ++k) {
          const double dx = vi.x - vs[static_cast<size_t>(seats[k])].x;
          const double dv = vi.v - vs[static_cast<size_t>(seats[k])].v;
          if (dx * dx + dv * dv < bestD) {
            bestD = dx * dx + dv * dv;
            best = k;
          }
        }
        sx[best] += vi.x;
        sv[best] += vi.v;
        ++cnt[best];
      }
      std::set<int> taken;
      for (size_t k = 0; k < seats.size(); ++k) {
        if (cnt[k] == 0) {
          taken.insert(seats[k]);
          continue;
        }
        const double mx = sx[k] / cnt[k];
        const double mv = sv[k] / cnt[k];
        double bestD = kInf;
        int best = seats[k];
        for (int c : cands) {
          if (taken.count(c) != 0) continue;
          const double dx = vs[static_cast<size_t>(c)].x - mx;
          const double dv = vs[static_cast<size_t>(c)].v - mv;
          if (dx * dx + dv * dv < bestD) {
            bestD = dx * dx + dv * dv;
            best = c;
          }
        }
        seats[k] = best;
        taken.insert(best);
      }
    }
    // order seats north to south so codes read naturally
    std::stable_sort(seats.begin(), seats.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(a)].v < vs[static_cast<size_t>(b)].v;
    });
    // the larger seats (and all basin seats) are towns (镇), the rest 乡
    const long nZhen = std::max<long>(1, std::lround(0.65 * static_cast<double>(nTowns)));
    std::vector<int> bySize = seats;
    std::stable_sort(bySize.begin(), bySize.end(), [&](int a, int b) {
      return vs[static_cast<size_t>(a)].households > vs[static_cast<size_t>(b)].households;
    });
    const std::set<int> zhenSeats(bySize.begin(), bySize.begin() + nZhen);
    int zhenCode = 100;
    int xiangCode = 200;
    const size_t firstTown = towns.size();
    for (long k = 0; k < nTowns; ++k) {
      Township t;
      t.county = county;
      t.seat = seats[static_cast<size_t>(k)];
      const bool zhen = zhenSeats.count(t.seat) != 0 || vs[static_cast<size_t>(t.seat)].cls == kBasin;
      t.name = townName() + (zhen ? "镇" : "乡");
      // towns (zhen) get 1xx codes, townships (xiang) 2xx; very large
      // samples continue with 3xx/5xx/7xx and 4xx/6xx/8xx
      int& counter = zhen ? zhenCode : xiangCode;
      ++counter;
      if (counter % 100 == 0) counter += 101;
      if (counter > 899) fail("too many townships in one county", "use fewer villages or a smaller area");
      t.code = counter;
      towns.push_back(t);
    }
    (void)firstTown;
  }
}

// Names and codes, once every village knows its township.
void finishVillages(uint64_t seed, std::vector<Village>& vs, std::vector<Township>& towns) {
  // names
  Rng nameRng(seed, 71);
  std::set<std::string> used;
  for (Village& vil : vs) {
    vil.name = makeVillageName(vil.cls, nameRng, used);
    used.insert(vil.name);
  }

  // codes: county (6) + township (3) + village (3, from 201, north to south)
  const std::array<const char*, 2> countyCode = {"522798", "522799"};
  for (size_t t = 0; t < towns.size(); ++t) {
    std::vector<int> members;
    for (size_t i = 0; i < vs.size(); ++i)
      if (vs[i].town == static_cast<int>(t)) members.push_back(static_cast<int>(i));
    std::stable_sort(members.begin(), members.end(), [&](int a, int b) {
      const Village& va = vs[static_cast<size_t>(a)];
      const Village& vb = vs[static_cast<size_t>(b)];
      if (va.v != vb.v) return va.v < vb.v;
      return va.x < vb.x;
    });
    if (members.size() > 798) fail("too many villages in one township", "use fewer villages");
    for (size_t k = 0; k < members.size(); ++k) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%03d%03d", countyCode[static_cast<size_t>(towns[t].county)],
                    towns[t].code, static_cast<int>(201 + k));
      vs[static_cast<size_t>(members[k])].code = buf;
    }
  }
  std::vector<size_t> perm(vs.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::stable_sort(perm.begin(), perm.end(), [&](size_t a, size_t b) { return vs[a].code < vs[b].code; });
  std::vector<int> newIndex(vs.size());
  std::vector<Village> sorted;
  sorted.reserve(vs.size());
  for (size_t k = 0; k < perm.size(); ++k) {
    newIndex[perm[k]] = static_cast<int>(k);
    sorted.push_back(std::move(vs[perm[k]]));
  }
  vs = std::move(sorted);
  for (Township& t : towns) t.seat = newIndex[static_cast<size_t>(t.seat)];
}

}  // namespace relocplan::samplegen
