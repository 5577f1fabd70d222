// Matcher: the similarity side of an index, without Xapian.
#include <otiose/error.h>
#include <otiose/search.h>

#include "layout/layout.h"
#include "query/model_answers.h"

namespace otiose {

struct Matcher::Impl {
  std::string generation;
  std::optional<SimilarityModel> model;
};

Matcher::Matcher(const std::string& index_dir) : impl_(std::make_unique<Impl>()) {
  std::string generation = detail::require_generation(index_dir);
  for (int attempt = 0;; ++attempt) {
    try {
      impl_->model.emplace(generation + "/" + detail::kModelFile);
      impl_->generation = generation;
      return;
    } catch (const Error&) {
      // The writer may have swapped generations between the look and the
      // open: look again a few times before calling the model damaged.
      std::string again = detail::require_generation(index_dir);
      if (again == generation || attempt >= 3) throw;
      generation = again;
    }
  }
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

std::string Matcher::resolve(std::string_view name) const {
  return detail::resolve_name(*impl_->model, name);
}
std::vector<std::string> Matcher::closest(std::string_view name, std::size_t k) const {
  return impl_->model->closest(name, k);
}
std::string Matcher::title(std::string_view slug) const {
  return detail::title_of(*impl_->model, slug);
}
std::vector<RelatedSpecimen> Matcher::related(std::string_view slug, std::size_t k) const {
  return detail::with_cards(*impl_->model, impl_->model->related(slug, k));
}
AdMatches Matcher::match_text(std::string_view text, std::size_t k) const {
  return detail::match_ad(*impl_->model, text, k);
}
std::vector<TermShare> Matcher::explain(std::string_view a, std::string_view b,
                                        std::size_t n) const {
  return impl_->model->explain(a, b, n);
}
std::vector<TermShare> Matcher::explain_text(std::string_view text, std::string_view slug,
                                             std::size_t n) const {
  return impl_->model->explain_text(text, slug, n);
}
const SimilarityModel& Matcher::model() const {
  return *impl_->model;
}
std::size_t Matcher::size() const {
  return impl_->model->size();
}
const std::string& Matcher::generation() const {
  return impl_->generation;
}

}  // namespace otiose
