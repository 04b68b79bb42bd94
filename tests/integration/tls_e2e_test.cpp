// Transport security of the real binary: `spacetime serve --tls-cert --tls-key` with a
// throwaway self-signed certificate (openssl CLI, temporary directory) answers HTTPS and
// WSS on one port, verified against that certificate; every HTTP answer carries the
// security headers (plain HTTP too); a missing, unreadable, non-PEM or mismatched
// certificate or key stops start-up with one clear line and a non-zero exit.
#include <utility>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace spacetime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr auto kIndex = "<!doctype html><title>SpaceTime TLS test</title>\n";

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("spacetime-tls-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "web");
  std::ofstream(dir / "web" / "index.html") << kIndex;
  return dir;
}

// A self-signed EC certificate for 127.0.0.1, valid one day.
void make_cert(const std::filesystem::path& dir, const std::string& stem) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      (dir / (stem + "-key.pem")).string() + "' -out '" + (dir / (stem + "-cert.pem")).string() +
      "' 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

std::vector<std::string> serve_args(const std::filesystem::path& dir) {
  return {"serve",
          "--port",
          "0",
          "--bind",
          "127.0.0.1",
          "--symbols",
          "2",
          "--rate",
          "500",
          "--flush-ms",
          "50",
          "--web-root",
          (dir / "web").string(),
          "--data-dir",
          (dir / "data").string(),
          "--store",
          "memory:"};
}

class TlsServe : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    make_cert(dir_, "server");
    auto args = serve_args(dir_);
    args.insert(args.end(), {"--tls-cert", (dir_ / "server-cert.pem").string(), "--tls-key",
                             (dir_ / "server-key.pem").string()});
    server_ = std::make_unique<testing::ChildProcess>(SPACETIME_BIN, args, dir_ / "serve.log");
    const auto port =
        server_->wait_for("listening on https://127.0.0.1:", std::chrono::seconds(30));
    ASSERT_TRUE(port) << "server did not start:\n" << server_->output();
    port_ = port->substr(0, port->find(' '));
    // Trust exactly the throwaway certificate, and check the name it was made for.
    client_tls_.set_verify_mode(ssl::verify_peer);
    client_tls_.load_verify_file((dir_ / "server-cert.pem").string());
  }

  void TearDown() override {
    if (server_) {
      const int status = server_->stop();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server_->output();
    }
    std::filesystem::remove_all(dir_);
  }

  void connect(beast::ssl_stream<beast::tcp_stream>& stream) {
    tcp::resolver resolver(ioc_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(stream).connect(resolver.resolve("127.0.0.1", port_));
    stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream.handshake(ssl::stream_base::client);
  }

  net::io_context ioc_;
  ssl::context client_tls_{ssl::context::tls_client};
  std::filesystem::path dir_;
  std::unique_ptr<testing::ChildProcess> server_;
  std::string port_;
};

TEST_F(TlsServe, HttpsGetServesThePageWithSecurityHeaders) {
  beast::ssl_stream<beast::tcp_stream> stream(ioc_, client_tls_);
  connect(stream);
  for (const std::string target : {"/", "/api/health"}) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1:" + port_);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.result_int(), 200) << target;
    if (target == "/") {
      EXPECT_EQ(res.body(), kIndex);
    } else {
      EXPECT_NE(res.body().find(R"("status":"ok")"), std::string::npos) << res.body();
    }
    EXPECT_EQ(res["Strict-Transport-Security"], "max-age=31536000") << target;
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff") << target;
    EXPECT_EQ(res["X-Frame-Options"], "DENY") << target;
    EXPECT_NE(res["Content-Security-Policy"].find("script-src 'self';"), std::string::npos);
  }
}

TEST_F(TlsServe, WssSubscribeGetsSnapshotAndBatches) {
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc_, client_tls_);
  connect(ws.next_layer());
  ws.handshake("127.0.0.1:" + port_, "/ws");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  beast::flat_buffer buffer;
  ws.read(buffer);
  std::string frame = beast::buffers_to_string(buffer.data());
  ASSERT_FALSE(parser.parse(frame).get(doc)) << frame;
  ASSERT_EQ(std::string_view(doc["type"]), "hello");
  const std::string symbol(std::string_view(doc["symbols"].at(0)["symbol"]));
  ws.write(net::buffer(R"({"op":"subscribe","id":1,"symbols":[")" + symbol +
                       R"("],"streams":["ticks"]})"));
  bool snapshot = false, ok = false, batch = false;
  // Bounded by messages, not time: 500 ticks/s over 2 symbols gives a batch every 50 ms.
  for (int i = 0; i < 200 && !(snapshot && ok && batch); ++i) {
    buffer.clear();
    ws.read(buffer);
    frame = beast::buffers_to_string(buffer.data());
    ASSERT_FALSE(parser.parse(frame).get(doc)) << frame;
    const std::string_view type(doc["type"]);
    snapshot |= type == "snapshot";
    ok |= type == "ok";
    batch |= type == "batch";
  }
  EXPECT_TRUE(snapshot);
  EXPECT_TRUE(ok);
  EXPECT_TRUE(batch);
  ws.close(websocket::close_code::normal);
}

