// tools/: the JSON contracts (README.md, "JSON output") of otiose-search
// and otiose-related, shared by the tools and by otiose-serve's API so that
// a script reads the same keys from either.
#ifndef OTIOSE_TOOLS_CONTRACTS_H_
#define OTIOSE_TOOLS_CONTRACTS_H_

#include <otiose/search.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace otiose::cli {

using Json = nlohmann::ordered_json;

inline Json optional_json(const std::optional<std::string>& s) {
  return s ? Json(*s) : Json(nullptr);
}

// A hit's related specimens.
inline Json cards_json(const std::vector<RelatedSpecimen>& related) {
  Json out = Json::array();
  for (const auto& r : related)
    out.push_back({{"slug", r.slug},
                   {"title", r.title},
                   {"tagline", r.tagline},
                   {"match", r.match},
                   {"cosine", r.cosine}});
  return out;
}

// otiose-search --json; facets only when they were asked for.
inline Json search_json(const SearchResults& r) {
  Json hits = Json::array();
  for (const auto& h : r.hits)
    hits.push_back({{"rank", h.rank},
                    {"id", h.id},
                    {"type", h.type},
                    {"kind", optional_json(h.kind)},
                    {"slug", h.slug},
                    {"title", h.title},
                    {"tagline", h.tagline},
                    {"text", h.text},
                    {"source", optional_json(h.source)},
                    {"snippet", h.snippet},
                    {"score", h.score},
                    {"sort_value", h.sort_value ? Json(*h.sort_value) : Json(nullptr)},
                    {"more", h.more},
                    {"related", cards_json(h.related)}});
  Json out{{"query", r.query},
           {"total", r.total},
           {"exact", r.exact},
           {"specimens", r.grouped ? Json(r.specimens) : Json(nullptr)},
           {"grouped", r.grouped},
           {"warnings", r.warnings},
           {"offset", r.offset},
           {"limit", r.limit},
           {"suggestion", optional_json(r.suggestion)},
           {"corrected", r.corrected},
           {"partial", !r.missing_shards.empty()},
           {"missing_shards", r.missing_shards},
           {"hits", hits}};
  if (!r.facets.empty()) {
    Json facets = Json::object();
    for (const auto& f : r.facets) {
      Json values = Json::array();
      for (const auto& v : f.values) values.push_back({{"value", v.value}, {"count", v.count}});
      facets[f.name] = values;
    }
    out["facets"] = facets;
  }
  return out;
}

// Why two match: [{"term", "contribution", "share"}], largest first.
inline Json terms_json(const std::vector<TermShare>& terms) {
  Json out = Json::array();
  for (const auto& t : terms)
    out.push_back({{"term", t.term}, {"contribution", t.contribution}, {"share", t.share}});
  return out;
}

// otiose-related --json: for a specimen (`slug`, `title`) or, when `slug`
// is empty, for a pasted text (then "confident" and "recognised" too);
// "explain" when `reasons` holds one list a related specimen.
inline Json related_answer_json(const std::string& slug, const std::string& title,
                                const std::vector<RelatedSpecimen>& related, bool confident,
                                const std::vector<std::vector<TermShare>>* reasons) {
  const bool by_text = slug.empty();
  Json list = Json::array();
  for (std::size_t i = 0; i < related.size(); ++i) {
    const auto& r = related[i];
    Json item{{"slug", r.slug},
              {"title", r.title},
              {"tagline", r.tagline},
              {"match", r.match},
              {"cosine", r.cosine}};
    if (by_text) item["recognised"] = r.recognised.empty() ? Json(nullptr) : Json(r.recognised);
    if (reasons && i < reasons->size()) item["explain"] = terms_json((*reasons)[i]);
    list.push_back(item);
  }
  Json out{{"slug", by_text ? Json(nullptr) : Json(slug)},
           {"title", by_text ? Json(nullptr) : Json(title)}};
  if (by_text) out["confident"] = confident;
  out["related"] = list;
  return out;
}

// otiose-related --text/--file --json: related_answer_json for a pasted ad,
// with "reads_like": the reference occupation no specimen is that the ad
// reads most like, or null.
inline Json ad_answer_json(const AdMatches& found,
                           const std::vector<std::vector<TermShare>>* reasons) {
  Json out = related_answer_json({}, {}, found.related, found.confident, reasons);
  out["reads_like"] = found.reads_like.empty() ? Json(nullptr) : Json(found.reads_like);
  return out;
}

// The sentence after "no close specimen:" (tools and the website alike).
inline std::string no_close_specimen(const std::string& reads_like) {
  if (reads_like.empty()) return "nothing in the catalogue is this job; the closest are below";
  return "it reads most like " + reads_like +
         " (O*NET), which no specimen is; the closest are below";
}

// JSON text as the tools print it: invalid UTF-8 replaced, never thrown on.
inline std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace otiose::cli

#endif  // OTIOSE_TOOLS_CONTRACTS_H_
