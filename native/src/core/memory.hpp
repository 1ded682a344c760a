// The memory budget (issue 13): before a large allocation the core estimates its bytes and refuses
// with "X needs A GB but B GB are available" instead of being killed by the kernel's OOM killer
// (or, in a JVM, taking the process down with it).
#pragma once

#include <cstdint>

namespace ntk4j {

// Sets a budget for this process's resident memory in bytes (0: none, only what the system has).
void set_memory_budget(std::int64_t bytes);
std::int64_t memory_budget();

// Bytes that may still be allocated: the system's MemAvailable (/proc/meminfo), and, under a
// budget, no more than the budget minus this process's resident set. -1 if unknown.
std::int64_t available_memory();

// Refuses (NTK4J_ERR_OUT_OF_MEMORY) a request of `bytes` for `what` that does not fit in
// available_memory(); `hint` says how to ask for less (e.g. "reduce B, T or H").
void require_memory(double bytes, const char* what, const char* hint);

}  // namespace ntk4j
