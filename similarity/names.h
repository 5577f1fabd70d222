// similarity/: recognising specimens' titles and aliases in a pasted job ad
// (private). An ad names its own role ("As a Senior Technical Writer you
// will...", "We're looking for an experienced Product Owner"), and names
// the roles it works with too ("partner with product managers"); only the
// first kind says what the ad is. Both the names and the ad are folded to
// the same tokens: ASCII lower case, "front-end" -> "frontend", "Node.js" ->
// "nodejs", bracketed asides and seniority words ("senior", "lead", "II")
// dropped, but for a last "lead" after another word ("Product Lead").
#ifndef OTIOSE_SIMILARITY_NAMES_H_
#define OTIOSE_SIMILARITY_NAMES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace otiose::detail {

// The tokens of `text` as names are compared: see the file comment.
std::vector<std::string> name_tokens(std::string_view text);

// A title or alias as a key: its name_tokens() without seniority words,
// joined by ' '. Empty when nothing is left ("Senior").
std::string name_key(std::string_view name);

// A self-mention: where the text names a role as its own, the longest key
// `lookup` knows. `lookup(key)` returns the owning specimens' indices (empty
// when the key is unknown).
struct SelfMention {
  std::string key;
  std::vector<std::uint32_t> owners;
};

// Every place `text` names a role as its own: a cue ("as a", "as our",
// "looking for a", "seeking an", "hiring a", "you are a", "join us as", "role
// of", ...), then any adjectives and seniority words ("experienced",
// "senior") and at most one other word ("C++", a company's name), then a
// known name key (a trailing plural 's' allowed); or a known name key in
// the singular followed by "will" ("the Customer Support Engineer will
// own...", where "product managers will" are colleagues). All within one
// sentence (". ! ? ;" end one, but for "Sr."), and the other word not
// followed by a comma or colon ("As a result, product managers...").
std::vector<SelfMention> self_mentions(
    std::string_view text,
    const std::function<std::vector<std::uint32_t>(const std::string&)>& lookup);

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_NAMES_H_
