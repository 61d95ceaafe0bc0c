#include "fhir/error.hpp"

namespace ibd {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return 400;
    case ErrorKind::kUnauthorized:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kMethodNotAllowed:
      return 405;
    case ErrorKind::kPreconditionFailed:
      return 412;
    case ErrorKind::kPayloadTooLarge:
      return 413;
    case ErrorKind::kUnsupportedMediaType:
      return 415;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;  // an out-of-range enum value is our fault
}

const char* error_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return "invalid_request";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kForbidden:
      return "forbidden";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorKind::kPreconditionFailed:
      return "precondition_failed";
    case ErrorKind::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorKind::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      return "internal_error";
  }
  return "internal_error";
}

}  // namespace ibd
