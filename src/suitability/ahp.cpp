#include "relocplan/suitability/ahp.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <string>

#include "relocplan/core/error.hpp"

namespace relocplan::suitability {

namespace {

// Saaty's random consistency index: the mean CI of random reciprocal matrices
// of order n with entries from the 1/9..9 scale. Source: Saaty, T. L. (1980),
// The Analytic Hierarchy Process, McGraw-Hill (n = 1..15).
constexpr std::array<double, 15> kRandomIndex = {0.0,  0.0,  0.58, 0.90, 1.12, 1.24, 1.32, 1.41,
                                                 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59};

// Matrix entries in messages are counted from 1, as a planner numbers the
// rows and columns of the matrix in the scenario file.
std::string entry(std::size_t i, std::size_t j, double value) {
  std::ostringstream s;
  s << "entry [" << i + 1 << "][" << j + 1 << "] = " << value;
  return s.str();
}

void validate(const std::vector<std::vector<double>>& a) {
  const std::size_t n = a.size();
  if (n == 0) throw core::ScenarioError("AHP matrix is empty: it needs one row per criterion");
  random_index(n);  // throws for more criteria than the random index is tabulated for
  for (std::size_t i = 0; i < n; ++i)
    if (a[i].size() != n)
      throw core::ScenarioError("AHP matrix: row " + std::to_string(i + 1) + " has " + std::to_string(a[i].size()) +
                                " entries but the matrix has " + std::to_string(n) + " rows; it must be square");
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j)
      if (!std::isfinite(a[i][j]) || !(a[i][j] > 0))
        throw core::ScenarioError("AHP matrix: " + entry(i, j, a[i][j]) + " must be a positive finite number");
  for (std::size_t i = 0; i < n; ++i)
    if (std::abs(a[i][i] - 1.0) > 1e-9)
      throw core::ScenarioError("AHP matrix: " + entry(i, i, a[i][i]) +
                                " must be 1 (a criterion is as important as itself)");
  // a_ji = 1 / a_ij within a relative 5 %, i.e. |a_ij a_ji - 1| <= 0.05:
  // planners type reciprocals as two-decimal numbers (0.33 for 1/3, 0.17 for
  // 1/6, 0.11 for 1/9, at most 2 % off), while a real disagreement between
  // the two judgements (3 against 1/2, say) is far outside it.
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (std::abs(a[i][j] * a[j][i] - 1.0) > 0.05 + 1e-12)
        throw core::ScenarioError("AHP matrix: " + entry(j, i, a[j][i]) + " is not the reciprocal of " +
                                  entry(i, j, a[i][j]) + " (rows and columns counted from 1)");
}

std::vector<double> multiply(const std::vector<std::vector<double>>& a, const std::vector<double>& w) {
  std::vector<double> out(w.size(), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i)
    for (std::size_t j = 0; j < w.size(); ++j) out[i] += a[i][j] * w[j];
  return out;
}

}  // namespace

double random_index(std::size_t n) {
  if (n > kRandomIndex.size())
    throw core::ScenarioError("AHP supports at most 15 criteria (Saaty's random index is tabulated for 1..15), got " +
                              std::to_string(n));
  return n == 0 ? 0.0 : kRandomIndex[n - 1];
}

AhpResult ahp_weights(const std::vector<std::vector<double>>& matrix) {
  validate(matrix);
  const std::size_t n = matrix.size();

  // Power iteration from the uniform vector. A positive matrix has a simple
  // dominant eigenvalue with a positive eigenvector (Perron-Frobenius), so the
  // iteration converges to it; for near-consistent matrices the other
  // eigenvalues are near 0 and a handful of steps suffice. Normalising to sum
  // 1 each step gives the weights directly.
  constexpr int kMaxIterations = 1000;
  constexpr double kTolerance = 1e-12;  // largest change of a weight between steps
  std::vector<double> w(n, 1.0 / static_cast<double>(n));
  double change = 1;
  for (int it = 0; it < kMaxIterations && !(change < kTolerance); ++it) {
    std::vector<double> next = multiply(matrix, w);
    double sum = 0;
    for (double v : next) sum += v;
    change = 0;
    for (std::size_t i = 0; i < n; ++i) {
      next[i] /= sum;
      change = std::max(change, std::abs(next[i] - w[i]));
    }
    w = std::move(next);
  }
  // The convergence rate is |lambda_2| / lambda_max. On Saaty's 1/9..9 scale
  // the worst 3 x 3 matrix (the cycle 9, 1/9, 9) has 0.84, about 160
  // iterations, and random matrices of up to 15 criteria took fewer; only
  // entries far outside the scale (ratios of 1000 and more) can reach the cap.
  // Weights that have not settled are not reported as if they had.
  if (!(change < kTolerance)) {
    std::ostringstream msg;
    msg << "AHP matrix: the weights did not converge in " << kMaxIterations << " power iterations (last change "
        << change << "); the comparisons are extremely inconsistent, use values on Saaty's 1/9..9 scale";
    throw core::ScenarioError(msg.str());
  }

  AhpResult r;
  const std::vector<double> aw = multiply(matrix, w);
  double lambda_sum = 0;
  for (std::size_t i = 0; i < n; ++i) lambda_sum += aw[i] / w[i];
  r.lambda_max = lambda_sum / static_cast<double>(n);
  r.weights = std::move(w);
  r.ri = random_index(n);
  // n <= 2 is always consistent (CI 0). lambda_max >= n for an exactly
  // reciprocal matrix; the reciprocal tolerance and rounding can put it a
  // hair below n, which means "consistent", hence the floor at 0.
  r.ci = n > 2 ? std::max(0.0, (r.lambda_max - static_cast<double>(n)) / static_cast<double>(n - 1)) : 0.0;
  r.cr = r.ri > 0 ? r.ci / r.ri : 0.0;
  return r;
}

std::vector<double> normalise_weights(const std::vector<double>& weights) {
  if (weights.empty()) throw core::ScenarioError("no weights given");
  double sum = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0) {
      std::ostringstream msg;
      msg << "weight " << i + 1 << " of " << weights.size() << " is " << weights[i]
          << "; weights must be finite and not negative";
      throw core::ScenarioError(msg.str());
    }
    sum += weights[i];
  }
  if (!(sum > 0)) throw core::ScenarioError("all weights are zero; at least one criterion needs a positive weight");
  if (!std::isfinite(sum)) throw core::ScenarioError("the weights are too large to add up; scale them down");
  std::vector<double> out(weights.size());
  for (std::size_t i = 0; i < weights.size(); ++i) out[i] = weights[i] / sum;
  return out;
}

}  // namespace relocplan::suitability
