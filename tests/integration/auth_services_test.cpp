// Authentication end to end against a real OpenID Connect provider (scripts/services oidc,
// SPACETIME_TEST_OIDC_URL): the real binary with --issuer, tokens the provider signs
// (RS256, ES256, client_credentials) and tokens forged here with keys of our own. REST and
// the WebSocket, every rejection reason with its metric, key rotation and the refetch rate
// limit, refresh on an open connection, expiry (close 4001) and resume, viewer vs admin,
// and refresh/resume/subscribe racing on one session. Label `services`.
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "support/child_process.hpp"
#include "support/jwt_forge.hpp"

namespace spacetime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using WebSocket = websocket::stream<tcp::socket>;

struct Reply {
  int status = 0;
  std::string www_authenticate;
  std::string body;
};

Reply request(const std::string& host, const std::string& port, http::verb verb,
              const std::string& target, const std::string& bearer = {},
              const std::string& form = {}) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::resolver(ioc).resolve(host, port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host + ":" + port);
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!form.empty()) {
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    req.body() = form;
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return {static_cast<int>(res.result_int()), std::string(res[http::field::www_authenticate]),
          res.body()};
}

// The issuer as scripts/services started it.
struct Provider {
  std::string url, port;
  Provider() {
    const char* u = std::getenv("SPACETIME_TEST_OIDC_URL");
    const char* p = std::getenv("SPACETIME_TEST_OIDC_PORT");
    if (u != nullptr && p != nullptr) url = u, port = p;
  }
  std::string token(const std::string& query) const {
    const Reply r = request("127.0.0.1", port, http::verb::get, "/test/token?" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  std::uint64_t jwks_hits() const {
    const Reply r = request("127.0.0.1", port, http::verb::get, "/test/stats");
    const auto at = r.body.find("\"jwks_hits\":");
    return at == std::string::npos ? 0 : std::strtoull(r.body.c_str() + at + 12, nullptr, 10);
  }
};

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(oidc_.url.empty())
        << "SPACETIME_TEST_OIDC_URL is not set: run through scripts/services run oidc -- ...";
  }

  // issuer: the provider's by default; empty: auth off.
  void start(std::vector<std::string> extra = {}, std::optional<std::string> issuer = {}) {
    dir_ = std::filesystem::temp_directory_path() /
           ("spacetime-auth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {"serve",
                                     "--port",
                                     "0",
                                     "--seed",
                                     "3",
                                     "--web-root",
                                     dir_.string(),
                                     "--flush-ms",
                                     "50",
                                     "--data-dir",
                                     (dir_ / "data").string(),
                                     "--symbols",
                                     "4"};
    if (issuer.value_or(oidc_.url) != "") {
      args.insert(args.end(), {"--issuer", issuer.value_or(oidc_.url), "--audience", "spacetime",
                               "--jwks-refetch-seconds", "2"});
    }
    if (std::find(extra.begin(), extra.end(), "--rate") == extra.end())
      args.insert(args.end(), {"--rate", "2000"});
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<testing::ChildProcess>(SPACETIME_BIN, args, dir_ / "serve.log");
    const auto port = server_->wait_for("listening on http://127.0.0.1:", std::chrono::seconds(20));
    ASSERT_TRUE(port) << "server did not start:\n" << server_->output();
    port_ = port->substr(0, port->find(' '));
  }

