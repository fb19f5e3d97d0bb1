#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "relocplan/core/error.hpp"
#include "relocplan/suitability/ahp.hpp"

using relocplan::suitability::ahp_weights;
using relocplan::suitability::AhpResult;
using relocplan::suitability::normalise_weights;
using relocplan::suitability::random_index;
using Matrix = std::vector<std::vector<double>>;
using Catch::Matchers::Contains;

constexpr double kInf = std::numeric_limits<double>::infinity();

namespace {

// The reciprocal 3 x 3 matrix with a12 = a, a13 = b, a23 = c.
Matrix three(double a, double b, double c) { return {{1, a, b}, {1 / a, 1, c}, {1 / b, 1 / c, 1}}; }

// The message of the ScenarioError that ahp_weights throws (other exception
// types escape and fail the test).
std::string ahp_error(const Matrix& m) {
  try {
    ahp_weights(m);
  } catch (const relocplan::core::ScenarioError& e) {
    return e.what();
  }
  return "(no ScenarioError)";
}

std::string weights_error(const std::vector<double>& w) {
  try {
    normalise_weights(w);
  } catch (const relocplan::core::ScenarioError& e) {
    return e.what();
  }
  return "(no ScenarioError)";
}

}  // namespace

TEST_CASE("AHP: a consistent matrix gives the ratios it was built from", "[ahp]") {
  const std::vector<double> v = {4, 2, 1, 0.5, 3};  // sum 10.5
  Matrix m(v.size(), std::vector<double>(v.size()));
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = 0; j < v.size(); ++j) m[i][j] = v[i] / v[j];
  const AhpResult r = ahp_weights(m);
  REQUIRE(r.weights.size() == 5);
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(r.weights[i] == Approx(v[i] / 10.5).margin(1e-9));
  CHECK(r.lambda_max == Approx(5.0).margin(1e-9));
  CHECK(r.ci == Approx(0.0).margin(1e-9));
  CHECK(r.ri == 1.12);
  CHECK(r.cr == Approx(0.0).margin(1e-9));
  CHECK(r.acceptable());
}

TEST_CASE("AHP: 3 x 3 matrices against the closed-form eigenvalue", "[ahp]") {
  // For a12 = a, a13 = b, a23 = c the characteristic polynomial is
  // (1 - l)^3 - 3 (1 - l) + x + 1/x with x = b / (a c), so the principal
  // eigenvalue is 1 + x^(1/3) + x^(-1/3), and the principal eigenvector is the
  // normalised row-wise geometric mean (w_i ~ (a_i1 a_i2 a_i3)^(1/3)).
  struct Case {
    double a, b, c;
    double cr;  // the closed form evaluated by hand (Python), as a cross-check
    bool acceptable;
  };
  const Case cases[] = {{3, 5, 2, 0.0031849983307, true}, {2, 9, 1.0 / 3, 0.6905821217678, false}};
  for (const Case& k : cases) {
    INFO("a = " << k.a << ", b = " << k.b << ", c = " << k.c);
    const Matrix m = three(k.a, k.b, k.c);
    const AhpResult r = ahp_weights(m);
    const double x = k.b / (k.a * k.c);
    const double lambda = 1 + std::cbrt(x) + 1 / std::cbrt(x);
    CHECK(r.lambda_max == Approx(lambda).epsilon(1e-12));
    CHECK(r.ci == Approx((lambda - 3) / 2).epsilon(1e-9));
    CHECK(r.ri == 0.58);
    CHECK(r.cr == Approx((lambda - 3) / 2 / 0.58).epsilon(1e-9));
    CHECK(r.cr == Approx(k.cr).epsilon(1e-10));
    CHECK(r.acceptable() == k.acceptable);
    // A w = lambda w, and w is the normalised geometric mean of the rows.
    REQUIRE(r.weights.size() == 3);
    double gm_sum = 0;
    std::vector<double> gm(3);
    for (std::size_t i = 0; i < 3; ++i) gm_sum += gm[i] = std::cbrt(m[i][0] * m[i][1] * m[i][2]);
    double w_sum = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      w_sum += r.weights[i];
      const double aw = m[i][0] * r.weights[0] + m[i][1] * r.weights[1] + m[i][2] * r.weights[2];
      CHECK(aw == Approx(lambda * r.weights[i]).epsilon(1e-10));
      CHECK(r.weights[i] == Approx(gm[i] / gm_sum).epsilon(1e-10));
    }
    CHECK(w_sum == Approx(1.0).epsilon(1e-14));
  }
}

