#include "linalg/scratch.hpp"

#include <algorithm>
#include <vector>

namespace ntk4j::linalg {

namespace {

struct Buffer {
  std::unique_ptr<double[]> data;
  std::size_t capacity;
};

// At most this many idle buffers per thread (the deepest nesting of operator temporaries is
// below it); the smallest is dropped when more come back.
constexpr std::size_t kMaxIdle = 8;

std::vector<Buffer>& pool() {
  thread_local std::vector<Buffer> p;
  return p;
}

}  // namespace

Scratch::Scratch(std::size_t n) : size_(n) {
  auto& p = pool();
  // Best fit: the smallest idle buffer that is large enough.
  auto best = p.end();
  for (auto it = p.begin(); it != p.end(); ++it)
    if (it->capacity >= n && (best == p.end() || it->capacity < best->capacity)) best = it;
  if (best != p.end()) {
    data_ = std::move(best->data);
    capacity_ = best->capacity;
    p.erase(best);
  } else {
    data_.reset(new double[std::max<std::size_t>(n, 1)]);
    capacity_ = std::max<std::size_t>(n, 1);
  }
}

Scratch::~Scratch() {
  auto& p = pool();
  p.push_back({std::move(data_), capacity_});
  if (p.size() > kMaxIdle) {
    auto smallest =
        std::min_element(p.begin(), p.end(), [](const Buffer& a, const Buffer& b) { return a.capacity < b.capacity; });
    p.erase(smallest);
  }
}

}  // namespace ntk4j::linalg
