#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "indicators/pipeline.hpp"

namespace spacetime::app {
namespace {

const Setting& setting(std::string_view key) {
  for (const auto& s : serve_settings()) {
    if (s.key == key) return s;
  }
  throw std::logic_error("no setting " + std::string(key));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ServeConfig, DefaultsRunWithNoFile) {
  const ServeConfig c;
  EXPECT_EQ(c.gateway.port, 8080);
  EXPECT_EQ(c.gateway.bind, "127.0.0.1");
  EXPECT_EQ(c.simulator.symbols, 50u);
  EXPECT_TRUE(c.sim_start_now);
  EXPECT_EQ(c.engine.shards, 1u);
}

TEST(ServeConfig, TlsFilesFromTheFileTheEnvironmentAndFlags) {
  ServeConfig c;
  EXPECT_TRUE(c.gateway.tls_cert.empty());  // plain HTTP by default
  apply_toml(c, "[server]\ntls_cert = \"/etc/a.pem\"\ntls_key = \"/etc/a.key\"\n", "test.toml");
  EXPECT_EQ(c.gateway.tls_cert, "/etc/a.pem");
  EXPECT_EQ(c.gateway.tls_key, "/etc/a.key");
  apply_env(c, [](const char* name) -> const char* {
    return std::string_view(name) == "SPACETIME_TLS_KEY" ? "/run/b.key" : nullptr;
  });
  EXPECT_EQ(c.gateway.tls_key, "/run/b.key");
  apply_setting(c, setting("tls_cert"), "/x/c.pem", "--tls-cert");
  EXPECT_EQ(c.gateway.tls_cert, "/x/c.pem");
}

TEST(ServeConfig, FileThenEnvironmentThenFlags) {
  ServeConfig c;
  apply_toml(c, R"(
[server]
port = 9000
bind = "0.0.0.0"
[simulator]
symbols = 7
rate = 123.5
sim_start = "2026-01-02T14:30:00Z"
)",
             "test.toml");
  EXPECT_EQ(c.gateway.port, 9000);
  EXPECT_EQ(c.simulator.symbols, 7u);
  EXPECT_DOUBLE_EQ(c.simulator.rate, 123.5);
  EXPECT_FALSE(c.sim_start_now);
  EXPECT_EQ(c.simulator.start_ns, 1'767'364'200'000'000'000);

  const std::map<std::string, std::string> env = {{"SPACETIME_PORT", "9001"},
                                                  {"SPACETIME_SEED", "99"}};
  apply_env(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.gateway.port, 9001);
  EXPECT_EQ(c.simulator.seed, 99u);
  EXPECT_EQ(c.gateway.bind, "0.0.0.0");  // untouched by env

  apply_setting(c, setting("port"), "9002", "--port");
  EXPECT_EQ(c.gateway.port, 9002);
  EXPECT_EQ(c.simulator.symbols, 7u);
}

TEST(ServeConfig, MistakesNameTheirOriginAndProblem) {
  ServeConfig c;
  EXPECT_EQ(error_of([&] { apply_toml(c, "[server]\nprot = 1\n", "a.toml"); }),
            "a.toml: server.prot: unknown setting");
  EXPECT_EQ(error_of([&] { apply_toml(c, "[server]\nport = 70000\n", "a.toml"); }),
            "a.toml: server.port: 70000 is out of range [0, 65535]");
  EXPECT_EQ(error_of([&] { apply_toml(c, "port = 1\n", "a.toml"); }),
            "a.toml: 'port' must be a table like [server], [feed], [simulator], [iqfeed], "
            "[guard], [filter], [engine], [indicators] (or [[sessions]])");
  EXPECT_NE(error_of([&] { apply_toml(c, "[server\n", "a.toml"); }).find("a.toml: line 1:"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { apply_toml(c, "[server]\nport = [1]\n", "a.toml"); }),
            "a.toml: server.port: expected a string or a number");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("rate"), "-5", "--rate"); }),
            "--rate: -5 is out of range [1, 100000000]");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("bind"), "localhost", "--bind"); }),
            "--bind: 'localhost' is not an IP address");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("symbols"), "12x", "--symbols"); }),
            "--symbols: '12x' is not a number");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("rate"), "nan", "--rate"); }),
            "--rate: 'nan' is not a finite number");
  EXPECT_EQ(error_of([&] {
              apply_env(c, [](const char* n) -> const char* {
                return std::string_view(n) == "SPACETIME_SHARDS" ? "0" : nullptr;
              });
            }),
            "environment SPACETIME_SHARDS: 0 is out of range [1, 64]");
  EXPECT_EQ(c.gateway.port, 8080);  // failed settings leave the value alone
}