TEST_CASE("AHP: a badly inconsistent matrix is not acceptable", "[ahp]") {
  // a = 9, b = 1/9, c = 9: x = 1/729, lambda = 1 + 1/9 + 9, CI = 32/9, CR = 6.13.
  const AhpResult r = ahp_weights(three(9, 1.0 / 9, 9));
  CHECK(r.lambda_max == Approx(1 + 1.0 / 9 + 9).epsilon(1e-12));
  CHECK(r.ci == Approx(32.0 / 9).epsilon(1e-10));
  CHECK(r.cr == Approx(32.0 / 9 / 0.58).epsilon(1e-10));
  CHECK(r.cr > 0.1);
  CHECK_FALSE(r.acceptable());
  // The cycle 1 > 2 > 3 > 1 is symmetric: all three criteria weigh the same.
  for (double w : r.weights) CHECK(w == Approx(1.0 / 3).epsilon(1e-12));
}

TEST_CASE("AHP: one and two criteria are always consistent", "[ahp]") {
  const AhpResult one = ahp_weights({{1}});
  REQUIRE(one.weights.size() == 1);
  CHECK(one.weights[0] == 1.0);
  CHECK(one.lambda_max == Approx(1.0).epsilon(1e-15));
  CHECK(one.cr == 0.0);
  const AhpResult two = ahp_weights({{1, 3}, {1.0 / 3, 1}});
  REQUIRE(two.weights.size() == 2);
  CHECK(two.weights[0] == Approx(0.75).epsilon(1e-12));
  CHECK(two.weights[1] == Approx(0.25).epsilon(1e-12));
  CHECK(two.lambda_max == Approx(2.0).epsilon(1e-12));
  CHECK(two.ci == 0.0);
  CHECK(two.ri == 0.0);
  CHECK(two.cr == 0.0);
  CHECK(two.acceptable());
}

TEST_CASE("AHP: invalid matrices are rejected with the offending entry named", "[ahp]") {
  CHECK_THAT(ahp_error({}), Contains("empty"));
  CHECK_THAT(ahp_error({{1, 2}, {0.5}}), Contains("row 2 has 1 entries") && Contains("square"));
  CHECK_THAT(ahp_error({{1, 2, 3}, {0.5, 1, 1}}), Contains("row 1 has 3 entries"));
  CHECK_THAT(ahp_error({{1, 0}, {2, 1}}), Contains("entry [1][2] = 0 must be a positive finite number"));
  CHECK_THAT(ahp_error({{1, 2}, {-0.5, 1}}), Contains("entry [2][1] = -0.5"));
  CHECK_THAT(ahp_error({{1, 2}, {std::nan(""), 1}}), Contains("entry [2][1] = nan"));
  CHECK_THAT(ahp_error({{1, 2}, {kInf, 1}}), Contains("entry [2][1] = inf"));
  CHECK_THAT(ahp_error({{1, 3, 2}, {0.5, 1, 1}, {0.5, 1, 1}}),
             Contains("entry [2][1] = 0.5 is not the reciprocal of entry [1][2] = 3"));
  CHECK_THAT(ahp_error({{1, 1, 4}, {1, 1, 1}, {0.2, 1, 1}}),
             Contains("entry [3][1] = 0.2 is not the reciprocal of entry [1][3] = 4"));
  CHECK_THAT(ahp_error({{1, 3}, {0.3, 1}}), Contains("entry [2][1] = 0.3"));  // 10 % off
  CHECK_THAT(ahp_error({{1, 0.5}, {2, 2}}), Contains("entry [2][2] = 2 must be 1"));
  // Far off Saaty's scale, a 1e4 > 1e3 > 1/1e4 cycle: |lambda_2| / lambda_max
  // is 0.9999..., and the power iteration would need ~1e5 steps.
  CHECK_THAT(ahp_error(three(1e4, 1e-4, 1e3)), Contains("did not converge"));
  const Matrix big(16, std::vector<double>(16, 1.0));
  CHECK_THAT(ahp_error(big), Contains("at most 15 criteria"));
}