TEST_F(TlsServe, PlainHttpOnTheTlsPortGetsNoPage) {
  tcp::socket socket(ioc_);
  tcp::resolver resolver(ioc_);
  net::connect(socket, resolver.resolve("127.0.0.1", port_));
  const std::string plain = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  net::write(socket, net::buffer(plain));
  std::string got;
  beast::error_code ec;
  char buf[4096];
  for (std::size_t n; (n = socket.read_some(net::buffer(buf), ec)) > 0 && !ec;)
    got.append(buf, n);
  EXPECT_EQ(got.find("SpaceTime TLS test"), std::string::npos) << got;
  // The server closed the connection after counting the failed handshake.
  beast::ssl_stream<beast::tcp_stream> stream(ioc_, client_tls_);
  connect(stream);
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1:" + port_);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  EXPECT_NE(res.body().find("\nspacetime_tls_handshake_failures_total 1\n"), std::string::npos)
      << res.body();
}

// Auth on (an issuer that cannot be reached: start-up goes on, tokens are refused with
// keys_unavailable) and TLS terminated by the gateway: the page came over https, so only an
// https Origin of this very host and port may open /ws. And the size limit of the first
// message: an `auth` of 8704 bytes is read (and verified), one of 8705 closes with 1009.
TEST(TlsAuth, OriginMustBeHttpsWithThisHostAndPortAndAuthMessagesMayHave8704Bytes) {
  const auto dir = temp_dir("auth");
  make_cert(dir, "server");
  auto args = serve_args(dir);
  args.insert(args.end(), {"--tls-cert", (dir / "server-cert.pem").string(), "--tls-key",
                           (dir / "server-key.pem").string(), "--issuer", "http://127.0.0.1:1"});
  testing::ChildProcess server(SPACETIME_BIN, args, dir / "serve.log");
  const auto listening =
      server.wait_for("listening on https://127.0.0.1:", std::chrono::seconds(30));
  ASSERT_TRUE(listening) << server.output();
  const std::string port = listening->substr(0, listening->find(' '));
  net::io_context ioc;
  ssl::context tls{ssl::context::tls_client};
  tls.set_verify_mode(ssl::verify_peer);
  tls.load_verify_file((dir / "server-cert.pem").string());
  using Wss = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  auto open = [&](const std::string& origin) {
    auto ws = std::make_unique<Wss>(ioc, tls);
    auto& lowest = beast::get_lowest_layer(*ws);
    lowest.expires_after(std::chrono::seconds(30));
    lowest.connect(tcp::resolver(ioc).resolve("127.0.0.1", port));
    ws->next_layer().set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    ws->next_layer().handshake(ssl::stream_base::client);
    lowest.expires_never();
    ws->set_option(websocket::stream_base::decorator(
        [origin](websocket::request_type& req) { req.set(http::field::origin, origin); }));
    ws->handshake("127.0.0.1:" + port, "/ws");
    return ws;
  };
  EXPECT_THROW(open("http://127.0.0.1:" + port), beast::system_error) << "http to a TLS port";
  EXPECT_THROW(open("https://127.0.0.1:1" + port), beast::system_error) << "another port";
  EXPECT_THROW(open("https://127.0.0.1"), beast::system_error) << "443 is another port";
  EXPECT_THROW(open("https://localhost:" + port), beast::system_error) << "another host";
  std::unique_ptr<Wss> ws;
  ASSERT_NO_THROW(ws = open("https://127.0.0.1:" + port));

  auto read_until_closed = [](Wss& s) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      buffer.consume(buffer.size());
      s.read(buffer, ec);
    }
    return std::pair<int, std::string>(s.reason().code, s.reason().reason.c_str());
  };
  const std::string token(7000, 'a');  // refused, but only once read and verified
  auto auth = [&](std::size_t size) {
    std::string m = R"({"op":"auth","id":1,"token":")" + token + R"("})";
    return m.substr(0, m.size() - 1) + std::string(size - m.size(), ' ') + "}";
  };
  ws->write(net::buffer(auth(8704)));
  EXPECT_EQ(read_until_closed(*ws), (std::pair<int, std::string>(4001, "malformed")));
  ws = open("https://127.0.0.1:" + port);
  ws->write(net::buffer(auth(8705)));
  EXPECT_EQ(read_until_closed(*ws).first, 1009);
  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.output();
  std::filesystem::remove_all(dir);
}

