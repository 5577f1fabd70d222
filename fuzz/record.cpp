// Fuzz target: one record's JSON text through parse_record, validate and
// to_json. parse_record never throws; what it accepts is valid, serialises
// (pretty and as one line) and parses back to an equal record, and the
// serialisation is stable. The corpus loader's fast reader (simdjson) gives
// the same record and diagnostics as parse_record (nlohmann) for every input.
#include <otiose/record.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "indexer/fast_record.h"

using otiose::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  otiose::ParsedRecord parsed = otiose::parse_record(text, "fuzz.json", 7);
  otiose::ParsedRecord fast = otiose::detail::parse_corpus_record(text, "fuzz.json", 7);
  check(fast.record == parsed.record, "the fast reader read another record than parse_record");
  check(fast.diagnostics.size() == parsed.diagnostics.size(),
        "the fast reader reported otherwise than parse_record");
  for (std::size_t i = 0; i < fast.diagnostics.size(); ++i)
    check(fast.diagnostics[i].to_string() == parsed.diagnostics[i].to_string(),
          "the fast reader reported otherwise: " + fast.diagnostics[i].to_string());
  bool any_error = false;
  for (const auto& d : parsed.diagnostics) {
    any_error |= d.is_error();
    check(d.file == "fuzz.json", "a diagnostic lost its file name");
    check(!d.to_string().empty(), "an empty diagnostic");
  }
  if (!parsed.record) {
    check(any_error, "no record, yet no error says why");
    return 0;
  }
  check(!any_error, "a record came back with errors");
  const otiose::Record& record = *parsed.record;
  for (const auto& d : otiose::validate(record))
    check(!d.is_error(), "parse_record accepted what validate rejects: " + d.to_string());
  (void)otiose::quotes(record);

  for (int indent : {-1, 2}) {
    std::string json = otiose::to_json(record, indent);
    otiose::ParsedRecord again = otiose::parse_record(json, "again.json");
    if (!again.record) {
      std::string why = again.diagnostics.empty() ? "" : again.diagnostics[0].to_string();
      otiose::fuzz::fail("to_json wrote what parse_record rejects: " + why + "\n" + json);
    }
    check(*again.record == record, "the round trip changed the record:\n" + json);
    check(otiose::to_json(*again.record, indent) == json, "to_json is not stable:\n" + json);
  }
  return 0;
}
