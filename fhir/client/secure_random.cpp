#include "fhir/client/secure_random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <cstdio>
#include <stdexcept>

namespace ibd::fhir::client {

void secure_random_bytes(unsigned char* out, std::size_t size) {
  while (size > 0) {
    const int chunk = size > INT_MAX ? INT_MAX : static_cast<int>(size);
    if (RAND_bytes(out, chunk) != 1)
      throw std::runtime_error("the secure random generator failed");
    out += chunk;
    size -= static_cast<std::size_t>(chunk);
  }
}

std::string secure_uuid_v4() {
  unsigned char b[16];
  secure_random_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace ibd::fhir::client
