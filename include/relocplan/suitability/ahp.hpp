#pragma once
// Criterion weights: given directly, or derived from an Analytic Hierarchy
// Process pairwise-comparison matrix (Saaty 1980, The Analytic Hierarchy
// Process, McGraw-Hill): the weights are the principal eigenvector, and the
// consistency ratio CR = CI / RI with CI = (lambda_max - n) / (n - 1) and RI
// Saaty's random index; a matrix with CR > 0.1 is conventionally rejected.

#include <cstddef>
#include <vector>

namespace relocplan::suitability {

struct AhpResult {
  std::vector<double> weights;  // sum to 1
  double lambda_max = 0;
  double ci = 0;  // consistency index
  double ri = 0;  // random index for n
  double cr = 0;  // consistency ratio (0 for n <= 2)
  bool acceptable() const { return cr <= 0.1; }
};

// Throws core::ScenarioError when the matrix is not square, has non-positive
// entries, a diagonal other than 1, or is not reciprocal (a_ji = 1 / a_ij,
// relative tolerance 5 %, so that two-decimal reciprocals such as 0.33 for
// 1/3 and 0.17 for 1/6 are accepted).
AhpResult ahp_weights(const std::vector<std::vector<double>>& matrix);

// Saaty's random consistency index for n = 1..15 (0 for n <= 2).
double random_index(std::size_t n);

// Scales non-negative weights to sum to 1; throws core::ScenarioError if any
// is negative or not finite, or all are zero.
std::vector<double> normalise_weights(const std::vector<double>& weights);

}  // namespace relocplan::suitability