  void TearDown() override {
    if (server_) {
      const int status = server_->stop();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->output();
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Reply get(const std::string& target, const std::string& bearer = {}) {
    return request("127.0.0.1", port_, http::verb::get, target, bearer);
  }

  std::string viewer() { return oidc_.token("roles=viewer&aud=spacetime"); }
  std::string admin() { return oidc_.token("roles=admin&aud=spacetime"); }

  // A sample of /metrics (read with an admin token), 0 when absent.
  std::uint64_t metric(const std::string& name_with_labels) {
    const Reply r = get("/metrics", admin());
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string key = "\nspacetime_" + name_with_labels + " ";
    const auto at = r.body.find(key);
    return at == std::string::npos ? 0
                                   : std::strtoull(r.body.c_str() + at + key.size(), nullptr, 10);
  }
  std::uint64_t rejected(std::string_view reason) {
    return metric(fmt::format("auth_rejected_total{{reason=\"{}\"}}", reason));
  }

  std::unique_ptr<WebSocket> connect(const std::string& origin = {}) {
    auto ws = std::make_unique<WebSocket>(ioc_);
    net::connect(ws->next_layer(), tcp::resolver(ioc_).resolve("127.0.0.1", port_));
    if (!origin.empty()) {
      ws->set_option(websocket::stream_base::decorator(
          [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
    }
    ws->handshake("127.0.0.1:" + port_, "/ws");
    return ws;
  }
  static void send(WebSocket& ws, const std::string& text) { ws.write(net::buffer(text)); }
  static std::string read(WebSocket& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }
  // Reads until the server closes; returns its close code.
  static std::uint16_t read_until_closed(WebSocket& ws, std::string* reason = nullptr) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      buffer.consume(buffer.size());
      ws.read(buffer, ec);
    }
    if (reason != nullptr) *reason = std::string(ws.reason().reason.c_str());
    return ws.reason().code;
  }
  // auth op, then the ok and hello replies.
  std::unique_ptr<WebSocket> open(const std::string& token) {
    auto ws = connect();
    send(*ws, R"({"op":"auth","id":1,"token":")" + token + R"("})");
    const std::string ok = read(*ws);
    EXPECT_NE(ok.find(R"("type":"ok","id":1,"op":"auth")"), std::string::npos) << ok;
    EXPECT_NE(read(*ws).find(R"("type":"hello")"), std::string::npos);
    return ws;
  }

  Provider oidc_;
  net::io_context ioc_;
  std::filesystem::path dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string port_;
};

TEST_F(Auth, RestNeedsABearerTokenExceptHealthAndAuthConfig) {
  start();
  const Reply none = get("/api/symbols");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body, R"({"error":"unauthenticated","reason":"missing"})");
  EXPECT_EQ(none.www_authenticate, R"(Bearer realm="spacetime")");
  EXPECT_EQ(get("/api/symbols", viewer()).status, 200);
  EXPECT_EQ(get("/api/candles?symbol=ALFA&tf=1m", viewer()).status, 200);
  EXPECT_EQ(get("/api/health").status, 200);
  const Reply config = get("/api/auth/config");
  EXPECT_EQ(config.status, 200);
  EXPECT_EQ(config.body, fmt::format(R"({{"enabled":true,"issuer":"{}","client_id":"spacetime",)"
                                     R"("audience":"spacetime"}})",
                                     oidc_.url));
  // /metrics is an admin endpoint; a token with no reading role reads nothing.
  const Reply viewer_metrics = get("/metrics", viewer());
  EXPECT_EQ(viewer_metrics.status, 403);
  EXPECT_EQ(viewer_metrics.www_authenticate, R"(Bearer error="insufficient_scope")");
  EXPECT_EQ(get("/metrics", admin()).status, 200);
  EXPECT_EQ(get("/api/symbols", oidc_.token("roles=offline_access&aud=spacetime")).status, 403);
  EXPECT_GE(metric("auth_accepted_total"), 4u);
}

// Off (the default): one loud line, everything open, and the front end is told so.
TEST_F(Auth, OffByDefaultWithALoudWarning) {
  start({}, "");
  EXPECT_NE(server_->output().find("AUTH IS OFF: anyone who reaches"), std::string::npos)
      << server_->output();
  EXPECT_EQ(get("/api/auth/config").body, R"({"enabled":false})");
  EXPECT_EQ(get("/api/symbols").status, 200);
  EXPECT_EQ(get("/metrics").status, 200);
  auto ws = connect();
  EXPECT_NE(read(*ws).find(R"("type":"hello")"), std::string::npos);
  send(*ws, R"({"op":"auth","id":1,"token":"a.b.c"})");
  EXPECT_NE(read(*ws).find(R"("code":"bad_request")"), std::string::npos);
}

// An issuer that cannot be reached: the gateway starts anyway and refuses tokens with
// keys_unavailable (never hangs, never crashes).
TEST_F(Auth, UnreachableIssuerStartsAndRefusesWithKeysUnavailable) {
  start({}, "http://127.0.0.1:1");
  const auto own = testing::rsa_key();
  const Reply r = get("/api/symbols", testing::forge(R"({"alg":"RS256","kid":"k"})",
                                                     R"({"sub":"a"})", own, "RS256"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"({"error":"unauthenticated","reason":"keys_unavailable"})");
  EXPECT_EQ(get("/api/health").status, 200);
}

TEST_F(Auth, ClientCredentialsTokenFromTheProviderWorks) {
  start();
  const Reply r = request("127.0.0.1", oidc_.port, http::verb::post, "/token", {},
                          "grant_type=client_credentials&client_id=spacetime&scope=viewer");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser p;
  std::string_view token;
  ASSERT_FALSE(p.parse(r.body)["access_token"].get_string().get(token));
  // azp names the client: the audience check accepts it without an aud claim.
  EXPECT_EQ(get("/api/symbols", std::string(token)).status, 200);
}

// Each refusal: 401, its reason in the body and WWW-Authenticate, and its counter up by one.
TEST_F(Auth, EveryRejectionHasItsReasonAndMetric) {
  start();
  const auto own_rsa = testing::rsa_key();
  const auto own_ec = testing::ec_key();
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::string claims =
      fmt::format(R"({{"iss":"{}","sub":"mallory","aud":"spacetime","exp":{},"iat":{},)"
                  R"("realm_access":{{"roles":["admin","viewer"]}}}})",
                  oidc_.url, now + 300, now);
  // The provider's own public key, as an attacker would fetch it.
  const Reply jwks = request("127.0.0.1", oidc_.port, http::verb::get, "/jwks");
  const std::string good = viewer();
  std::string tampered = good;
  tampered[tampered.rfind('.') + 5] = tampered[tampered.rfind('.') + 5] == 'A' ? 'B' : 'A';
  const std::string es_good = oidc_.token("kid=es-1&roles=viewer&aud=spacetime");
  std::string es_tampered = es_good;
  es_tampered[es_tampered.rfind('.') + 3] =
      es_tampered[es_tampered.rfind('.') + 3] == 'A' ? 'B' : 'A';

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"alg_none", testing::forge(R"({"alg":"none","kid":"rs-1"})", claims, {}, "none")},
      // Algorithm confusion: HMAC keyed with the issuer's public key material.
      {"alg_not_allowed",
       testing::forge(R"({"alg":"HS256","kid":"rs-1"})", claims, {}, "HS256", jwks.body)},
      {"bad_signature",
       testing::forge(R"({"alg":"RS256","kid":"rs-1"})", claims, own_rsa, "RS256")},
      {"bad_signature", testing::forge(R"({"alg":"ES256","kid":"es-1"})", claims, own_ec, "ES256")},
      {"bad_signature", tampered},
      {"bad_signature", es_tampered},
      // An ES256 token naming the RSA key (key-type confusion).
      {"bad_signature", testing::forge(R"({"alg":"ES256","kid":"rs-1"})", claims, own_ec, "ES256")},
      {"unknown_kid", testing::forge(R"({"alg":"RS256","kid":"nope"})", claims, own_rsa, "RS256")},
      {"wrong_issuer", oidc_.token("roles=viewer&aud=spacetime&iss=https://evil.example")},
      {"wrong_audience", oidc_.token("roles=viewer&aud=billing")},
      {"expired", oidc_.token("roles=viewer&aud=spacetime&expires_in=-31")},
      {"not_yet_valid", oidc_.token("roles=viewer&aud=spacetime&nbf_offset=120")},
      {"issued_in_future", oidc_.token("roles=viewer&aud=spacetime&iat_offset=120")},
      {"missing_subject", oidc_.token("roles=viewer&aud=spacetime&no_sub=1")},
      {"malformed", "not-a-jwt"},
      {"malformed", good.substr(0, good.rfind('.'))},
      {"malformed", "e30.e30.e30.e30"},
      {"malformed", "%%%.e30.AA"},
      {"malformed", auth::base64url_encode(R"({"alg":"RS256","kid":"rs-1"})") + "." +
                        auth::base64url_encode("{not json") + ".AA"},
      {"oversize", std::string(auth::kMaxTokenBytes + 1, 'a')},
  };
  for (const auto& [reason, token] : cases) {
    SCOPED_TRACE(reason);
    const std::uint64_t before = rejected(reason);
    const Reply r = get("/api/symbols", token);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.body, fmt::format(R"({{"error":"unauthenticated","reason":"{}"}})", reason));
    EXPECT_EQ(
        r.www_authenticate,
        fmt::format(R"(Bearer realm="spacetime", error="invalid_token", error_description="{}")",
                    reason));
    EXPECT_EQ(rejected(reason), before + 1);
  }
  // The good ones pass (RS256 and ES256 from the provider).
  EXPECT_EQ(get("/api/symbols", good).status, 200);
  EXPECT_EQ(get("/api/symbols", es_good).status, 200);
}