// Plain HTTP: the same headers, no HSTS (it would be ignored over HTTP anyway).
TEST(SecurityHeaders, EveryPlainHttpAnswerCarriesThem) {
  const auto dir = temp_dir("plain");
  testing::ChildProcess server(SPACETIME_BIN, serve_args(dir), dir / "serve.log");
  const auto port = server.wait_for("listening on http://127.0.0.1:", std::chrono::seconds(30));
  ASSERT_TRUE(port) << server.output();
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  tcp::resolver resolver(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve("127.0.0.1", port->substr(0, port->find(' '))));
  for (const std::string target : {"/", "/api/health", "/api/candles", "/nope", "/metrics"}) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    const std::string csp(res["Content-Security-Policy"]);
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << target << ": " << csp;
    EXPECT_NE(csp.find("connect-src 'self' ws: wss:"), std::string::npos) << target;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << target;
    // Scripts only from the page's origin, never inline.
    const auto script = csp.find("script-src");
    EXPECT_EQ(csp.substr(script, csp.find(';', script) - script), "script-src 'self'") << csp;
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff") << target;
    EXPECT_EQ(res["X-Frame-Options"], "DENY") << target;
    EXPECT_EQ(res["Referrer-Policy"], "no-referrer") << target;
    EXPECT_EQ(res.count("Strict-Transport-Security"), 0u) << target;
  }
  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.output();
  std::filesystem::remove_all(dir);
}

// Runs serve with extra flags and expects it to stop at start-up: the last line of its
// output, which must hold `want`, and a non-zero exit.
void expect_startup_error(const std::string& name, const std::vector<std::string>& extra,
                          const std::string& want) {
  const auto dir = temp_dir(name);
  make_cert(dir, "a");
  make_cert(dir, "b");
  std::ofstream(dir / "junk.pem") << "not a certificate\n";
  std::ofstream(dir / "secret.pem") << "x";
  std::filesystem::permissions(dir / "secret.pem", std::filesystem::perms::none);
  auto args = serve_args(dir);
  for (auto a : extra) {
    if (a.starts_with("@")) a = (dir / a.substr(1)).string();
    args.push_back(a);
  }
  testing::ChildProcess server(SPACETIME_BIN, args, dir / "serve.log");
  const auto status = server.wait_exit(std::chrono::milliseconds(30'000));
  ASSERT_TRUE(status) << name << ": still running:\n" << server.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << name;
  const std::string out = server.output();
  const auto error = out.find("spacetime: error: ");
  ASSERT_NE(error, std::string::npos) << name << ":\n" << out;
  const std::string line = out.substr(error, out.find('\n', error) - error);
  EXPECT_NE(line.find(want), std::string::npos) << name << ": " << line;
  EXPECT_EQ(out.find("listening on"), std::string::npos) << name << ":\n" << out;
  std::filesystem::remove_all(dir);
}

TEST(TlsStartup, BadCertificatesAndKeysStopWithOneClearLine) {
  expect_startup_error("missing-cert", {"--tls-cert", "@nope.pem", "--tls-key", "@a-key.pem"},
                       "nope.pem: cannot be read (No such file or directory)");
  expect_startup_error("missing-key", {"--tls-cert", "@a-cert.pem", "--tls-key", "@nope.pem"},
                       "TLS private key");
  if (::geteuid() != 0) {  // root reads a file without permissions
    expect_startup_error("unreadable", {"--tls-cert", "@a-cert.pem", "--tls-key", "@secret.pem"},
                         "cannot be read (Permission denied)");
  }
  expect_startup_error("not-pem", {"--tls-cert", "@junk.pem", "--tls-key", "@a-key.pem"},
                       "junk.pem: not a PEM certificate");
  expect_startup_error("key-not-pem", {"--tls-cert", "@a-cert.pem", "--tls-key", "@junk.pem"},
                       "junk.pem: not a PEM private key");
  expect_startup_error("mismatch", {"--tls-cert", "@a-cert.pem", "--tls-key", "@b-key.pem"},
                       "b-key.pem does not match the certificate");
  expect_startup_error("cert-only", {"--tls-cert", "@a-cert.pem"},
                       "TLS needs both a certificate (--tls-cert) and a key (--tls-key)");
}

}  // namespace
}  // namespace spacetime
