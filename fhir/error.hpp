// The project's one error type. Functions return std::expected<T, Error>; the server maps
// Error::kind to one HTTP status in one place.
//
// `message` is what the client may see: it says what is wrong with *their* input and never
// contains internals, access tokens, JWTs or patient data. `internal` is for the log only
// and has the same rule on secrets and patient identifiers.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "fhir/json.hpp"

namespace ibd {

enum class ErrorKind {
  kInvalidRequest,        // 400: malformed JSON, a CDS request that breaks the spec
  kUnauthorized,          // 401
  kForbidden,             // 403
  kNotFound,              // 404: unknown service
  kMethodNotAllowed,      // 405
  kPreconditionFailed,    // 412: required FHIR data could not be had
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kUnavailable,           // 503
  kInternal,              // 500: a fault of ours; the client sees only a generic message
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;   // for the client
  std::string internal;  // for the log
  // A FHIR resource to send as the body instead of the generic error JSON (an
  // OperationOutcome for 412).
  std::optional<fhir::Json> resource;

  static Error invalid(std::string message) {
    return {ErrorKind::kInvalidRequest, std::move(message), {}, {}};
  }
  static Error not_found(std::string message) {
    return {ErrorKind::kNotFound, std::move(message), {}, {}};
  }
  static Error internal_fault(std::string internal) {
    return {ErrorKind::kInternal, "internal error", std::move(internal), {}};
  }
};

int http_status(ErrorKind kind);
const char* error_code(ErrorKind kind);  // short stable token, e.g. "invalid_request"

}  // namespace ibd
