// Structural checks of a CDS Hooks 2.0 response and its cards, shared by the scenario and
// integration tests. Each returns the list of violations ("cards[0].summary: 152 characters,
// must be under 140"); empty means valid.
#pragma once

#include <string>
#include <vector>

#include "fhir/json.hpp"

namespace ibd::testing {

std::vector<std::string> check_card(const fhir::Json& card, const std::string& path = "card");
std::vector<std::string> check_response(const fhir::Json& response);
std::vector<std::string> check_discovery(const fhir::Json& discovery);

// The rule id a card names in its "org.ibd-cds.rule" extension, "" when absent.
std::string rule_of(const fhir::Json& card);
// The card of `rule` in a {"cards": [...]} response, or nullptr.
const fhir::Json* card_of(const fhir::Json& response, const std::string& rule);

}  // namespace ibd::testing