TEST_F(Auth, WebSocketOpensWithAProviderTokenAndEventsStream) {
  start();
  for (const char* kid : {"rs-1", "es-1"}) {
    SCOPED_TRACE(kid);
    auto ws = connect();
    send(*ws,
         fmt::format(R"({{"op":"auth","id":1,"token":"{}"}})",
                     oidc_.token(fmt::format("kid={}&roles=viewer&aud=spacetime&sub=bob", kid))));
    const std::string ok = read(*ws);
    EXPECT_NE(ok.find(R"("type":"ok","id":1,"op":"auth","sub":"bob","exp":)"), std::string::npos)
        << ok;
    EXPECT_NE(ok.find(R"("roles":["viewer"])"), std::string::npos) << ok;
    EXPECT_NE(read(*ws).find(R"("type":"hello")"), std::string::npos);
    send(*ws, R"({"op":"subscribe","id":2,"symbols":["ALFA"],"streams":["ticks"],"history":0})");
    int batches = 0;
    for (int i = 0; i < 200 && batches < 3; ++i)
      batches += read(*ws).find(R"("type":"batch")") != std::string::npos ? 1 : 0;
    EXPECT_EQ(batches, 3);
  }
}

TEST_F(Auth, WebSocketWithoutAGoodTokenIsClosedWith4001) {
  start();
  {
    auto ws = connect();  // another op first
    send(*ws, R"({"op":"subscribe","id":1,"symbols":["ALFA"],"streams":["ticks"]})");
    std::string reason;
    EXPECT_EQ(read_until_closed(*ws, &reason), 4001);
    EXPECT_EQ(reason, "authentication required");
  }
  {
    auto ws = connect();  // a bad token: its reason in the close
    send(*ws,
         R"({"op":"auth","id":1,"token":")" + oidc_.token("roles=viewer&aud=billing") + R"("})");
    std::string reason;
    EXPECT_EQ(read_until_closed(*ws, &reason), 4001);
    EXPECT_EQ(reason, "wrong_audience");
  }
  {
    auto ws = connect();  // no reading role
    send(*ws, R"({"op":"auth","id":1,"token":")" + oidc_.token("roles=x&aud=spacetime") + R"("})");
    EXPECT_NE(read(*ws).find(R"("code":"forbidden")"), std::string::npos);
    EXPECT_EQ(read_until_closed(*ws), 4003);
  }
  {
    auto ws = connect();  // silence: closed after the auth timeout (10 s)
    std::string reason;
    EXPECT_EQ(read_until_closed(*ws, &reason), 4001);
    EXPECT_EQ(reason, "authentication timeout");
  }
  // Another site's page may not open the socket; the page's own origin may.
  EXPECT_THROW(connect("http://evil.example"), beast::system_error);
  EXPECT_NO_THROW(connect("http://127.0.0.1:" + port_));
}