TEST(StartTime, AcceptsNowNanosecondsAndIsoUtc) {
  EXPECT_EQ(parse_start_time("now"), -1);
  EXPECT_EQ(parse_start_time("0"), 0);
  EXPECT_EQ(parse_start_time("1767364200000000000"), 1'767'364'200'000'000'000);
  EXPECT_EQ(parse_start_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_start_time("2026-01-02T14:30:00Z"), 1'767'364'200'000'000'000);
  EXPECT_EQ(parse_start_time("2024-02-29T00:00:01.5Z"), 1'709'164'801'500'000'000);
  EXPECT_THROW(parse_start_time("yesterday"), ConfigError);
  EXPECT_THROW(parse_start_time("2026-13-01T00:00:00Z"), ConfigError);
  EXPECT_THROW(parse_start_time("2026-01-02T14:30:00"), ConfigError);  // no zone: ambiguous
  EXPECT_THROW(parse_start_time("-5"), ConfigError);
}

TEST(ServeConfig, IndicatorSettingsReachTheEngineAndTheGateway) {
  ServeConfig c;
  apply_toml(c, "[indicators]\nsmoother = \"zlma\"\nintensity = \"ticks\"\nwindow_ms = 500\n",
             "i.toml");
  EXPECT_EQ(c.engine.indicators.intensity.smoother, indicators::SmootherType::kZlma);
  EXPECT_EQ(c.engine.indicators.bars.intensity_smoother, indicators::SmootherType::kZlma);
  EXPECT_EQ(c.gateway.default_smoothing, gateway::Smoothing::kZlma);
  EXPECT_EQ(c.engine.indicators.intensity.mode, indicators::IntensityMode::kTickRate);
  EXPECT_EQ(c.engine.indicators.intensity.window_ns, 500'000'000);
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("smoother"), "hma", "--smoother"); }),
            "--smoother: 'hma' is not a smoother (sma, ema or zlma)");
}

TEST(ServeConfig, IqFeedSettings) {
  ServeConfig c;
  apply_toml(
      c,
      "[feed]\nfeed = \"iqfeed\"\n[iqfeed]\niqfeed_symbols = \"aapl, MSFT\"\niqfeed_port = 15009\n",
      "f.toml");
  EXPECT_EQ(c.feed, "iqfeed");
  EXPECT_EQ(c.iqfeed.symbols, (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ(c.iqfeed.level1_port, 15009);
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("feed"), "bloomberg", "--feed"); }),
            "--feed: 'bloomberg' is not a feed (sim, iqfeed or file)");
  EXPECT_EQ(error_of([&] {
              apply_setting(c, setting("iqfeed_symbols"), "AAPL,,MSFT", "--iqfeed-symbols");
            }),
            "--iqfeed-symbols: 'AAPL,,MSFT' has an empty symbol");
}

TEST(ServeConfig, FileReplaySettings) {
  ServeConfig c;
  apply_toml(c, "[feed]\nfeed = \"file\"\n[replay]\nfile = \"day.stt\"\nspeed = 10\n", "f.toml");
  EXPECT_EQ(c.feed, "file");
  EXPECT_EQ(c.replay_file, "day.stt");
  EXPECT_EQ(c.replay_speed, 10.0);
  apply_setting(c, setting("speed"), "0.5", "--speed");
  EXPECT_EQ(c.replay_speed, 0.5);
  EXPECT_NE(error_of([&] { apply_setting(c, setting("speed"), "0", "--speed"); }), "(no error)");
  EXPECT_NE(error_of([&] { apply_setting(c, setting("speed"), "5000", "--speed"); }), "(no error)");
  EXPECT_EQ(c.replay_speed, 0.5);
}

