// The catalogue linter: what the schema allows but a catalogue should not have.
#include <otiose/index.h>

#include <otiose/error.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <map>

#include "base/text.h"

namespace otiose {
namespace {

Diagnostic warning(const LoadedRecord& r, std::string field, std::string message) {
  Diagnostic d;
  d.severity = Diagnostic::Severity::kWarning;
  auto colon = r.origin.rfind(':');
  bool has_line = colon != std::string::npos && colon + 1 < r.origin.size() &&
                  r.origin.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  d.file = has_line ? r.origin.substr(0, colon) : r.origin;
  d.line = has_line ? std::stoul(r.origin.substr(colon + 1)) : 0;
  d.field = std::move(field);
  d.message = std::move(message);
  return d;
}

template <typename T>
void section(std::vector<Diagnostic>& out, const LoadedRecord& r, const char* name,
             const std::optional<std::vector<T>>& v) {
  if (!v)
    out.push_back(warning(r, name, "section is missing"));
  else if (v->empty())
    out.push_back(warning(r, name, "section is empty"));
}

}  // namespace

std::vector<Diagnostic> lint_catalogue(const std::vector<LoadedRecord>& records,
                                       const TfidfConfig& config, double near_duplicate) {
  std::vector<Diagnostic> out;
  std::map<std::string, const LoadedRecord*> by_slug;
  for (const auto& r : records) by_slug[r.record.slug] = &r;
  std::map<std::string, const LoadedRecord*> alias_owner;
  for (const auto& lr : records) {
    const Record& r = lr.record;
    section(out, lr, "aliases", r.aliases);
    section(out, lr, "habitat", r.habitat);
    section(out, lr, "metrics", r.metrics);
    section(out, lr, "weaponry", r.weaponry);
    section(out, lr, "survival", r.survival);
    section(out, lr, "jd_autopsy", r.jd_autopsy);
    section(out, lr, "day_log", r.day_log);
    section(out, lr, "burn_ward", r.burn_ward);
    if (!r.salary)
      out.push_back(warning(lr, "salary", "section is missing"));
    else if (!r.salary->average)
      out.push_back(warning(lr, "salary.average", "no average salary"));
    if (!r.flight_risk)
      out.push_back(warning(lr, "flight_risk", "section is missing"));
    else if (!r.flight_risk->percent)
      out.push_back(warning(lr, "flight_risk.percent", "no percent"));
    if (r.aliases) {
      std::map<std::string, std::size_t> own;  // this record's aliases: first index
      std::size_t repeats = 0, first_repeat = 0;
      for (std::size_t i = 0; i < r.aliases->size(); ++i) {
        std::string key = detail::ascii_lower(std::string(detail::trim((*r.aliases)[i])));
        if (!own.emplace(key, i).second && repeats++ == 0) first_repeat = i;
        auto [it, inserted] = alias_owner.emplace(key, &lr);
        if (!inserted && it->second != &lr)
          out.push_back(warning(lr, "aliases[" + std::to_string(i) + "]",
                                "alias \"" + (*r.aliases)[i] + "\" is also an alias of " +
                                    it->second->record.slug + " (" + it->second->origin + ")"));
      }
      // One warning however many: a list of 100,000 copies is one mistake.
      if (repeats > 0)
        out.push_back(warning(lr, "aliases[" + std::to_string(first_repeat) + "]",
                              std::to_string(repeats) +
                                  " aliases repeat an earlier alias of this record (first: \"" +
                                  detail::utf8_prefix((*r.aliases)[first_repeat], 60) + "\")"));
    }
    if (r.related) {
      for (std::size_t i = 0; i < r.related->size(); ++i)
        if (!by_slug.count((*r.related)[i].slug))
          out.push_back(warning(lr, "related[" + std::to_string(i) + "].slug",
                                "published related specimen \"" + (*r.related)[i].slug +
                                    "\" is not in the catalogue"));
    }
  }

  // Near-duplicates, from a model built on the side.
  if (records.size() >= 2) {
    auto path = std::filesystem::temp_directory_path() /
                ("otiose-lint-" + std::to_string(::getpid()) + ".bin");
    std::vector<const Record*> pointers;
    for (const auto& r : records) pointers.push_back(&r.record);
    TfidfConfig c = config;
    c.top_k = 1;
    build_model(pointers, c, path.string());
    try {
      SimilarityModel model(path.string());
      std::error_code ec;
      std::filesystem::remove(path, ec);
      for (const auto& lr : records) {
        auto top = model.related(lr.record.slug, 1);
        if (!top.empty() && top[0].cosine > near_duplicate && lr.record.slug < top[0].slug) {
          char cosine[32];
          std::snprintf(cosine, sizeof cosine, "%.3f", top[0].cosine);
          out.push_back(warning(lr, "",
                                "near-duplicate of " + top[0].slug + " (" +
                                    by_slug[top[0].slug]->origin + "): cosine " + cosine + " > " +
                                    std::to_string(near_duplicate).substr(0, 4)));
        }
      }
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      throw;
    }
  }
  return out;
}

}  // namespace otiose
