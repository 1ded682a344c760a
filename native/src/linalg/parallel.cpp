#include "linalg/parallel.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "linalg/blas.hpp"

namespace ntk4j::linalg {

namespace {

thread_local bool inside_region = false;

// Persistent workers (their thread-local scratch pools survive between applies, so steady-state
// applies allocate nothing). They sleep on a condition variable between jobs: no spinning that
// would steal a core from BLAS's own threads.
class Workers {
 public:
  static Workers& get() {
    static Workers* w = new Workers();  // never destroyed: workers may outlive static destruction
    return *w;
  }

  // Runs chunks 1..m-1 of `job` on workers and chunk 0 on the caller; false if busy.
  bool run(Index m, const std::function<void(Index)>& job) {
    std::unique_lock<std::mutex> busy(run_mutex_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> g(m_);
      while (static_cast<Index>(threads_.size()) < m - 1)
        threads_.emplace_back([this, i = threads_.size()] { loop(static_cast<Index>(i) + 1); });
      job_ = &job;
      chunks_ = m;
      pending_ = m - 1;
      errors_.assign(static_cast<size_t>(m), nullptr);
      ++generation_;
    }
    cv_.notify_all();
    execute(0);
    std::unique_lock<std::mutex> g(m_);
    done_.wait(g, [this] { return pending_ == 0; });
    job_ = nullptr;
    for (auto& e : errors_)
      if (e) std::rethrow_exception(e);
    return true;
  }

 private:
  void execute(Index chunk) {
    inside_region = true;
    try {
      (*job_)(chunk);
    } catch (...) {
      errors_[static_cast<size_t>(chunk)] = std::current_exception();
    }
    inside_region = false;
  }

  void loop(Index chunk) {
    unsigned long seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> g(m_);
        cv_.wait(g, [&] { return generation_ != seen; });
        seen = generation_;
        if (chunk >= chunks_) continue;  // this job needs fewer threads
      }
      execute(chunk);
      std::lock_guard<std::mutex> g(m_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex run_mutex_, m_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> threads_;
  const std::function<void(Index)>* job_ = nullptr;
  Index chunks_ = 0, pending_ = 0;
  unsigned long generation_ = 0;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace

Index parallel_width(Index n, Index min_chunk) {
  if (inside_region || n <= 0) return 1;
  const Index threads = std::max(1, num_threads());
  return std::max<Index>(1, std::min(threads, n / std::max<Index>(min_chunk, 1)));
}

void parallel_chunks(Index n, Index chunks, const std::function<void(Index, Index, Index)>& body) {
  if (n <= 0) return;
  const Index m = std::max<Index>(1, std::min(chunks, n));
  if (m == 1) {
    body(0, 0, n);
    return;
  }
  auto range = [&](Index c) { return std::pair<Index, Index>{n * c / m, n * (c + 1) / m}; };
  const std::function<void(Index)> job = [&](Index c) {
    const auto [b, e] = range(c);
    body(c, b, e);
  };
  if (!Workers::get().run(m, job)) {  // another caller holds the workers: do it all here
    inside_region = true;
    try {
      for (Index c = 0; c < m; ++c) job(c);
    } catch (...) {
      inside_region = false;
      throw;
    }
    inside_region = false;
  }
}

}  // namespace ntk4j::linalg