TEST(ServeConfig, RecordingCanBeTurnedOff) {
  ServeConfig c;
  EXPECT_TRUE(c.store.record);
  apply_setting(c, setting("record"), "false", "--record");
  EXPECT_FALSE(c.store.record);
  EXPECT_NE(error_of([&] { apply_setting(c, setting("record"), "no", "--record"); }), "(no error)");
  apply_setting(c, setting("record"), "true", "--record");
  EXPECT_TRUE(c.store.record);
}

TEST(Setting, FlagsAreKebabCaseKeys) {
  EXPECT_EQ(setting("web_root").flag(), "--web-root");
  EXPECT_EQ(setting("port").flag(), "--port");
}

TEST(ServeConfig, StoreSettingsDefaultToTheEmbeddedStore) {
  ServeConfig c;
  EXPECT_EQ(c.store.data_dir, "data");
  EXPECT_TRUE(c.store.stores.empty());  // open_stores() then uses sqlite:
  EXPECT_TRUE(c.store.record_ticks);
  EXPECT_EQ(c.store.retention.ticks_ns, 3ll * 86'400 * 1'000'000'000);
  apply_toml(
      c,
      "[store]\ndata_dir = \"/var/lib/st\"\nstore = \"sqlite: memory:\"\n"
      "route = \"candles=postgresql://u:p@h:5432/db intensity,spikes=influxdb://h:8086/db\"\n"
      "record_ticks = \"false\"\nretention = \"ticks=1d candles_1m=365d spikes=0\"\n",
      "s.toml");
  EXPECT_EQ(c.store.data_dir, "/var/lib/st");
  EXPECT_EQ(c.store.stores, (std::vector<std::string>{"sqlite:", "memory:"}));
  EXPECT_EQ(c.store.routes, (std::vector<std::string>{"candles=postgresql://u:p@h:5432/db",
                                                      "intensity,spikes=influxdb://h:8086/db"}));
  EXPECT_FALSE(c.store.record_ticks);
  EXPECT_EQ(c.store.retention.ticks_ns, 86'400ll * 1'000'000'000);
  EXPECT_EQ(c.store.retention.candles_ns[market::index_of(market::Timeframe::k1m)],
            365ll * 86'400 * 1'000'000'000);
  EXPECT_EQ(c.store.retention.spikes_ns, 0);
  // The environment replaces the file's list, it does not add to it.
  apply_env(c, [](const char* name) -> const char* {
    return std::string_view(name) == "SPACETIME_STORE" ? "sqlite:/tmp/x.db" : nullptr;
  });
  EXPECT_EQ(c.store.stores, (std::vector<std::string>{"sqlite:/tmp/x.db"}));
  EXPECT_EQ(c.store.routes.size(), 2u);
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("route"), "candles", "--route"); }),
            "--route: 'candles' is not SERIES[,SERIES...]=URL");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("retention"), "bars=1d", "--retention"); }),
            "--retention: 'bars' is not a series with a retention");
}

TEST(Config, EveryIndicatorParameterIsASettingAndRemembersWhereItCameFrom) {
  ServeConfig c;
  apply_toml(c,
             "[indicators]\nv1_cooldown = 10\nspike_z_on = 2.5\nv3_ltf = \"1m\"\nv3_htf = \"5m\"\n",
             "a.toml");
  EXPECT_EQ(c.engine.indicators.v1.cooldown, 10u);
  EXPECT_EQ(c.engine.indicators.spike.z_on, 2.5);
  EXPECT_EQ(c.engine.indicators.v3.ltf, market::Timeframe::k1m);
  EXPECT_EQ(c.applied.at("indicators.v1_cooldown").origin, "file");
  apply_env(c, [](const char* name) -> const char* {
    return std::string_view(name) == "SPACETIME_V2_CONFIRM" ? "50" : nullptr;
  });
  EXPECT_EQ(c.engine.indicators.v2.confirm, 50u);
  EXPECT_EQ(c.applied.at("indicators.v2_confirm").origin, "env");
  for (const auto& s : serve_settings()) {
    if (s.key != "v1_cooldown") continue;
    apply_setting(c, s, "12", s.flag());
  }
  EXPECT_EQ(c.engine.indicators.v1.cooldown, 12u);
  EXPECT_EQ(c.applied.at("indicators.v1_cooldown").origin, "flag");
  EXPECT_EQ(c.applied.at("indicators.v1_cooldown").value, "12");
  EXPECT_FALSE(c.applied.contains("indicators.buffer_n"));
  ServeConfig bad;
  EXPECT_THROW(apply_toml(bad, "[indicators]\nv4_tf = \"2m\"\n", "b.toml"), ConfigError);
}

