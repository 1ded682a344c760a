// Reusable scratch memory. Operators are applied thousands of times by the spectral algorithms;
// allocating their block-sized temporaries afresh each time costs page faults (large blocks come
// from mmap and go back to the OS on free). A Scratch borrows an uninitialized buffer from a small
// thread-local pool and returns it on destruction, so steady-state applies allocate nothing.
#pragma once

#include <cstddef>
#include <memory>

namespace ntk4j::linalg {

class Scratch {
 public:
  explicit Scratch(std::size_t n);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  double* data() { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  std::unique_ptr<double[]> data_;
  std::size_t capacity_ = 0, size_ = 0;
};

}  // namespace ntk4j::linalg