// A JSON message padded with spaces before its closing brace to exactly `size` bytes.
std::string padded(const std::string& json, std::size_t size) {
  EXPECT_LE(json.size(), size);
  return json.substr(0, json.size() - 1) + std::string(size - json.size(), ' ') + "}";
}

// hello.limits tells the truth about message size: an `auth` message (first or refresh)
// may have max_auth_message_bytes (8704), every other op max_message_bytes (4096); one
// byte more closes with 1009.
TEST_F(Auth, AuthMessagesMayHave8704BytesOtherMessages4096) {
  start();
  const std::string token = viewer();
  auto ws = connect();
  send(*ws, padded(R"({"op":"auth","id":1,"token":")" + token + R"("})", 8704));
  const std::string ok = read(*ws);
  EXPECT_NE(ok.find(R"("type":"ok","id":1,"op":"auth")"), std::string::npos) << ok;
  const std::string hello = read(*ws);
  EXPECT_NE(hello.find(R"("max_auth_message_bytes":8704,"max_message_bytes":4096)"),
            std::string::npos)
      << hello;
  send(*ws, padded(R"({"op":"auth","id":2,"token":")" + token + R"("})", 8704));  // refresh
  send(*ws, padded(R"({"op":"ping","id":3})", 4096));
  bool refreshed = false, pong = false;
  for (int i = 0; i < 400 && !(refreshed && pong); ++i) {
    const std::string m = read(*ws);
    refreshed |= m.find(R"("type":"ok","id":2,"op":"auth")") != std::string::npos;
    pong |= m.find(R"("type":"pong","id":3)") != std::string::npos;
  }
  EXPECT_TRUE(refreshed);
  EXPECT_TRUE(pong);
  send(*ws, padded(R"({"op":"ping","id":4})", 4097));  // not an auth: 4096 at most
  std::string reason;
  EXPECT_EQ(read_until_closed(*ws, &reason), 1009);
  EXPECT_EQ(reason, "message too big");

  auto big = connect();
  send(*big, padded(R"({"op":"auth","id":1,"token":")" + token + R"("})", 8705));
  EXPECT_EQ(read_until_closed(*big), 1009);
  EXPECT_GE(metric(R"(closes_total{reason="message_too_big"})"), 2u);
}

