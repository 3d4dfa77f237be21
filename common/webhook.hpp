// Standard Webhooks (https://www.standardwebhooks.com/): the pure parts of
// the outbox dispatcher (controller/jobs/webhook_dispatcher.hpp) — the
// secret's format, the signature, the request body and the retry delay —
// so they are unit-tested without a network or a database.
//
// A request carries
//   webhook-id:        the event's event_id (receivers deduplicate on it)
//   webhook-timestamp: Unix seconds of this attempt
//   webhook-signature: "v1," base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
// where key is the base64-decoded part of the configured "whsec_<base64>".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.hpp"

namespace telemed::webhook {

// Signing keys: 24..64 raw bytes (Standard Webhooks generates 24 or 32).
inline constexpr std::size_t kMinKeyBytes = 24;
inline constexpr std::size_t kMaxKeyBytes = 64;

// "whsec_<standard base64>" -> the raw key; nullopt when the prefix is
// missing, the base64 is not strict (padding, alphabet) or the key's length
// is outside kMinKeyBytes..kMaxKeyBytes. Never echoes its input.
std::optional<std::string> parse_secret(std::string_view whsec);

// The webhook-signature header value: "v1,<base64 HMAC-SHA256>".
std::string sign(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body);

// Constant-time check of one "v1,<base64>" signature (a receiver's side;
// the tests and docs use it). A header may hold several space-separated
// signatures: true when any v1 one matches.
bool verify(std::string_view key, std::string_view id, int64_t timestamp_s, std::string_view body,
            std::string_view signature_header);

// The request body of one outbox row: compact JSON
//   {"type":<topic>,"timestamp":<occurred_at>,"data":<payload>}
// where data is the stored payload (ids and enum values only) without its
// "topic" and "occurred_at" members (they are type and timestamp) and with
// "event_id" kept. `payload` is borrowed; a non-object payload gives
// "data":{}. "" if the topic or timestamp is not valid UTF-8.
std::string body(std::string_view topic, std::string_view occurred_at, const json_t* payload);

// Full-jitter exponential backoff (AWS "Exponential Backoff And Jitter"):
// after failed attempt `attempt` (1-based), wait a uniform random time in
// [0, min(cap_ms, base_ms * 2^(attempt-1))]. `random` is a uniform 64-bit
// draw (the caller's RNG: this stays deterministic under test). At least
// 1 ms, so a retry never lands in the same instant as the failure.
int64_t backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t random);

// A 2xx status: delivered. Anything else (and no answer) is retried.
inline bool delivered(long status) { return status >= 200 && status <= 299; }

}  // namespace telemed::webhook
