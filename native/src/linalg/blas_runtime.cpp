#include "linalg/blas_runtime.hpp"

#include <cblas.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include "linalg/cpu.hpp"

// OpenBLAS's dispatch entry points, weak so that the core still links and runs on a BLAS without
// them (then the library is used as it is). Declared here so that any cblas.h works.
extern "C" {
char* openblas_get_corename(void) __attribute__((weak));
char* openblas_get_config(void) __attribute__((weak));
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace ntk4j::linalg {

namespace {

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

std::string current_core() { return openblas_get_corename ? trimmed(openblas_get_corename()) : ""; }

// Re-runs OpenBLAS's kernel dispatch with `core` forced, reading OPENBLAS_CORETYPE only for the
// duration of the call (so that child processes, e.g. a benchmark's peer, never inherit it).
void reinit_openblas(const std::string& core) {
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;
  setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace

namespace {

BlasRuntime decide() {
  BlasRuntime rt;
  rt.config = openblas_get_config ? trimmed(openblas_get_config()) : "";
  {
    std::istringstream words(rt.config);
    std::string name, version;
    words >> name >> version;
    rt.library = rt.config.empty() ? "BLAS (not OpenBLAS; version unknown)" : name + " " + version;
  }
  rt.core_at_load = rt.core = current_core();
  const CpuFeatures& cpu = cpu_features();
  rt.cpu_level = cpu.level.empty() ? "unknown" : cpu.level;
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  if (user && *user) {
    rt.user_set = true;
    rt.decision = "OPENBLAS_CORETYPE=" + std::string(user) + " set by the user: respected";
    return rt;
  }
  if (rt.core.empty()) {
    rt.decision = "no OpenBLAS kernel dispatch found: the BLAS library is used as it is";
    return rt;
  }
  const std::string target = core_for_cpu(rt.core, cpu.level, cpu.amd);
  if (target.empty()) {
    rt.decision = "OpenBLAS's own choice, which matches this CPU (" + rt.cpu_level + ")";
    return rt;
  }
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) {
    rt.decision = "OpenBLAS picked " + rt.core + " on a CPU with " + rt.cpu_level +
                  ", but this build has no dynamic dispatch to change it";
    return rt;
  }
  reinit_openblas(target);
  const std::string got = current_core();
  const int old_level = core_isa_level(rt.core_at_load), new_level = core_isa_level(got);
  const int cpu_level = isa_level_number(cpu.level);
  const bool better = new_level <= cpu_level && (new_level > old_level || old_level > cpu_level);
  if (better && blas_self_check()) {
    rt.core = got;
    rt.switched = true;
    rt.decision = "OpenBLAS picked " + rt.core_at_load +
                  (old_level < cpu_level ? " (a generic fallback)" : " (instructions this CPU/OS lacks)") +
                  " on a CPU with " + rt.cpu_level + ": switched to " + got + " (DGEMM self-check passed)";
    return rt;
  }
  reinit_openblas(rt.core_at_load);
  rt.core = current_core();
  rt.decision = "OpenBLAS picked " + rt.core_at_load + " on a CPU with " + rt.cpu_level + "; " + target +
                (better ? " failed the DGEMM self-check" : " is not available in this build (got " + got + ")") +
                ", so OpenBLAS's choice was kept";
  return rt;
}

}  // namespace

BlasRuntime choose_kernels() {
  BlasRuntime rt = decide();
  if (rt.core.empty() || rt.switched || blas_self_check()) return rt;  // a switched core passed it already
  // The kernels in use compute wrong products (an older build mishandling this CPU): fall back to
  // the generic kernels unless the user chose these, and say so either way.
  if (!rt.user_set && gotoblas_dynamic_init && gotoblas_dynamic_quit && rt.core != "Prescott") {
    const std::string was = rt.core;
    reinit_openblas("Prescott");
    if (blas_self_check()) {
      rt.core = current_core();
      rt.switched = true;
      rt.decision += "; but " + was + " FAILED the BLAS self-check, so the generic " + rt.core + " kernels are used";
      return rt;
    }
    reinit_openblas(was);
  }
  rt.decision += "; the BLAS self-check FAILED with the kernels in use: products may be wrong";
  return rt;
}

std::string force_openblas_core(const std::string& core) {
  reinit_openblas(core);
  return current_core();
}

int core_isa_level(const std::string& core) {
  static const char* const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
  static const char* const avx2[] = {"Haswell", "Zen", "Excavator"};
  static const char* const avx[] = {"Sandybridge", "Bulldozer", "Piledriver", "Steamroller"};
  static const char* const sse[] = {"Prescott", "Core2",      "Penryn",    "Dunnington",   "Nehalem", "Atom",
                                    "Nano",     "Barcelona",  "Opteron",   "Opteron_SSE3", "Bobcat",  "Athlon",
                                    "Katmai",   "Coppermine", "Northwood", "Banias"};
  for (const char* c : avx512)
    if (core == c) return 4;
  for (const char* c : avx2)
    if (core == c) return 3;
  for (const char* c : avx)
    if (core == c) return 2;
  for (const char* c : sse)
    if (core == c) return 1;
  return 0;
}

std::string core_for_cpu(const std::string& core, const std::string& cpu_level, bool vendor_amd) {
  const int have = core_isa_level(core), want = isa_level_number(cpu_level);
  if (have == 0 || want == 0 || have == want) return "";
  switch (want) {
    case 4:
      return "SkylakeX";
    case 3:
      return vendor_amd ? "Zen" : "Haswell";
    case 2:
      return "Sandybridge";
    default:
      return "Prescott";
  }
}

namespace {

// C = 0.7 op(A) op(B) + 0.3 C through cblas_dgemm against a triple loop, for every transpose pair.
bool dgemm_agrees(int m, int n, int k, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)), c0(static_cast<size_t>(m * n));
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  for (auto& x : c0) x = u(rng);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      // Column-major op(A) m x k, op(B) k x n; stored A is m x k (lda m) or k x m (lda k).
      const int lda = ta ? k : m, ldb = tb ? n : k;
      std::vector<double> c = c0;
      cblas_dgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 0.7, a.data(),
                  lda, b.data(), ldb, 0.3, c.data(), m);
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
          double s = 0, mag = 0;
          for (int p = 0; p < k; ++p) {
            const double x = ta ? a[static_cast<size_t>(i * k + p)] : a[static_cast<size_t>(p * m + i)];
            const double y = tb ? b[static_cast<size_t>(p * n + j)] : b[static_cast<size_t>(j * k + p)];
            s += x * y;
            mag += std::abs(x * y);
          }
          const double r = 0.7 * s + 0.3 * c0[static_cast<size_t>(j * m + i)];
          if (!(std::abs(c[static_cast<size_t>(j * m + i)] - r) <= 1e-12 * (mag + 1))) return false;
        }
    }
  return true;
}

