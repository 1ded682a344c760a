// The BLAS kernel choice (linalg/blas_runtime.hpp): the decision rule, and the mechanism on the
// OpenBLAS actually loaded. A user-set OPENBLAS_CORETYPE is checked end to end by
// tests/cli/blas_core.sh (it must be set before the process starts).
#include <gtest/gtest.h>

#include <cstdlib>

#include "linalg/blas_runtime.hpp"

namespace ntk4j::linalg {
namespace {

TEST(BlasCoreRule, GenericFallbackIsReplacedByTheCpusOwnKernels) {
  EXPECT_EQ(core_for_cpu("Prescott", "avx512", false), "SkylakeX");  // 0.3.21 on Sapphire Rapids
  EXPECT_EQ(core_for_cpu("Prescott", "avx2", false), "Haswell");
  EXPECT_EQ(core_for_cpu("Nehalem", "avx2", true), "Zen");
  EXPECT_EQ(core_for_cpu("Core2", "avx", false), "Sandybridge");
}

TEST(BlasCoreRule, MatchingCoreIsKept) {
  EXPECT_EQ(core_for_cpu("Zen", "avx2", true), "");
  EXPECT_EQ(core_for_cpu("Haswell", "avx2", false), "");
  EXPECT_EQ(core_for_cpu("Cooperlake", "avx512", false), "");
  EXPECT_EQ(core_for_cpu("Prescott", "sse3", false), "");
}

TEST(BlasCoreRule, CoreNeedingInstructionsTheOsLacksIsReplaced) {
  // AVX-512 kernels where XCR0 says the OS does not save zmm state would fault.
  EXPECT_EQ(core_for_cpu("SkylakeX", "avx2", false), "Haswell");
  EXPECT_EQ(core_for_cpu("Haswell", "avx", false), "Sandybridge");
}

TEST(BlasCoreRule, UnknownNamesAreLeftAlone) {
  EXPECT_EQ(core_for_cpu("SomeFutureCore", "avx2", false), "");
  EXPECT_EQ(core_for_cpu("Haswell", "unknown", false), "");
  EXPECT_EQ(core_isa_level("SkylakeX"), 4);
  EXPECT_EQ(core_isa_level("Zen"), 3);
  EXPECT_EQ(core_isa_level("Prescott"), 1);
}

TEST(BlasRuntimeTest, DescribesTheLibraryAndTheCoreInUse) {
  const BlasRuntime& rt = blas_runtime();
  EXPECT_FALSE(rt.library.empty());
  EXPECT_FALSE(rt.decision.empty());
  EXPECT_TRUE(blas_self_check());
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && !rt.core.empty() && rt.cpu_level != "unknown") {
    // Without a user setting, the core in use matches the CPU's level.
    EXPECT_EQ(core_isa_level(rt.core), rt.cpu_level == "avx512" ? 4
                                       : rt.cpu_level == "avx2" ? 3
                                       : rt.cpu_level == "avx"  ? 2
                                                                : 1)
        << rt.decision;
  }
}

TEST(BlasRuntimeTest, ForcedFallbackCoreIsReplacedAndResultsStayExact) {
  const BlasRuntime& rt = blas_runtime();
  if (rt.core.empty() || rt.user_set || core_isa_level(rt.core) <= 1)
    GTEST_SKIP() << "needs OpenBLAS dispatch, no user OPENBLAS_CORETYPE and a CPU above SSE3: " << rt.decision;
  ASSERT_EQ(force_openblas_core("Prescott"), "Prescott");
  EXPECT_TRUE(blas_self_check());  // the generic kernels are slow, not wrong
  const BlasRuntime again = choose_kernels();
  EXPECT_EQ(again.core_at_load, "Prescott");
  EXPECT_TRUE(again.switched) << again.decision;
  // Back to kernels of the CPU's own instruction level (the rule names one core per level:
  // OpenBLAS's own pick may be a sibling, e.g. Cooperlake where the rule says SkylakeX on a
  // Zen 4 with AVX-512 BF16; their DGEMM kernels are the same).
  EXPECT_EQ(core_isa_level(again.core), core_isa_level(rt.core)) << again.decision;
  EXPECT_GT(core_isa_level(again.core), 1) << again.decision;
  EXPECT_NE(again.decision.find("generic fallback"), std::string::npos) << again.decision;
  EXPECT_TRUE(blas_self_check());
  EXPECT_EQ(std::getenv("OPENBLAS_CORETYPE"), nullptr);  // not left for child processes
  force_openblas_core(rt.core);
}

}  // namespace
}  // namespace ntk4j::linalg
