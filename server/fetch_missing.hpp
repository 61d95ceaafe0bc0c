// The bridge from a prepared hook call to the FHIR client: the prefetch keys the EHR left
// out (or sent as an OperationOutcome, or sent only in part) are fetched from the request's
// fhirServer, all in parallel, within the configured budget.
//
// The fhirServer must be one the configuration allows (fhir_client.allowed_servers, compared
// by origin); otherwise nothing is fetched and the call is refused with 403, so the EHR's
// token never leaves for a server the operator did not name. With fetching disabled (no
// client) the missing keys are reported instead. Logs name the key, status, pages and time
// of each fetch; never the URL, the token or the patient.
// Thread-safe; the client is shared.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <expected>
#include <memory>
#include <vector>

#include "fhir/client/client.hpp"
#include "fhir/error.hpp"
#include "hooks/engine.hpp"
#include "server/http_types.hpp"

namespace ibd::server {

boost::asio::awaitable<std::expected<std::vector<hooks::FetchResult>, Error>> fetch_missing(
    std::shared_ptr<fhir::client::FhirClient> client, const hooks::PreparedCall& call,
    const Caller& caller);

}  // namespace ibd::server
