// What every file of the C ABI shares: the handle types behind ntk4j.h's opaque pointers, guard()
// (runs an entry point's body and turns any C++ exception into a status and the thread-local
// message, so that none crosses the ABI), and the argument checks. The ABI is glue only: each
// entry point checks its arguments and calls the core.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "cells/model.hpp"
#include "core/error.hpp"
#include "linalg/linear_operator.hpp"
#include "ntk4j.h"
#include "operators/session_operator.hpp"

struct ntk4j_model {
  std::shared_ptr<const ntk4j::Model> model;
};

struct ntk4j_session {
  // The model is shared with the model handle and the state with operator handles, so each
  // outlives the handle it was made from.
  std::shared_ptr<const ntk4j::SessionState> state;
};

struct ntk4j_operator {
  ntk4j::linalg::OperatorPtr op;
  // Every handle is counted (ntk4j_operator_handles_live): leak checks of the bindings' ownership.
  explicit ntk4j_operator(ntk4j::linalg::OperatorPtr p);
  ~ntk4j_operator();
  ntk4j_operator(const ntk4j_operator&) = delete;
  ntk4j_operator& operator=(const ntk4j_operator&) = delete;
};

namespace ntk4j::abi {

// The thread-local text behind ntk4j_last_error().
std::string& last_error();

template <typename F>
int32_t guard(F&& body) noexcept {
  try {
    last_error().clear();
    body();
    return NTK4J_OK;
  } catch (const Error& e) {
    last_error() = e.what();
    return e.status();
  } catch (const std::bad_alloc&) {
    last_error() = "out of memory";
    return NTK4J_ERR_OUT_OF_MEMORY;
  } catch (const std::length_error&) {
    last_error() = "out of memory (requested size too large)";
    return NTK4J_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    last_error() = std::string("internal error: ") + e.what();
    return NTK4J_ERR_INTERNAL;
  } catch (...) {
    last_error() = "internal error: unknown exception";
    return NTK4J_ERR_INTERNAL;
  }
}

void require(const void* p, const char* what);
void require_finite(const double* x, Index n, const char* what);
bool overlap(const double* a, Index na, const double* b, Index nb);
// Dense (exact) paths form the n x n matrix: bounded so that a typo cannot ask for terabytes.
void require_dense_size(const linalg::LinearOperator& op);
// Refuses, before allocating, `count` working vectors of length n for `what` that do not fit in
// the memory available (core/memory.hpp).
void require_vectors(Index n, Index count, const char* what);
// Outputs are checked like inputs: non-finite results of `what` on operator `op` (an overflow
// inside the applies) are NTK4J_ERR_NUMERICAL naming the quantity and the first index.
void require_finite_result(const double* x, Index n, const char* what, const linalg::LinearOperator& op);
// An estimate that is undefined (e.g. (tr A)^2 / tr A^2 of an operator that is zero on every
// probe: 0/0) is an error naming the quantity, not a NaN handed back.
void require_defined(double value, double std_error, const char* what, const linalg::LinearOperator& op);

}  // namespace ntk4j::abi
