// Maps ahead, in a few calls, the pages a short process is about to touch.
// Tools only (tools/): it sets the process's allocator, which a library
// must leave to its host.
//
// On the machines we measure (VMs), a page fault is the dearest thing a
// one-query process does: about 10 us for a fresh page of the heap, 15 us
// for a fault on code (which maps 16 pages), against about half a
// microsecond a page for madvise(MADV_POPULATE_*), Linux 5.14 and later
// (bench/README.md, "Mapping ahead"). On older kernels it does nothing.
#ifndef OTIOSE_TOOLS_WARM_H_
#define OTIOSE_TOOLS_WARM_H_

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace otiose::cli {

// Maps the code of each loaded object named in `objects` (the start of its
// file name, "libxapian.so"; "" for the executable itself), and
// `heap_bytes` of the heap, which malloc then keeps (no trimming; requests
// under a MiB come from it, not from fresh mappings). Call it first in
// main; best effort, it never fails.
void warm_up(std::initializer_list<std::string_view> objects, std::size_t heap_bytes);

}  // namespace otiose::cli

#endif  // OTIOSE_TOOLS_WARM_H_
