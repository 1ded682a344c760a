#include "core/progress.hpp"

#include <mutex>

namespace ntk4j {

namespace {
std::mutex hook_mutex;
ProgressFn hook_fn = nullptr;
void* hook_user = nullptr;
}  // namespace

void set_progress(ProgressFn fn, void* user) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  hook_fn = fn;
  hook_user = user;
}

void report_progress(std::int64_t done, std::int64_t total, const char* what) {
  ProgressFn fn;
  void* user;
  {
    std::lock_guard<std::mutex> lock(hook_mutex);
    fn = hook_fn;
    user = hook_user;
  }
  if (fn) fn(user, done, total, what);  // called outside the lock: it may take its time
}

}  // namespace ntk4j
