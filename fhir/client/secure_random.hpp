// Random identifiers from a cryptographically secure generator (OpenSSL RAND_bytes, seeded
// by the operating system). No OpenSSL header is exposed: hooks/ gets the generator injected
// by the server (CardStyle::make_uuid), so it never includes OpenSSL itself. Thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace ibd::fhir::client {

// Fills `out` with `size` random bytes; throws std::runtime_error if the generator fails
// (never falls back to a weaker source).
void secure_random_bytes(unsigned char* out, std::size_t size);
// A random RFC 9562 version 4 UUID, lower case ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string secure_uuid_v4();

}  // namespace ibd::fhir::client
