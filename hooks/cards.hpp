// Advice -> CDS Hooks 2.0 cards.
//
// Each card: uuid, summary (< 140 characters, cut at a word if a rule ever overflows),
// indicator, markdown detail (reasoning, evidence table, what was ignored, the guideline),
// source (label, url, topic), suggestions whose create actions carry complete draft
// ServiceRequests (intent proposal, coded, subject, encounter, requester, reasonReference),
// selectionBehavior, overrideReasons, an optional SMART app link, and the rule's identity in
// extension "org.ibd-cds.rule". Cards with the same rule id and summary are sent once.
// Pure apart from the uuid generator it is given; thread-safe if that is.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fhir/json.hpp"
#include "hooks/catalog.hpp"
#include "mapping/advice.hpp"

namespace ibd::hooks {

struct CardContext {
  std::string patient_id;
  std::string encounter_id;  // "" when none
  std::string user_id;       // "Practitioner/123"; a requester only when it is one
};

struct CardStyle {
  // Required. The server injects fhir::client::secure_uuid_v4 (a CSPRNG); hooks/ itself has
  // no random source.
  std::function<std::string()> make_uuid;
  std::string smart_app_url;               // "" = no app link
  std::string smart_app_label = "Open the IBD picture (SMART app)";
};

fhir::Json render_cards(const std::vector<mapping::Advice>& advice, const CardContext& context,
                        const CardStyle& style);

// The markdown detail of one card (exposed for tests and the SMART page).
std::string render_detail(const mapping::Advice& advice);


}  // namespace ibd::hooks
