// tools/warm.h: what a one-query process maps ahead of its faults.
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "tools/warm.h"

// A sanitizer's allocator takes no mallopt: the heap is not checked there.
#if defined(__SANITIZE_ADDRESS__)
#define OTIOSE_SANITIZED_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTIOSE_SANITIZED_ALLOCATOR 1
#endif
#endif

namespace {

#ifdef MADV_POPULATE_WRITE
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else
constexpr int kPopulateWrite = 23;
#endif

// Whether this kernel maps pages ahead (Linux 5.14 and later); before it,
// warm_up leaves them to their faults and there is nothing to check.
bool kernel_populates() {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* p = ::mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  const bool ok = ::madvise(p, page, kPopulateWrite) == 0;
  ::munmap(p, page);
  return ok;
}

#ifndef OTIOSE_SANITIZED_ALLOCATOR
long minor_faults() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}
#endif

// The kB of this process's executable code mapped in its page tables
// (/proc/self/smaps "Rss" of the executable's r-xp mappings), and their size.
std::pair<long, long> code_resident_kb() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0);
  const std::string path(exe, static_cast<std::size_t>(n));
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_code = false;
  long rss = 0, size = 0;
  while (std::getline(smaps, line)) {
    std::istringstream words(line);
    std::string first, second;
    words >> first >> second;
    if (first.find('-') != std::string::npos && first.back() != ':') {
      std::string offset, device, inode, file;
      words >> offset >> device >> inode >> file;
      in_code = second == "r-xp" && file == path;
    } else if (in_code && first == "Rss:") {
      rss += std::stol(second);
    } else if (in_code && first == "Size:") {
      size += std::stol(second);
    }
  }
  return {rss, size};
}

}  // namespace

TEST_CASE("warm_up maps the executable's code and a heap that later allocations fault less on") {
  if (!kernel_populates()) {
    WARN("this kernel has no MADV_POPULATE_WRITE (Linux 5.14): nothing to check");
    return;
  }
  otiose::cli::warm_up({""}, 0);
  const auto [rss, size] = code_resident_kb();
  INFO("code mapped " << rss << " of " << size << " kB");
  REQUIRE(size > 0);
  CHECK(rss == size);

#ifdef OTIOSE_SANITIZED_ALLOCATOR
  WARN("a sanitizer's allocator: the warm heap is not checked");
#else
  otiose::cli::warm_up({}, 512 << 10);
  // 256 KB freshly allocated: 64 pages, a fault each without the warm heap
  // (it would be a fresh mapping: above malloc's default mmap threshold).
  const long before = minor_faults();
  auto* bytes = static_cast<volatile char*>(std::malloc(256 << 10));
  REQUIRE(bytes != nullptr);
  for (std::size_t i = 0; i < (256u << 10); i += 4096) bytes[i] = 1;
  const long faults = minor_faults() - before;
  std::free(const_cast<char*>(bytes));
  CHECK(faults < 8);
#endif
}

TEST_CASE("warm_up passes over names no loaded object has, and an empty heap") {
  otiose::cli::warm_up({"libno-such-library.so"}, 0);
  otiose::cli::warm_up({}, 0);
  void* p = std::malloc(64);
  CHECK(p != nullptr);
  std::free(p);
}
