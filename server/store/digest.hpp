// Digests for the audit trail: SHA-256, HMAC-SHA-256 (OpenSSL) and the chain hash that links
// each audit record to the one before it. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ibd::store {

// The previous hash of the first record: 64 zeros.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// SHA-256 of "<prev_hash>\n<seq>\n<body>", lower-case hex. Covering seq means a record
// cannot be moved, and covering prev_hash means none can be dropped, without breaking every
// hash after it.
std::string chain_hash(std::string_view prev_hash, std::int64_t seq, std::string_view body);

}  // namespace ibd::store
