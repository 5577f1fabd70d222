// query/: the answers an index's similarity model gives alone (private):
// names, cards, related lists and pasted ads, for Searcher and Matcher
// both. Nothing here reads Xapian, so a tool that needs only these links
// no Xapian at all (the layering test checks otiose-related's).
#ifndef OTIOSE_QUERY_MODEL_ANSWERS_H_
#define OTIOSE_QUERY_MODEL_ANSWERS_H_

#include <otiose/search.h>
#include <otiose/similarity.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace otiose::detail {

// The generation `index_dir` answers from now. Throws Error(kIndex) when it
// has none: "no index at DIR: build one with `otiose-index data --index DIR`".
std::string require_generation(const std::string& index_dir);

// The slug `name` means (SimilarityModel::resolve). Throws Error(kNotFound)
// listing the closest slugs.
std::string resolve_name(const SimilarityModel& model, std::string_view name);

// The specimen's title. Throws Error(kNotFound).
std::string title_of(const SimilarityModel& model, std::string_view slug);

// `neighbours` with their cards (without the taglines unless `taglines`).
std::vector<RelatedSpecimen> with_cards(const SimilarityModel& model,
                                        const std::vector<Neighbour>& neighbours,
                                        bool taglines = true);

// SimilarityModel::match_text with the cards.
AdMatches match_ad(const SimilarityModel& model, std::string_view text, std::size_t k);

}  // namespace otiose::detail

#endif  // OTIOSE_QUERY_MODEL_ANSWERS_H_
