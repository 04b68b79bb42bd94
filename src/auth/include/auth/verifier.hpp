// Verifies bearer tokens against an OIDC issuer: its discovery document names the JWKS,
// whose keys are cached and re-fetched when a token names an unknown kid (at most once per
// refetch interval). Thread-safe; verify() may block on a fetch, so the gateway calls it
// from its own worker thread, never from the I/O thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/token.hpp"

namespace spacetime::auth {

struct AuthConfig {
  std::string issuer;  // empty: authentication is off
  std::string audience;
  std::string client_id = "spacetime";  // what the front end logs in as (/api/auth/config)
  std::int64_t leeway_s = 30;
  int refetch_interval_ms = 10000;  // at most one JWKS fetch per interval
  int fetch_timeout_ms = 5000;
  bool enabled() const { return !issuer.empty(); }
};

struct Identity {
  std::string sub;
  std::int64_t exp = 0;  // UTC seconds
  std::vector<std::string> roles;
  bool viewer = false;  // may read: role viewer or admin
  bool admin = false;   // role admin
};

struct Verdict {
  std::optional<Reason> reason;  // set: refused
  Identity identity;
};

struct VerifierStats {
  std::uint64_t accepted = 0;
  std::array<std::uint64_t, kReasonCount> rejected{};
  std::uint64_t key_fetches = 0;
  std::uint64_t key_fetch_failures = 0;
  std::uint64_t keys = 0;
};

// GET of an http:// or https:// URL (certificates checked against the system store);
// throws std::runtime_error naming the URL on any failure, a non-200 status included.
std::string http_fetch(const std::string& url, std::chrono::milliseconds timeout);

class Verifier {
 public:
  explicit Verifier(AuthConfig config);

  // Fetches discovery and JWKS now (start-up); false (logged) when the issuer cannot be
  // reached: tokens are then refused with keys_unavailable until a later fetch succeeds.
  bool load_keys();
  Verdict verify(std::string_view token, std::int64_t now_s);
  // Counts a refusal decided outside verify() (busy).
  void count(Reason r) { rejected_[static_cast<std::size_t>(r)].fetch_add(1); }

  VerifierStats stats() const;
  const AuthConfig& config() const { return config_; }

 private:
  // Re-fetches unless the last attempt is younger than the refetch interval.
  void maybe_refetch();

  AuthConfig config_;
  Policy policy_;
  mutable std::mutex mutex_;
  KeySet keys_;                                         // under mutex_
  std::chrono::steady_clock::time_point last_fetch_{};  // under mutex_
  bool fetched_once_ = false;                           // under mutex_
  std::mutex fetch_mutex_;                              // one fetch at a time
  std::atomic<std::uint64_t> accepted_{0}, fetches_{0}, fetch_failures_{0};
  std::array<std::atomic<std::uint64_t>, kReasonCount> rejected_{};
};

}  // namespace spacetime::auth
