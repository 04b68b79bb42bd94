#include "auth/verifier.hpp"

#include <utility>  // before Asio: Boost 1.74 coroutine headers need std::exchange

#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

namespace spacetime::auth {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr std::size_t kMaxDocumentBytes = 1 << 20;

struct Url {
  bool tls = false;
  std::string host, port, target;
};

Url parse_url(const std::string& url) {
  Url u;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    throw std::runtime_error(fmt::format("{}: only http:// and https:// URLs", url));
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  if (u.host.empty()) throw std::runtime_error(fmt::format("{}: no host", url));
  return u;
}

template <typename Stream>
std::string exchange(Stream& stream, const Url& u, const std::string& url) {
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "spacetime");
  req.set(http::field::accept, "application/json");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxDocumentBytes);
  http::read(stream, buffer, parser);
  if (parser.get().result() != http::status::ok)
    throw std::runtime_error(fmt::format("{}: HTTP {}", url, parser.get().result_int()));
  return std::move(parser.get().body());
}

}  // namespace

std::string http_fetch(const std::string& url, std::chrono::milliseconds timeout) {
  const Url u = parse_url(url);
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  try {
    // The resolver has no deadline of its own; loopback and /etc/hosts answer at once, and
    // a hanging DNS only holds up the auth worker, never the I/O thread.
    const auto endpoints = resolver.resolve(u.host, u.port);
    if (!u.tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      stream.connect(endpoints);
      return exchange(stream, u, url);
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
    if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(u.host.c_str())) != 1)
      throw std::runtime_error("cannot set SNI");
    stream.set_verify_callback(ssl::host_name_verification(u.host));
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    return exchange(stream, u, url);
  } catch (const beast::system_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", url, e.code().message()));
  }
}

Verifier::Verifier(AuthConfig config)
    : config_(std::move(config)),
      policy_{
          .issuer = config_.issuer, .audience = config_.audience, .leeway_s = config_.leeway_s} {}

bool Verifier::load_keys() {
  std::lock_guard fetch(fetch_mutex_);
  {
    std::lock_guard lock(mutex_);
    last_fetch_ = std::chrono::steady_clock::now();
    fetched_once_ = true;
  }
  fetches_.fetch_add(1);
  const std::chrono::milliseconds timeout(config_.fetch_timeout_ms);
  std::string issuer = config_.issuer;
  while (issuer.ends_with('/'))
    issuer.pop_back();
  try {
    const std::string discovery_url = issuer + "/.well-known/openid-configuration";
    const std::string discovery = http_fetch(discovery_url, timeout);
    simdjson::dom::parser parser;
    std::string_view jwks_uri, named_issuer;
    simdjson::dom::object doc;
    if (parser.parse(discovery).get_object().get(doc) || doc["jwks_uri"].get_string().get(jwks_uri))
      throw std::runtime_error(discovery_url + ": no jwks_uri");
    // OpenID Connect Discovery § 4.3: the document must name the issuer it was fetched for.
    if (doc["issuer"].get_string().get(named_issuer) || named_issuer != config_.issuer)
      throw std::runtime_error(fmt::format("{}: issuer is '{}', not the configured '{}'",
                                           discovery_url, named_issuer, config_.issuer));
    const std::string jwks_url(jwks_uri);
    auto set = parse_jwks(http_fetch(jwks_url, timeout));
    if (!set) throw std::runtime_error(jwks_url + ": not a JWKS document");
    spdlog::info("auth: {} signing keys from {} ({} skipped)", set->keys.size(), jwks_url,
                 set->skipped);
    std::lock_guard lock(mutex_);
    keys_ = std::move(*set);
    return true;
  } catch (const std::exception& e) {
    fetch_failures_.fetch_add(1);
    spdlog::error("auth: cannot fetch the issuer's keys: {}", e.what());
    return false;
  }
}

void Verifier::maybe_refetch() {
  {
    std::lock_guard lock(mutex_);
    if (fetched_once_ && std::chrono::steady_clock::now() - last_fetch_ <
                             std::chrono::milliseconds(config_.refetch_interval_ms))
      return;
  }
  load_keys();
}

Verdict Verifier::verify(std::string_view text, std::int64_t now_s) {
  Verdict v;
  auto reject = [&](Reason r) {
    rejected_[static_cast<std::size_t>(r)].fetch_add(1);
    v.reason = r;
    return v;
  };
  Parsed parsed = parse_token(text);
  if (parsed.error) return reject(*parsed.error);
  const Token& token = parsed.token;
  auto find = [&]() -> std::optional<PublicKey> {
    std::lock_guard lock(mutex_);
    const auto it = keys_.keys.find(token.kid);
    if (it == keys_.keys.end()) return std::nullopt;
    return it->second;
  };
  auto key = find();
  if (!key) {
    maybe_refetch();
    key = find();
  }
  if (!key) {
    std::lock_guard lock(mutex_);
    return reject(keys_.keys.empty() ? Reason::kKeysUnavailable : Reason::kUnknownKid);
  }
  if (!verify_signature(token, *key)) return reject(Reason::kBadSignature);
  if (const auto r = check_claims(token.claims, policy_, now_s)) return reject(*r);
  const Claims& c = token.claims;
  v.identity.sub = c.sub;
  v.identity.exp = *c.exp;
  v.identity.roles = c.roles;
  v.identity.admin = std::find(c.roles.begin(), c.roles.end(), "admin") != c.roles.end();
  v.identity.viewer =
      v.identity.admin || std::find(c.roles.begin(), c.roles.end(), "viewer") != c.roles.end();
  accepted_.fetch_add(1);
  return v;
}

VerifierStats Verifier::stats() const {
  VerifierStats s;
  s.accepted = accepted_.load();
  for (std::size_t i = 0; i < kReasonCount; ++i)
    s.rejected[i] = rejected_[i].load();
  s.key_fetches = fetches_.load();
  s.key_fetch_failures = fetch_failures_.load();
  std::lock_guard lock(mutex_);
  s.keys = keys_.keys.size();
  return s;
}

}  // namespace spacetime::auth
