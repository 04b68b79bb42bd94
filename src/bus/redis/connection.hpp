// Private to the Redis bus: one hiredis connection (blocking, with time-outs) and its
// replies as owned values. Errors are values: a failed connection or command leaves
// ok() false with a message, and the caller reconnects with backoff.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bus/redis/redis_bus.hpp"

namespace spacetime::bus::redis::detail {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class Connection {
 public:
  // Connects (and authenticates); check ok() and error(). Blocks SIGPIPE in the calling
  // thread for good: make a connection only on the thread that uses it, one of the bus's
  // own.
  Connection(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool ok() const { return ctx_ && ctx_->err == 0 && error_.empty(); }
  const std::string& error() const { return error_; }

  // One command, waiting for its reply (null on a connection error).
  Reply command(std::initializer_list<std::string_view> args);
  // Pipelining: queue commands, then take their replies in order.
  void append(std::initializer_list<std::string_view> args);
  Reply reply();
  // Sends a command without waiting for its reply (a PING on a subscribed connection,
  // whose answer arrives among the pushed messages).
  void send(std::initializer_list<std::string_view> args);
  // Pub/Sub reading: waits up to `wait` for a pushed message; null when none came (check
  // ok() to tell a quiet connection from a broken one).
  Reply next_message(std::chrono::milliseconds wait);

 private:
  void fail(std::string message);
  redisContext* ctx_ = nullptr;
  std::string error_;
  std::vector<const char*> argv_;
  std::vector<std::size_t> lens_;
};

}  // namespace spacetime::bus::redis::detail
