// Fuzz target: query strings through Searcher::search over an index of the
// bundled catalogue, built once per process.
//
// Input: the query, then one byte choosing the options (the seeds end in
// "\0": the defaults). The only exception allowed out is otiose::Error of
// kind kQuery (a query Xapian cannot parse, invalid UTF-8, too long); every
// hit is well formed and every string in the results is valid UTF-8.
#include <otiose/error.h>
#include <otiose/search.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/text.h"
#include "fuzz_util.h"

using otiose::fuzz::check;

namespace {

otiose::SearchOptions options_from(std::uint8_t flags) {
  otiose::SearchOptions o;
  o.match_any = flags & 0x01;
  o.html = !(flags & 0x02);
  switch ((flags >> 2) & 0x03) {
    case 1: o.type = "role"; break;
    case 2: o.type = "quote"; break;
    case 3: o.kinds = {"complaint", "salary"}; break;
    default: break;
  }
  switch ((flags >> 4) & 0x03) {
    case 1: o.sort = otiose::SearchOptions::Sort::kSalary; break;
    case 2: o.sort = otiose::SearchOptions::Sort::kFlightRisk; break;
    case 3:
      o.min_flight_risk = 50;
      o.salary_min = 50000;
      o.salary_max = 200000;
      break;
    default: break;
  }
  if (flags & 0x40) {
    o.limit = 1000;
    o.related = 12;  // beyond the stored neighbours: computed
  }
  if (flags & 0x80) {
    o.offset = 3;
    o.snippet_length = 12;
  }
  return o;
}

void check_utf8(const std::string& s, const char* what) {
  check(otiose::detail::valid_utf8(s), std::string(what) + " is not valid UTF-8: " + s);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  otiose::fuzz::catalogue_searcher();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint8_t flags = size > 0 ? data[size - 1] : 0;
  std::string_view query(reinterpret_cast<const char*>(data), size > 0 ? size - 1 : 0);
  otiose::SearchOptions options = options_from(flags);
  otiose::SearchResults results;
  try {
    results = otiose::fuzz::catalogue_searcher().search(query, options);
  } catch (const otiose::Error& e) {
    check(e.kind() == otiose::ErrorKind::kQuery, std::string("a query gave an error of kind ") +
                                                     otiose::to_string(e.kind()) + ": " + e.what());
    return 0;
  }
  check(results.hits.size() <= options.limit, "more hits than the limit");
  if (results.suggestion) check_utf8(*results.suggestion, "the suggestion");
  std::size_t rank = options.offset;
  for (const auto& hit : results.hits) {
    check(hit.rank == ++rank, "hit ranks are not consecutive");
    check(hit.type == "role" || hit.type == "quote", "a hit of type \"" + hit.type + "\"");
    check(!hit.slug.empty() && !hit.id.empty(), "a hit without its slug or id");
    check(hit.related.size() <= options.related, "more related specimens than asked for");
    check_utf8(hit.snippet, "a snippet");
    check_utf8(hit.text, "a hit's text");
    for (const auto& r : hit.related)
      check(r.cosine >= 0 && r.cosine <= 1 && r.slug != hit.slug, "a bad related specimen");
  }
  return 0;
}