TEST_F(Auth, RefreshOnTheOpenConnectionKeepsItAndAnotherSubjectClosesIt) {
  start();
  auto ws = open(oidc_.token("roles=viewer&aud=spacetime&sub=carol&expires_in=60"));
  send(*ws, R"({"op":"subscribe","id":2,"symbols":["ALFA"],"streams":["ticks"],"history":0})");
  send(*ws, R"({"op":"auth","id":3,"token":")" +
                oidc_.token("roles=viewer,admin&aud=spacetime&sub=carol&expires_in=600") + R"("})");
  bool refreshed = false;
  int batches_after = 0;
  for (int i = 0; i < 400 && batches_after < 2; ++i) {
    const std::string m = read(*ws);
    if (m.find(R"("type":"ok","id":3,"op":"auth","sub":"carol")") != std::string::npos) {
      refreshed = true;
      EXPECT_NE(m.find(R"("roles":["viewer","admin"])"), std::string::npos) << m;
    }
    if (refreshed && m.find(R"("type":"batch")") != std::string::npos) ++batches_after;
  }
  EXPECT_TRUE(refreshed);
  EXPECT_EQ(batches_after, 2);  // the subscription lives on
  // The refreshed roles count: admin may now steer the replay (not_replay: past the role
  // check, which a viewer's pause fails with forbidden).
  send(*ws, R"({"op":"replay","id":4,"action":"pause"})");
  bool answered = false;
  for (int i = 0; i < 400 && !answered; ++i) {
    const std::string m = read(*ws);
    if (m.find(R"("id":4)") != std::string::npos) {
      answered = true;
      EXPECT_NE(m.find(R"("code":"not_replay")"), std::string::npos) << m;
    }
  }
  EXPECT_TRUE(answered);
  send(*ws, R"({"op":"auth","id":5,"token":")" +
                oidc_.token("roles=viewer&aud=spacetime&sub=dave") + R"("})");
  std::string reason;
  EXPECT_EQ(read_until_closed(*ws, &reason), 4001);
  EXPECT_EQ(reason, "subject changed");
}

