// The readout MSE as GEMMs (training/readout.hpp) against its definition written as plain loops.
#include <gtest/gtest.h>

#include <cmath>

#include "test_support.hpp"
#include "training/readout.hpp"

namespace ntk4j::testing {
namespace {

TEST(Training, ReadoutMseMatchesItsDefinition) {
  const Index rows = 37, h = 11, o = 3;  // odd sizes: no blocking remainder hides
  const auto hidden = random_vector(rows * h, 1), w = random_vector(o * h, 2), b = random_vector(o, 3),
             target = random_vector(rows * o, 4);
  std::vector<double> e(rows * h), gw(o * h), gb(o);
  const double loss = training::readout_mse(rows, h, o, hidden.data(), w.data(), b.data(), target.data(), e.data(),
                                            gw.data(), gb.data());
  double want = 0;
  std::vector<double> we(rows * h, 0.0), wgw(o * h, 0.0), wgb(o, 0.0);
  for (Index i = 0; i < rows; ++i)
    for (Index r = 0; r < o; ++r) {
      double y = b[r];
      for (Index k = 0; k < h; ++k) y += w[r * h + k] * hidden[i * h + k];
      const double d = y - target[i * o + r], dy = 2 * d / double(rows * o);
      want += d * d / double(rows * o);
      wgb[r] += dy;
      for (Index k = 0; k < h; ++k) {
        we[i * h + k] += dy * w[r * h + k];
        wgw[r * h + k] += dy * hidden[i * h + k];
      }
    }
  EXPECT_NEAR(loss, want, 1e-14 * want);
  for (Index i = 0; i < rows * h; ++i) EXPECT_NEAR(e[i], we[i], 1e-14) << i;
  for (Index i = 0; i < o * h; ++i) EXPECT_NEAR(gw[i], wgw[i], 1e-13) << i;
  for (Index r = 0; r < o; ++r) EXPECT_NEAR(gb[r], wgb[r], 1e-14) << r;
}

}  // namespace
}  // namespace ntk4j::testing
