// Fuzz target: a page dump through import_page. It never throws; a record
// comes with no errors and no record with at least one; the record
// serialises to JSON, and when parse_record accepts that JSON it gives back
// the same record (what otiose-import writes, otiose-index reads).
#include <otiose/record.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"

using otiose::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view page(reinterpret_cast<const char*>(data), size);
  otiose::ParsedRecord parsed = otiose::import_page(page, "page.txt");
  bool any_error = false;
  for (const auto& d : parsed.diagnostics) {
    any_error |= d.is_error();
    check(d.file == "page.txt", "a diagnostic lost its file name");
    check(!d.to_string().empty(), "an empty diagnostic");
  }
  if (!parsed.record) {
    check(any_error, "no record, yet no error says why");
    return 0;
  }
  check(!any_error, "a record came back with errors");
  otiose::Record record = *parsed.record;
  // As otiose-import --tagline does.
  if (record.tagline.empty()) record.tagline = "A tagline.";
  (void)otiose::validate(record);
  (void)otiose::quotes(record);
  std::string json = otiose::to_json(record, -1);
  check(nlohmann::json::accept(json), "to_json wrote malformed JSON:\n" + json);
  otiose::ParsedRecord again = otiose::parse_record(json, "imported.json");
  if (again.record) check(*again.record == record, "the round trip changed the record:\n" + json);
  return 0;
}
