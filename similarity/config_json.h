// TfidfConfig as JSON (private): the model file stores it, and the index
// writer hashes it to notice a changed configuration. One serialisation, so
// a new setting reaches both.
#ifndef OTIOSE_SIMILARITY_CONFIG_JSON_H_
#define OTIOSE_SIMILARITY_CONFIG_JSON_H_

#include <otiose/similarity.h>

#include <nlohmann/json.hpp>

namespace otiose::detail {

nlohmann::json config_json(const TfidfConfig& config);
TfidfConfig config_from_json(const nlohmann::json& json);

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_CONFIG_JSON_H_
