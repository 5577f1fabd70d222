#include "query/model_answers.h"

#include <otiose/error.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "layout/layout.h"

namespace otiose::detail {

std::string require_generation(const std::string& index_dir) {
  auto g = current_generation(index_dir);
  if (g) return *g;
  std::error_code ec;
  bool exists = std::filesystem::exists(index_dir, ec);
  throw Error(ErrorKind::kIndex, (exists ? "no index in " : "no index at ") + index_dir +
                                     ": build one with `otiose-index data --index " + index_dir +
                                     "`");
}

std::string resolve_name(const SimilarityModel& model, std::string_view name) {
  std::ptrdiff_t i = model.resolve(name);
  if (i >= 0) return model.slug(static_cast<std::size_t>(i));
  std::string list;
  for (const auto& c : model.closest(name, 5)) list += (list.empty() ? "" : ", ") + c;
  throw Error(ErrorKind::kNotFound, "no specimen \"" + std::string(name) + "\"" +
                                        (list.empty() ? std::string() : "; closest: " + list));
}

std::string title_of(const SimilarityModel& model, std::string_view slug) {
  std::ptrdiff_t i = model.find(slug);
  if (i < 0) throw Error(ErrorKind::kNotFound, "no specimen \"" + std::string(slug) + "\"");
  return model.title(static_cast<std::size_t>(i));
}

namespace {

// The card of the specimen at `index`, whose slug is `slug`.
RelatedSpecimen card(const SimilarityModel& model, std::size_t index, std::string slug,
                     bool tagline = true) {
  RelatedSpecimen r;
  r.slug = std::move(slug);
  r.title = model.title(index);
  if (tagline) r.tagline = model.tagline(index);
  return r;
}

}  // namespace

std::vector<RelatedSpecimen> with_cards(const SimilarityModel& model,
                                        const std::vector<Neighbour>& neighbours, bool taglines) {
  std::vector<RelatedSpecimen> out;
  for (const auto& n : neighbours) {
    out.push_back(card(model, n.index, n.slug, taglines));
    out.back().match = n.match;
    out.back().cosine = n.cosine;
  }
  return out;
}

AdMatches match_ad(const SimilarityModel& model, std::string_view text, std::size_t k) {
  TextMatches found = model.match_text(text, k);
  AdMatches out;
  out.confident = found.confident;
  out.reads_like = std::move(found.reads_like);
  for (auto& m : found.matches) {
    out.related.push_back(card(model, m.index, std::move(m.slug)));
    out.related.back().match = m.match;
    out.related.back().cosine = m.cosine;
    out.related.back().recognised = std::move(m.name);
  }
  return out;
}

}  // namespace otiose::detail