// No value an indicator setting accepts that the engine then refuses: each numeric setting
// at both ends of its range (read from its own out-of-range message), each timeframe
// setting at every timeframe, alone over the defaults. What validate() (the check of
// `spacetime params`, serve, record and replay) accepts must build a symbol's state and run
// ticks through it; what it refuses, building the state refuses with the same line.
TEST(Config, EveryIndicatorValueTheValidationAcceptsTheEngineRuns) {
  std::size_t ran = 0, refused = 0;
  for (const auto& s : serve_settings()) {
    if (s.section != "indicators" || s.repeatable) continue;
    std::vector<std::string> values;
    const std::string probe = error_of([&] {
      ServeConfig c;
      s.set(c, "99999999999999999999999");
    });
    // "... is out of range [MIN, MAX]" (plain search: GCC 12 warns inside <regex>)
    const std::string_view marker = "is out of range [";
    if (const auto at = probe.find(marker); at != std::string::npos) {
      const auto from = at + marker.size();
      const auto comma = probe.find(", ", from);
      const auto close = probe.find(']', comma);
      ASSERT_NE(close, std::string::npos) << probe;
      values = {probe.substr(from, comma - from), probe.substr(comma + 2, close - comma - 2)};
    } else if (s.key == "v3_ltf" || s.key == "v3_htf" || s.key == "v4_tf") {
      values = {"1s", "10s", "1m", "5m", "15m", "1h", "1d"};
    } else {
      ASSERT_TRUE(s.key == "smoother" || s.key == "intensity") << s.key << ": " << probe;
      values = {s.key == "smoother" ? "sma" : "ticks", s.key == "smoother" ? "zlma" : "space"};
    }
    for (const auto& value : values) {
      ServeConfig c;
      ASSERT_EQ(error_of([&] { s.set(c, value); }), "(no error)") << s.key << " = " << value;
      const auto& p = c.engine.indicators;
      std::string check = "(accepted)";
      try {
        indicators::validate(p);
      } catch (const std::invalid_argument& e) {
        check = e.what();
      }
      std::string engine = "(accepted)";
      try {
        indicators::SymbolIndicators state(0, p);
        std::vector<market::Event> out;
        for (std::int64_t i = 0; i < 200; ++i) {
          state.on_tick(market::Tick{.ts_ns = 1'764'599'400'000'000'000 + i * 50'000'000,
                                     .price = 10'000 + (i * 7) % 23,
                                     .size = 1 + i % 5,
                                     .seq = static_cast<std::uint64_t>(i + 1)},
                        out);
        }
        state.flush(out);
      } catch (const std::exception& e) {
        engine = e.what();
      }
      EXPECT_EQ(engine, check) << s.key << " = " << value;
      ++(check == "(accepted)" ? ran : refused);
    }
  }
  EXPECT_GT(ran, 60u);  // the probe found the settings and their ranges
}

