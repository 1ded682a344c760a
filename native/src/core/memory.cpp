#include "core/memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/error.hpp"

namespace ntk4j {
namespace {

std::atomic<std::int64_t> budget{0};

std::int64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::int64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return -1;
}

std::int64_t resident() {
  std::ifstream in("/proc/self/statm");
  std::int64_t size = 0, pages = 0;
  if (!(in >> size >> pages)) return 0;
  return pages * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

std::string gb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  return buf;
}

}  // namespace

void set_memory_budget(std::int64_t bytes) { budget.store(bytes > 0 ? bytes : 0); }
std::int64_t memory_budget() { return budget.load(); }

std::int64_t available_memory() {
  const std::int64_t system = mem_available(), b = budget.load();
  if (b <= 0) return system;  // -1 when /proc/meminfo does not say
  const std::int64_t left = std::max<std::int64_t>(b - resident(), 0);
  return system < 0 ? left : std::min(system, left);
}

void require_memory(double bytes, const char* what, const char* hint) {
  // Without a budget a request under 64 MiB cannot matter; skipping it keeps /proc reads off the
  // per-apply path (the trainer applies through the ABI every step).
  if (budget.load() <= 0 && bytes < 64.0 * 1024 * 1024) return;
  const std::int64_t avail = available_memory();
  if (avail < 0 || bytes <= static_cast<double>(avail)) return;
  const std::int64_t b = budget.load();
  if (b > 0)
    fail(NTK4J_ERR_OUT_OF_MEMORY, what, " needs ", gb(bytes), " but the memory budget of ", gb(double(b)), " leaves ",
         gb(double(avail)), " (", hint, ", or raise the budget: --max-memory / ntk4j_set_memory_budget)");
  fail(NTK4J_ERR_OUT_OF_MEMORY, what, " needs ", gb(bytes), " but this machine has ", gb(double(avail)), " available (",
       hint, ")");
}

}  // namespace ntk4j
