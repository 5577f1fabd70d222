#include "tools/warm.h"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace otiose::cli {

namespace {

#ifdef MADV_POPULATE_READ
constexpr int kPopulateRead = MADV_POPULATE_READ;
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else  // older headers; the kernel's values since 5.14
constexpr int kPopulateRead = 22;
constexpr int kPopulateWrite = 23;
#endif

const std::uintptr_t kPage = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));

std::uintptr_t page_down(std::uintptr_t a) {
  return a & ~(kPage - 1);
}
std::uintptr_t page_up(std::uintptr_t a) {
  return page_down(a + kPage - 1);
}

// Pages [from, to), page-aligned. An error (an old kernel's EINVAL)
// leaves them to their faults.
void populate(std::uintptr_t from, std::uintptr_t to, int advice) {
  if (from < to) ::madvise(reinterpret_cast<void*>(from), to - from, advice);
}

int populate_code(dl_phdr_info* info, std::size_t, void* data) {
  const auto& objects = *static_cast<const std::initializer_list<std::string_view>*>(data);
  // The executable's name is "", a library's its path.
  std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (const std::size_t slash = name.rfind('/'); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  bool wanted = false;
  for (std::string_view o : objects)
    wanted = wanted || (o.empty() ? name.empty() : name.starts_with(o));
  if (!wanted) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& p = info->dlpi_phdr[i];
    if (p.p_type != PT_LOAD || !(p.p_flags & PF_X)) continue;
    const std::uintptr_t from = info->dlpi_addr + p.p_vaddr;
    // The segment's first and last pages too, which it may share.
    populate(page_down(from), page_up(from + p.p_memsz), kPopulateRead);
  }
  return 0;
}

}  // namespace

void warm_up(std::initializer_list<std::string_view> objects, std::size_t heap_bytes) {
  ::dl_iterate_phdr(populate_code, &objects);
  if (heap_bytes == 0) return;
  // Requests under a MiB from the heap (not a fresh mapping each, faulted
  // page by page), and the heap's top kept when it is freed.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 16 << 20);
  void* block = std::malloc(heap_bytes);
  if (block == nullptr) return;
  const auto from = reinterpret_cast<std::uintptr_t>(block);
  populate(page_up(from), page_down(from + heap_bytes), kPopulateWrite);
  std::free(block);
}

}  // namespace otiose::cli
