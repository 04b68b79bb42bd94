// Client messages as the gateway receives them: any bytes go through the protocol parser
// and the fan-out hub (request handling, snapshots, replies, the flush), which must answer
// with a well-formed reply and never crash, whatever the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/hub.hpp"

namespace {

using namespace spacetime;

class Sink final : public gateway::Client {
 public:
  void send(gateway::Frame frame) override { bytes_ += frame.bytes; }
  std::size_t queued_bytes() const override { return 0; }
  std::int64_t stalled_since_ns() const override { return 0; }
  void close(std::uint16_t, std::string_view) override { closed_ = true; }
  std::size_t bytes_ = 0;
  bool closed_ = false;
};

struct World {
  World() {
    symbols.add({.name = "ALFA"});
    symbols.add({.name = "B\"ETA"});
    bus = std::make_unique<bus::InprocBus>(symbols.size());
    sub = bus->subscribe(gateway::Hub::subscription_filter(), 1024);
    gateway::HubConfig config;
    config.requests_per_s = 1e9;
    config.request_burst = 1e9;
    config.abuse_errors = 1'000'000'000;
    hub = std::make_unique<gateway::Hub>(config, symbols, *sub, nullptr);
    id = hub->connect(client, {});
    bus->publish(std::vector<market::Event>{
        market::ReversalEvent{.symbol = 0, .seq = 5, .channel_seq = 1, .t = 1, .version = 1},
        market::CandleEvent{.symbol = 1, .tf = market::Timeframe::k1s, .closed = false, .seq = 1}});
  }
  market::SymbolRegistry symbols;
  std::unique_ptr<bus::InprocBus> bus;
  std::shared_ptr<bus::Subscription> sub;
  std::unique_ptr<gateway::Hub> hub;
  Sink client;
  std::uint64_t id = 0;
  std::int64_t t = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  world.t += 1'000'000;
  world.hub->on_message(world.id, text, {.steady_ns = world.t, .wall_ms = world.t / 1'000'000});
  world.hub->flush({.steady_ns = world.t, .wall_ms = world.t / 1'000'000});
  return 0;
}
