// The fake IQConnect itself, driven by a raw socket: the replies the client's tests rely
// on have the layouts documented in docs/FEEDS.md ("DTN IQFeed").
#include "fake_iqconnect.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace spacetime::testing {
namespace {

using namespace std::chrono_literals;

// A blocking line client with a deadline on every read.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ADD_FAILURE();
  }
  ~RawClient() { ::close(fd_); }

  void send(const std::string& s) {
    ASSERT_EQ(::send(fd_, s.data(), s.size(), 0), static_cast<ssize_t>(s.size()));
  }

  // The next line without its \r\n, or "<timeout>".
  std::string line() {
    for (;;) {
      if (const auto pos = buf_.find('\n'); pos != std::string::npos) {
        std::string l = buf_.substr(0, pos);
        buf_.erase(0, pos + 1);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        return l;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return "<timeout>";
      char tmp[4096];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return "<closed>";
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }

  // Skips lines until one starts with `prefix`.
  std::string line_starting(const std::string& prefix) {
    for (int i = 0; i < 100; ++i) {
      const std::string l = line();
      if (l.rfind(prefix, 0) == 0 || l.front() == '<') return l;
    }
    return "<not found>";
  }

 private:
  int fd_;
  std::string buf_;
};

std::vector<SourceEvent> two_trades() {
  SourceEvent q;
  q.kind = SourceEvent::Kind::kQuote;
  q.symbol = "AAPL";
  q.local_us = local_time(2024, 3, 15, 9, 30, 0, 500);
  q.bid = 172.60;
  q.ask = 172.64;
  SourceEvent t = q;
  t.kind = SourceEvent::Kind::kTrade;
  t.local_us = local_time(2024, 3, 15, 9, 30, 1, 250);
  t.price = 172.62;
  t.size = 100;
  t.tick_id = 1001;
  t.basis = 'C';
  SourceEvent t2 = t;
  t2.local_us += 1'000'000;
  t2.tick_id = 1002;
  t2.basis = 'O';
  return {q, t, t2};
}

TEST(FakeIqConnect, AnswersTheLevel1HandshakeLikeIqConnect) {
  FakeIqConnect server(two_trades());
  RawClient c(server.level1_port());
  EXPECT_EQ(c.line(), "T,20240315 09:29:59");
  c.send("S,SET PROTOCOL,6.2\r\n");
  EXPECT_EQ(c.line(), "S,CURRENT PROTOCOL,6.2");
  c.send("S,SET PROTOCOL,5.2\n");  // a bare \n is accepted too
  EXPECT_EQ(c.line(), "E,5.2 is not a valid protocol.,");
  c.send("S,SELECT UPDATE FIELDS,most recent trade,Symbol,Message Contents,Bogus\r\n");
  EXPECT_EQ(c.line(), "E,Invalid field name: Bogus,");
  EXPECT_EQ(c.line(), "S,CURRENT UPDATE FIELDNAMES,Symbol,Most Recent Trade,Message Contents");
  c.send("wZZZZ\r\n");
  EXPECT_EQ(c.line(), "n,ZZZZ");
  c.send("waapl\r\n");
  const std::string f = c.line();
  EXPECT_EQ(f.rfind("F,AAPL,5,", 0), 0u) << f;
  EXPECT_NE(f.find(",AAPL TEST HOLDINGS, INC,"), std::string::npos);
  EXPECT_EQ(c.line(), "P,AAPL,,ba,");
  ASSERT_TRUE(server.wait_for_watches(1, 5s));
  server.publish(2);
  EXPECT_EQ(c.line(), "Q,AAPL,,ba,");
  EXPECT_EQ(c.line(), "Q,AAPL,172.6200,Cv,");
  c.send("S,REQUEST STATS\r\n");
  EXPECT_EQ(c.line_starting("S,STATS,").rfind("S,STATS,127.0.0.1,60002,500,1,", 0), 0u);
  server.server_disconnected();
  EXPECT_EQ(c.line(), "S,SERVER DISCONNECTED");
  server.publish(1);  // not sent while IQConnect is cut off
  server.server_connected();
  EXPECT_EQ(c.line(), "S,SERVER CONNECTED");
}

TEST(FakeIqConnect, ServesTickHistoryInEachProtocolsLayout) {
  FakeIqConnect server(two_trades());
  server.publish(3);
  {
    RawClient c(server.lookup_port());
    c.send("S,SET PROTOCOL,6.2\r\n");
    EXPECT_EQ(c.line(), "S,CURRENT PROTOCOL,6.2");
    c.send("HTT,AAPL,20240315 093001,,,,,1,R1,500\r\n");
    EXPECT_EQ(
        c.line(),
        "R1,LH,2024-03-15 09:30:01.000250,172.6200,100,100,172.6000,172.6400,1001,C,11,3D,0,15,");
    EXPECT_EQ(
        c.line(),
        "R1,LH,2024-03-15 09:30:02.000250,172.6200,100,200,172.6000,172.6400,1002,O,11,3D,0,15,");
    EXPECT_EQ(c.line(), "R1,!ENDMSG!,");
    c.send("HTT,AAPL,20240315 093002,,1,,,0,,\r\n");  // newest first, one point, no id
    EXPECT_EQ(c.line().rfind("LH,2024-03-15 09:30:02.000250,", 0), 0u);
    EXPECT_EQ(c.line(), "!ENDMSG!,");
    c.send("HTT,MSFT,20240315 093000,,,,,1,R2,500\r\n");
    EXPECT_EQ(c.line(), "R2,E,!NO_DATA!,");
    EXPECT_EQ(c.line(), "R2,!ENDMSG!,");
  }
  {
    RawClient c(server.lookup_port());
    c.send("S,SET PROTOCOL,6.0\r\n");
    EXPECT_EQ(c.line(), "S,CURRENT PROTOCOL,6.0");
    c.send("HTT,AAPL,20240315 093002,,,,,1,R3,500\r\n");
    EXPECT_EQ(c.line(),
              "R3,2024-03-15 09:30:02.000250,172.6200,100,200,172.6000,172.6400,1002,O,11,3D,");
  }
  EXPECT_EQ(server.history_requests(), 4u);
}

}  // namespace
}  // namespace spacetime::testing
