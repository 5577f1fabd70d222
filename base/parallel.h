// base/: a loop over indexes on several threads (private).
#ifndef OTIOSE_BASE_PARALLEL_H_
#define OTIOSE_BASE_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace otiose::detail {

// Runs work(i) for every i in [0, n) on up to `threads` threads (0: one a
// core), this one included, each taking the next index. Waits for all, then
// rethrows the failure of the lowest index, if any.
template <typename Work>
void parallel_for(std::size_t n, unsigned threads, Work work) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::exception_ptr> failures(n);
  std::atomic<std::size_t> next{0};
  auto loop = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        work(i);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < std::min<std::size_t>(threads, n); ++t) pool.emplace_back(loop);
  loop();
  for (auto& t : pool) t.join();
  for (auto& f : failures)
    if (f) std::rethrow_exception(f);
}

}  // namespace otiose::detail

#endif  // OTIOSE_BASE_PARALLEL_H_