// y = 0.7 op(A) x + 0.3 y (DGEMV) and C = op(A) op(A)^T (DSYRK, lower) against loops.
bool gemv_syrk_agree(int m, int k, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> a(static_cast<size_t>(m * k)), x(static_cast<size_t>(std::max(m, k))), y0(x.size());
  for (auto& v : a) v = u(rng);
  for (auto& v : x) v = u(rng);
  for (auto& v : y0) v = u(rng);
  for (int t = 0; t < 2; ++t) {  // A is m x k column-major; op(A) x has length t ? k : m
    const int rows = t ? k : m, inner = t ? m : k;
    std::vector<double> y = y0;
    cblas_dgemv(CblasColMajor, t ? CblasTrans : CblasNoTrans, m, k, 0.7, a.data(), m, x.data(), 1, 0.3, y.data(), 1);
    for (int i = 0; i < rows; ++i) {
      double s = 0, mag = 0;
      for (int p = 0; p < inner; ++p) {
        const double v =
            (t ? a[static_cast<size_t>(i * m + p)] : a[static_cast<size_t>(p * m + i)]) * x[static_cast<size_t>(p)];
        s += v;
        mag += std::abs(v);
      }
      if (!(std::abs(y[static_cast<size_t>(i)] - (0.7 * s + 0.3 * y0[static_cast<size_t>(i)])) <= 1e-12 * (mag + 1)))
        return false;
    }
  }
  std::vector<double> c(static_cast<size_t>(m * m), 0.0);
  cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, m, k, 1.0, a.data(), m, 0.0, c.data(), m);
  for (int j = 0; j < m; ++j)
    for (int i = j; i < m; ++i) {
      double s = 0, mag = 0;
      for (int p = 0; p < k; ++p) {
        const double v = a[static_cast<size_t>(p * m + i)] * a[static_cast<size_t>(p * m + j)];
        s += v;
        mag += std::abs(v);
      }
      if (!(std::abs(c[static_cast<size_t>(j * m + i)] - s) <= 1e-12 * (mag + 1))) return false;
    }
  return true;
}

}  // namespace

bool blas_self_check() {
  // Odd sizes exercise the kernels' edge handling: 131 x 97 x 149 spans several register blocks,
  // 7 x 5 x 3 the small-matrix paths some builds take; DGEMV and DSYRK are what the core calls too.
  std::mt19937_64 rng(11);
  return dgemm_agrees(131, 97, 149, rng) && dgemm_agrees(7, 5, 3, rng) && dgemm_agrees(1, 33, 17, rng) &&
         gemv_syrk_agree(157, 61, rng) && gemv_syrk_agree(6, 9, rng);
}

const BlasRuntime& blas_runtime() {
  static const BlasRuntime rt = choose_kernels();
  return rt;
}

}  // namespace ntk4j::linalg
