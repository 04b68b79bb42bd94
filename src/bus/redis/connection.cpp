#include "connection.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>

#include <csignal>

namespace spacetime::bus::redis::detail {

namespace {

// hiredis sends with write(): once Redis has closed the socket, a write raises SIGPIPE,
// which kills a process that does not ignore it (the spacetime binary does; a test or
// another host of this library may not). With SIGPIPE blocked in the thread that writes
// (a connection is made and used on its owner's thread), the write fails with EPIPE
// instead, the connection reports the error and its owner reconnects.
void block_sigpipe_in_this_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

Connection::Connection(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  block_sigpipe_in_this_thread();
  const timeval tv{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
                   .tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ctx_ = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
  if (!ctx_) {
    fail("cannot allocate a hiredis context");
    return;
  }
  if (ctx_->err) {
    fail(fmt::format("redis {}:{}: {}", endpoint.host, endpoint.port, ctx_->errstr));
    return;
  }
  // Replies slower than this mean a server in trouble: the caller reconnects.
  redisSetTimeout(ctx_, tv);
  redisEnableKeepAlive(ctx_);
  if (!endpoint.password.empty()) {
    auto r = command({"AUTH", endpoint.password});
    if (r && r->type == REDIS_REPLY_ERROR) fail(fmt::format("redis AUTH: {}", r->str));
  }
}

Connection::~Connection() {
  if (ctx_) redisFree(ctx_);
}

void Connection::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

void Connection::append(std::initializer_list<std::string_view> args) {
  if (!ok()) return;
  argv_.clear();
  lens_.clear();
  for (const auto& a : args) {
    argv_.push_back(a.data());
    lens_.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv_.size()), argv_.data(), lens_.data()) !=
      REDIS_OK) {
    fail(fmt::format("redis: {}", ctx_->errstr));
  }
}

Reply Connection::reply() {
  if (!ok()) return nullptr;
  void* r = nullptr;
  if (redisGetReply(ctx_, &r) != REDIS_OK || !r) {
    fail(fmt::format("redis: {}", ctx_->err ? ctx_->errstr : "no reply"));
    return nullptr;
  }
  return Reply(static_cast<redisReply*>(r));
}

void Connection::send(std::initializer_list<std::string_view> args) {
  append(args);
  int done = 0;
  while (ok() && !done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) {
      fail(fmt::format("redis: {}", ctx_->err ? ctx_->errstr : "write failed"));
    }
  }
}

Reply Connection::command(std::initializer_list<std::string_view> args) {
  append(args);
  return reply();
}

Reply Connection::next_message(std::chrono::milliseconds wait) {
  if (!ok()) return nullptr;
  void* r = nullptr;
  if (redisGetReplyFromReader(ctx_, &r) != REDIS_OK) {
    fail(fmt::format("redis: {}", ctx_->errstr));
    return nullptr;
  }
  if (r) return Reply(static_cast<redisReply*>(r));
  pollfd p{.fd = ctx_->fd, .events = POLLIN, .revents = 0};
  const int n = ::poll(&p, 1, static_cast<int>(wait.count()));
  if (n <= 0) return nullptr;  // quiet (or EINTR): the caller comes back
  if (redisBufferRead(ctx_) != REDIS_OK) {
    fail(fmt::format("redis: {}", ctx_->err ? ctx_->errstr : "connection closed"));
    return nullptr;
  }
  if (redisGetReplyFromReader(ctx_, &r) != REDIS_OK) {
    fail(fmt::format("redis: {}", ctx_->errstr));
    return nullptr;
  }
  return Reply(static_cast<redisReply*>(r));
}

}  // namespace spacetime::bus::redis::detail