TEST_CASE("AHP: two-decimal reciprocals are accepted", "[ahp]") {
  // 0.17 * 6 = 1.02, 0.14 * 7 = 0.98, 0.11 * 9 = 0.99.
  const AhpResult two = ahp_weights({{1, 6, 7, 9}, {0.17, 1, 1, 2}, {0.14, 1, 1, 1}, {0.11, 0.5, 1, 1}});
  CHECK(two.weights[0] > 0.6);
  CHECK(two.acceptable());
}

TEST_CASE("AHP: three-decimal reciprocals are accepted", "[ahp]") {
  // 0.333 * 3 = 0.999 and 0.143 * 7 = 1.001.
  const AhpResult r = ahp_weights({{1, 3, 7}, {0.333, 1, 3}, {0.143, 0.333, 1}});
  CHECK(r.weights[0] > r.weights[1]);
  CHECK(r.weights[1] > r.weights[2]);
  CHECK(r.cr >= 0.0);
  CHECK(r.acceptable());
  // Consistent ratios 9 : 3 : 1 written with three-decimal reciprocals: the
  // rounding puts lambda_max a hair below n, which counts as consistent
  // (CI and CR 0), not as a negative inconsistency.
  const AhpResult c = ahp_weights({{1, 3, 9}, {0.333, 1, 3}, {0.111, 0.333, 1}});
  CHECK(c.lambda_max < 3.0);
  CHECK(c.lambda_max == Approx(3.0).epsilon(1e-3));
  CHECK(c.ci == 0.0);
  CHECK(c.cr == 0.0);
  CHECK(c.weights[0] == Approx(9.0 / 13).epsilon(1e-3));
  // Fifteen criteria is the largest matrix the random index covers.
  const Matrix fifteen(15, std::vector<double>(15, 1.0));
  const AhpResult f = ahp_weights(fifteen);
  for (double w : f.weights) CHECK(w == Approx(1.0 / 15).epsilon(1e-12));
  CHECK(f.ri == 1.59);
}

TEST_CASE("AHP: Saaty's random index", "[ahp]") {
  CHECK(random_index(1) == 0.0);
  CHECK(random_index(2) == 0.0);
  CHECK(random_index(3) == 0.58);
  CHECK(random_index(4) == 0.90);
  CHECK(random_index(10) == 1.49);
  CHECK(random_index(12) == 1.48);  // the table dips here, as published
  CHECK(random_index(15) == 1.59);
  CHECK_THROWS_AS(random_index(16), relocplan::core::ScenarioError);
  CHECK_THROWS_WITH(random_index(16), Contains("AHP supports at most 15 criteria"));
}

TEST_CASE("AHP: normalising direct weights", "[ahp]") {
  const std::vector<double> w = normalise_weights({1, 3, 0, 4});
  REQUIRE(w.size() == 4);
  CHECK(w[0] == 0.125);
  CHECK(w[1] == 0.375);
  CHECK(w[2] == 0.0);
  CHECK(w[3] == 0.5);
  CHECK(normalise_weights({0, 2.5}) == std::vector<double>{0, 1});
  CHECK_THAT(weights_error({1, -0.5, 2}), Contains("weight 2 of 3 is -0.5"));
  CHECK_THAT(weights_error({1, std::nan("")}), Contains("weight 2 of 2 is nan"));
  CHECK_THAT(weights_error({kInf, 1}), Contains("weight 1 of 2 is inf"));
  CHECK_THAT(weights_error({0, 0, 0}), Contains("all weights are zero"));
  CHECK_THAT(weights_error({}), Contains("no weights"));
}