// A viewer may read the replay's status (here not_replay: past the role check) but not
// steer it; an admin may steer it.
TEST_F(Auth, ViewerMayReadTheReplayStatusOnlyAdminMaySteerIt) {
  start();
  auto viewer_ws = open(viewer());
  send(*viewer_ws, R"({"op":"replay","id":7,"action":"pause"})");
  EXPECT_NE(read(*viewer_ws).find(R"("type":"error","id":7,"code":"forbidden")"),
            std::string::npos);
  send(*viewer_ws, R"({"op":"replay","id":8,"action":"status"})");
  EXPECT_NE(read(*viewer_ws).find(R"("type":"error","id":8,"code":"not_replay")"),
            std::string::npos);
  auto admin_ws = open(admin());
  send(*admin_ws, R"({"op":"replay","id":7,"action":"pause"})");
  EXPECT_NE(read(*admin_ws).find(R"("type":"error","id":7,"code":"not_replay")"),
            std::string::npos);
}

// Expiry without refresh closes with 4001; the client authenticates again and resumes by seq.
TEST_F(Auth, ExpiredSessionClosesWith4001AndResumesAfterReauthentication) {
  start({"--leeway-seconds", "0", "--rate", "200"});
  // Another client keeps ALFA's ticks flowing into the gateway's ring (ticks reach the
  // gateway only for watched symbols), so the resume finds what was missed.
  auto watcher = open(oidc_.token("roles=viewer&aud=spacetime&sub=watcher"));
  send(*watcher, R"({"op":"subscribe","id":2,"symbols":["ALFA"],"streams":["ticks"],"history":0})");
  auto ws = open(oidc_.token("roles=viewer&aud=spacetime&sub=erin&expires_in=3"));
  send(*ws, R"({"op":"subscribe","id":2,"symbols":["ALFA"],"streams":["ticks"],"history":0})");
  std::uint64_t last_seq = 0;
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!ec) {
    buffer.consume(buffer.size());
    ws->read(buffer, ec);
    const std::string m = beast::buffers_to_string(buffer.data());
    for (auto at = m.find(R"("seq":)"); at != std::string::npos; at = m.find(R"("seq":)", at + 1))
      last_seq = std::max<std::uint64_t>(last_seq, std::strtoull(m.c_str() + at + 6, nullptr, 10));
  }
  EXPECT_EQ(ws->reason().code, 4001);
  EXPECT_EQ(std::string(ws->reason().reason.c_str()), "token expired");
  ASSERT_GT(last_seq, 0u);
  EXPECT_GE(metric(R"(closes_total{reason="4001"})"), 1u);

  auto again = open(oidc_.token("roles=viewer&aud=spacetime&sub=erin"));
  send(*again,
       fmt::format(
           R"({{"op":"resume","id":3,"channels":[{{"symbol":"ALFA","stream":"ticks","seq":{}}}]}})",
           last_seq));
  const std::string snapshot = read(*again);
  EXPECT_NE(snapshot.find(R"("type":"snapshot")"), std::string::npos) << snapshot.substr(0, 300);
  EXPECT_NE(snapshot.find(R"("resume":true)"), std::string::npos);
  const auto first = snapshot.find(R"("seq":)");
  if (first != std::string::npos) {
    EXPECT_EQ(std::strtoull(snapshot.c_str() + first + 6, nullptr, 10), last_seq + 1);
  }
}