// Issue 9 item 6: [[indicators.override]] tables set parameters for the symbols a pattern
// matches; every matching rule applies in order, so a later one wins for a key both set.
TEST(Config, OverrideTablesGiveMatchingSymbolsTheirOwnParameters) {
  ServeConfig c;
  apply_toml(c, R"(
[indicators]
v1_min_move = 5
correction_trades = 100

[[indicators.override]]
pattern = "ES*"
v1_min_move = 8
spike_z_on = 4.5
v3_ltf = "1m"
v3_htf = "5m"

[[indicators.override]]
pattern = "ESZ6"
v1_min_move = 12
correction_bars = 4
)",
             "a.toml");
  EXPECT_EQ(c.engine.indicators.v1.min_move, 5);  // the run's set is unchanged
  EXPECT_EQ(c.engine.indicators.corrections.max_trades, 100u);
  ASSERT_EQ(c.engine.overrides.rules().size(), 2u);
  EXPECT_EQ(c.applied.at("indicators.override").value,
            "ES*:spike_z_on=4.5,v1_min_move=8,v3_htf=5m,v3_ltf=1m ESZ6:correction_bars=4,"
            "v1_min_move=12");
  EXPECT_EQ(c.applied.at("indicators.override").origin, "file");
  const auto base = std::make_shared<const indicators::IndicatorParams>(c.engine.indicators);
  const auto esz6 = c.engine.overrides.resolve(base, "ESZ6");
  EXPECT_EQ(esz6->v1.min_move, 12);  // the later rule wins
  EXPECT_EQ(esz6->spike.z_on, 4.5);  // the earlier rule's other keys stay
  EXPECT_EQ(esz6->v3.ltf, market::Timeframe::k1m);
  EXPECT_EQ(esz6->corrections.max_bars, 4u);
  EXPECT_EQ(esz6->corrections.max_trades, 100u);  // from [indicators]
  const auto esh7 = c.engine.overrides.resolve(base, "ESH7");
  EXPECT_EQ(esh7->v1.min_move, 8);
  EXPECT_EQ(esh7->corrections.max_bars, 32u);
  EXPECT_EQ(c.engine.overrides.resolve(base, "NQZ6"), base);  // no match: the run's own set
  EXPECT_EQ(c.engine.overrides.resolve(base, "es"), base);    // patterns are case-sensitive
  // Flags (and the environment) replace the file's list, like sessions.
  setting("override").clear(c);
  apply_setting(c, setting("override"), "NQ?6:v2_cooldown=9", "--override");
  ASSERT_EQ(c.engine.overrides.rules().size(), 1u);
  EXPECT_EQ(c.engine.overrides.resolve(base, "NQZ6")->v2.cooldown, 9u);
  EXPECT_EQ(c.engine.overrides.resolve(base, "ESZ6"), base);
  EXPECT_EQ(c.applied.at("indicators.override").origin, "flag");
  ServeConfig env;
  apply_env(env, [](const char* name) -> const char* {
    return std::string_view(name) == "SPACETIME_OVERRIDE" ? "A*:v1_cooldown=1 B*:v1_cooldown=2"
                                                          : nullptr;
  });
  EXPECT_EQ(env.engine.overrides.rules().size(), 2u);
}

TEST(Config, OverrideMistakesAreOneClearErrorEach) {
  ServeConfig c;
  auto toml = [&](const std::string& text) {
    return error_of([&] { apply_toml(c, text, "a.toml"); });
  };
  EXPECT_EQ(toml("[[indicators.override]]\npattern = \"ES*\"\nv1_min_mvoe = 8\n"),
            "a.toml: [[indicators.override]] #1: unknown key v1_min_mvoe (pattern and the keys of "
            "[indicators] but session and override)");
  EXPECT_EQ(toml("[[indicators.override]]\npattern = \"ES*\"\nv1_min_move = 0\n"),
            "a.toml: [[indicators.override]] #1: override ES*: v1_min_move: 0 is out of range "
            "[1, 1000000000]");
  EXPECT_EQ(toml("[[indicators.override]]\nv1_min_move = 8\n"),
            "a.toml: [[indicators.override]] #1: needs a pattern without spaces, like pattern = "
            "\"ES*\"");
  EXPECT_EQ(toml("[[indicators.override]]\npattern = \"ES*\"\n"),
            "a.toml: [[indicators.override]] #1: sets no parameter");
  EXPECT_EQ(toml("[[indicators.override]]\npattern = \"ES*\"\nsession = \"cme\"\n"),
            "a.toml: [[indicators.override]] #1: unknown key session (pattern and the keys of "
            "[indicators] but session and override)");
  EXPECT_EQ(toml("[indicators]\noverride = 3\n"),
            "a.toml: indicators.override must be [[indicators.override]] tables with a pattern "
            "and indicator keys");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("override"), "ES*", "--override"); }),
            "--override: 'ES*' is not PATTERN:KEY=VALUE[,KEY=VALUE...] (like "
            "ES*:v1_min_move=8,spike_z_on=4)");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("override"), "ES*:v3_ltf=2m", "--override"); }),
            "--override: override ES*: v3_ltf: '2m' is not a timeframe (1s, 10s, 1m, 5m, 15m, "
            "1h, 1d)");
  EXPECT_TRUE(c.engine.overrides.empty());
  // A combination that cannot run fails when a symbol's set is resolved, naming it.
  apply_setting(c, setting("override"), "ES*:v3_ltf=5m", "--override");
  const auto base = std::make_shared<const indicators::IndicatorParams>(c.engine.indicators);
  try {
    c.engine.overrides.resolve(base, "ESZ6");
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "indicator parameters of ESZ6 (overrides ES*): v3 lower timeframe must be "
                 "shorter than the higher one");
  }
  EXPECT_EQ(c.engine.overrides.resolve(base, "NQZ6"), base);  // a pattern matching nothing
}

