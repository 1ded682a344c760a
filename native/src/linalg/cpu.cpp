#include "linalg/cpu.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NTK4J_X86 1
#endif

namespace ntk4j::linalg {

namespace {

#ifdef NTK4J_X86
unsigned long long xcr0() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
#endif

CpuFeatures detect() {
  CpuFeatures cpu;
#ifdef NTK4J_X86
  unsigned a, b, c, d;
  if (!__get_cpuid(0, &a, &b, &c, &d)) return cpu;
  const unsigned max_leaf = a;
  char vendor[13];
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  vendor[12] = 0;
  cpu.amd = std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0;
  cpu.level = "sse3";
  if (!__get_cpuid(1, &a, &b, &c, &d)) return cpu;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28);
  const unsigned long long xcr = osxsave ? xcr0() : 0;
  const bool ymm_state = (xcr & 0x6) == 0x6, zmm_state = (xcr & 0xE6) == 0xE6;
  if (!(avx && ymm_state)) return cpu;
  cpu.level = "avx";
  if (max_leaf < 7) return cpu;
  __cpuid_count(7, 0, a, b, c, d);
  const bool avx2 = b & (1u << 5), avx512f = b & (1u << 16);
  const bool avx512_all = avx512f && (b & (1u << 17)) && (b & (1u << 28)) && (b & (1u << 30)) && (b & (1u << 31));
  if (!(avx2 && fma)) return cpu;
  cpu.level = "avx2";
  cpu.avx2_fma = true;
  cpu.avx512f = avx512f && zmm_state;
  if (avx512_all && zmm_state) cpu.level = "avx512";
#endif
  return cpu;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures cpu = detect();
  return cpu;
}

int isa_level_number(const std::string& level) {
  return level == "avx512" ? 4 : level == "avx2" ? 3 : level == "avx" ? 2 : level == "sse3" ? 1 : 0;
}

}  // namespace ntk4j::linalg