// The provider rotates: a token with the new kid is refused (unknown_kid) only until the
// gateway re-fetches the JWKS, and unknown kids never fetch more than once per interval.
TEST_F(Auth, KeyRotationIsPickedUpAndRefetchesAreRateLimited) {
  start();
  ASSERT_EQ(get("/api/symbols", viewer()).status, 200);  // the keys are loaded
  const Reply rotated =
      request("127.0.0.1", oidc_.port, http::verb::post, "/test/rotate?alg=ES256");
  ASSERT_EQ(rotated.status, 200);
  const std::string kid = rotated.body.substr(8, rotated.body.size() - 10);  // {"kid":"es-N"}
  const std::string token = oidc_.token("kid=" + kid + "&roles=viewer&aud=spacetime");
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t hits0 = oidc_.jwks_hits();
  int status = 0;
  for (int i = 0; i < 300 && status != 200; ++i) {
    status = get("/api/symbols", token).status;
    if (status != 200) {
      EXPECT_EQ(status, 401);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(status, 200) << "the new key was never fetched";
  // A burst of unknown kids: at most one fetch per 2 s interval (plus the one in progress).
  const auto own = testing::rsa_key();
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(get("/api/symbols", testing::forge(fmt::format(R"({{"alg":"RS256","kid":"x{}"}})", i),
                                                 R"({"sub":"m"})", own, "RS256"))
                  .status,
              401);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::uint64_t fetches = oidc_.jwks_hits() - hits0;
  EXPECT_GE(fetches, 1u);
  EXPECT_LE(static_cast<double>(fetches), elapsed / 2.0 + 2.0) << elapsed << " s";
  EXPECT_GE(rejected("unknown_kid"), 30u);
}

// Two tabs of one subject: refresh, resume, subscribe, refresh, unsubscribe sent back to
// back, many times. A session reads on only after each token's verdict, so every request
// is answered exactly once, what follows a refresh is handled after its verdict, and the
// unsubscribe always finds both channels (active or pending): no lost or doubled state.
TEST_F(Auth, RefreshResumeAndSubscribeOnOneSessionAreSerialised) {
  start({"--requests-per-s", "100000", "--request-burst", "100000"});
  auto ws = open(oidc_.token("roles=viewer&aud=spacetime&sub=frank"));
  auto other_tab = open(oidc_.token("roles=viewer&aud=spacetime&sub=frank"));
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i)
    tokens.push_back(oidc_.token(
        fmt::format("kid={}&roles=viewer&aud=spacetime&sub=frank", i % 2 ? "es-1" : "rs-1")));
  constexpr int kRounds = 100;
  int next_id = 10;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<int> ids;
    for (WebSocket* s : {ws.get(), other_tab.get()}) {
      const int base = next_id;
      send(*s, fmt::format(R"({{"op":"auth","id":{},"token":"{}"}})", base, tokens[round % 4]));
      send(
          *s,
          fmt::format(
              R"({{"op":"resume","id":{},"channels":[{{"symbol":"ALFA","stream":"ticks","seq":1}}]}})",
              base + 1));
      send(*s,
           fmt::format(
               R"({{"op":"subscribe","id":{},"symbols":["BRVO"],"streams":["ticks"],"history":0}})",
               base + 2));
      send(*s, fmt::format(R"({{"op":"auth","id":{},"token":"{}"}})", base + 3,
                           tokens[(round + 1) % 4]));
      send(*s,
           fmt::format(
               R"({{"op":"unsubscribe","id":{},"symbols":["ALFA","BRVO"],"streams":["ticks"]}})",
               base + 4));
    }
    for (WebSocket* s : {ws.get(), other_tab.get()}) {
      const int base = next_id;
      std::map<int, int> order;  // request id -> position of its answer
      int position = 0;
      while (order.size() < 5) {
        const std::string m = read(*s);
        if (m.find(R"("type":"ok")") == std::string::npos &&
            m.find(R"("type":"error")") == std::string::npos)
          continue;  // snapshots, batches, gaps
        ASSERT_NE(m.find(R"("type":"ok")"), std::string::npos) << "round " << round << ": " << m;
        const auto at = m.find(R"("id":)");
        ASSERT_NE(at, std::string::npos) << m;
        const int id = std::atoi(m.c_str() + at + 5);
        ASSERT_TRUE(id >= base && id < base + 5) << "round " << round << ": " << m;
        ASSERT_TRUE(order.emplace(id, position++).second) << "answered twice: " << m;
        // Both channels are active or still pending when unsubscribe comes: both removed.
        if (id == base + 4) {
          EXPECT_NE(m.find(R"("channels":2)"), std::string::npos) << m;
        }
      }
      // Each verdict before what was sent after it: refresh 1 < refresh 2 < unsubscribe.
      EXPECT_LT(order[base], order[base + 3]) << "round " << round;
      EXPECT_LT(order[base + 3], order[base + 4]) << "round " << round;
    }
    next_id += 5;
  }
  EXPECT_EQ(metric(R"(closes_total{reason="4001"})"), 0u);
}

}  // namespace
}  // namespace spacetime