// Issue 9: exchange sessions from [[sessions]] tables, in order, shown by `spacetime params`.
TEST(Config, SessionTablesReachTheEngineInOrder) {
  ServeConfig c;
  apply_toml(c, R"(
[[sessions]]
pattern = "ES*"
tz = "America/New_York"
open = "18:00"

[[sessions]]
tz = "America/New_York"
open = "09:30"
)",
             "a.toml");
  EXPECT_EQ(c.engine.sessions.describe(), "ES*=America/New_York@18:00 *=America/New_York@09:30");
  EXPECT_EQ(c.engine.sessions.find("ESZ6")->describe(), "America/New_York@18:00");
  EXPECT_EQ(c.engine.sessions.find("AAPL")->describe(), "America/New_York@09:30");
  EXPECT_EQ(c.applied.at("indicators.session").value,
            "ES*=America/New_York@18:00 *=America/New_York@09:30");
  EXPECT_EQ(c.applied.at("indicators.session").origin, "file");
  // Flags replace the file's list; values of one layer add up.
  setting("session").clear(c);
  apply_setting(c, setting("session"), "us-equities", "--session");
  apply_setting(c, setting("session"), "CL*=cme", "--session");
  EXPECT_EQ(c.engine.sessions.describe(), "*=America/New_York@09:30 CL*=America/New_York@18:00");
  EXPECT_EQ(c.applied.at("indicators.session").value, "us-equities CL*=cme");
  EXPECT_EQ(c.applied.at("indicators.session").origin, "flag");
  EXPECT_TRUE(ServeConfig{}.engine.sessions.empty());  // the default: UTC days
}

TEST(Config, SessionMistakesAreOneClearErrorEach) {
  ServeConfig c;
  EXPECT_EQ(error_of([&] {
              apply_toml(
                  c, "[[sessions]]\npattern = \"A\"\ntz = \"America/NewYork\"\nopen = \"09:30\"\n",
                  "a.toml");
            }),
            "a.toml: [[sessions]] #1: session 'A=America/NewYork@09:30': 'America/NewYork' is "
            "not a time zone of the tz database (like America/New_York; is the tzdata package "
            "installed?)");
  EXPECT_EQ(
      error_of([&] { apply_toml(c, "[[sessions]]\ntz = \"UTC\"\nopen = \"9:30\"\n", "a.toml"); }),
      "a.toml: [[sessions]] #1: session '*=UTC@9:30': session open '9:30' is not a time "
      "like 09:30");
  EXPECT_EQ(error_of([&] { apply_toml(c, "[[sessions]]\ntz = \"UTC\"\n", "a.toml"); }),
            "a.toml: [[sessions]] #1: needs tz and open, like tz = \"America/New_York\", open = "
            "\"09:30\"");
  EXPECT_EQ(error_of([&] {
              apply_toml(c, "[[sessions]]\ntz = \"UTC\"\nopen = \"09:30\"\nclose = \"16:00\"\n",
                         "a.toml");
            }),
            "a.toml: [[sessions]] #1: unknown key close (pattern, tz, open)");
  EXPECT_EQ(error_of([&] { apply_toml(c, "[sessions]\ntz = \"UTC\"\n", "a.toml"); }),
            "a.toml: sessions must be [[sessions]] tables with pattern, tz and open");
  EXPECT_EQ(error_of([&] { apply_setting(c, setting("session"), "X=Nowhere@09:30", "--session"); }),
            "--session: session 'X=Nowhere@09:30': 'Nowhere' is not a time zone of the tz database "
            "(like America/New_York; is the tzdata package installed?)");
  EXPECT_TRUE(c.engine.sessions.empty());
}

}  // namespace
}  // namespace spacetime::app
