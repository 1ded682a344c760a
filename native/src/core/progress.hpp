// Process-wide progress hook for long native work (ntk4j_set_progress): algorithms call
// report_progress between steps; it is a no-op unless a hook is installed.
#pragma once

#include <cstdint>

namespace ntk4j {

using ProgressFn = void (*)(void* user, std::int64_t done, std::int64_t total, const char* what);

void set_progress(ProgressFn fn, void* user);
void report_progress(std::int64_t done, std::int64_t total, const char* what);

}  // namespace ntk4j
