// The DTN IQFeed text protocol (6.2) as pure functions over one line: Level 1 messages from
// port 5009 and lookup/history replies from port 9100. Nothing here allocates per line,
// does I/O or throws on bad input: a parse returns the message (views into the line) or
// the kind of error, so the same code runs in the client, the fuzzer and the benchmark.
// Field orders and their sources: docs/FEEDS.md ("DTN IQFeed").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "feed/iqfeed/parse_error.hpp"

namespace spacetime::feed::iqfeed {

using ParseError = IqFeedParseError;

inline constexpr std::string_view kProtocolVersion = "6.2";

// ---- Level 1 update fieldset (S,SELECT UPDATE FIELDS / S,CURRENT UPDATE FIELDNAMES) ----

// The dynamic fields this client reads; every other field of a Q/P line is skipped unread.
enum class UpdateField : std::uint8_t {
  kIgnored,
  kSymbol,
  kLast,         // Most Recent Trade
  kLastSize,     // Most Recent Trade Size
  kLastTime,     // Most Recent Trade Time, HH:MM:SS.ffffff
  kLastDate,     // Most Recent Trade Date, MM/DD/CCYY
  kTotalVolume,  // Total Volume
  kBid,
  kAsk,
  kContents,  // Message Contents
  kTickId,    // TickID
};

// The layout of Q and P lines: which known field sits at each position after the type.
class UpdateFieldset {
 public:
  // Parses the names that follow "S,CURRENT UPDATE FIELDNAMES," (comma separated, names
  // matched case-insensitively, unknown names kept as ignored positions).
  static UpdateFieldset from_names(std::string_view names);
  // What SpaceTime asks for (see select_update_fields_command()).
  static UpdateFieldset spacetime();

  std::span<const UpdateField> fields() const { return fields_; }
  bool has(UpdateField f) const;
  bool operator==(const UpdateFieldset&) const = default;

 private:
  std::vector<UpdateField> fields_;
};

// "S,SELECT UPDATE FIELDS,Symbol,Most Recent Trade,..." without the line end.
std::string_view select_update_fields_command();

// ---- Message Contents letters ----
namespace contents {
inline constexpr std::uint16_t kLastQualifiedTrade = 1 << 0;  // C
inline constexpr std::uint16_t kExtendedTrade = 1 << 1;       // E (Form T)
inline constexpr std::uint16_t kOtherTrade = 1 << 2;          // O
inline constexpr std::uint16_t kBid = 1 << 3;                 // b
inline constexpr std::uint16_t kAsk = 1 << 4;                 // a
inline constexpr std::uint16_t kOpen = 1 << 5;                // o
inline constexpr std::uint16_t kHigh = 1 << 6;                // h
inline constexpr std::uint16_t kLow = 1 << 7;                 // l
inline constexpr std::uint16_t kClose = 1 << 8;               // c
inline constexpr std::uint16_t kSettle = 1 << 9;              // s
inline constexpr std::uint16_t kVolume = 1 << 10;             // v
inline constexpr std::uint16_t kAnyTrade = kLastQualifiedTrade | kExtendedTrade | kOtherTrade;
}  // namespace contents

std::uint16_t parse_contents(std::string_view letters);

// ---- Level 1 messages ----

// A Q (update) or P (summary) line. Only fields present in the fieldset and non-empty on
// the line are set; has() says which.
struct Update {
  std::string_view symbol;
  bool summary = false;        // P: a snapshot on watch/refresh, never a new trade
  std::uint16_t contents = 0;  // contents:: bits
  std::uint16_t present = 0;   // 1 << UpdateField for each field read from the line
  double last = 0.0;
  double bid = 0.0;
  double ask = 0.0;
  std::int64_t last_size = 0;
  std::int64_t total_volume = 0;
  std::int64_t last_time_us = 0;  // microseconds since local midnight
  std::int64_t last_date = 0;     // days since 1970-01-01 (exchange-local date)
  std::uint64_t tick_id = 0;

  bool has(UpdateField f) const { return (present & (1u << static_cast<unsigned>(f))) != 0; }
  // A trade update: Message Contents says C, E or O. Quote-only updates (b, a, ...) and
  // summaries are not trades.
  bool is_trade() const { return !summary && (contents & contents::kAnyTrade) != 0; }
};

// Where the fields this client reads sit in an F line (0-based, after "F,").
struct FundamentalLayout {
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);
  std::size_t count = 57;  // pyiqfeed QuoteConn.fundamental_fields
  std::size_t symbol = 0;
  std::size_t company_name = 17;
  std::size_t precision = 30;
  std::size_t min_tick_size = 53;
  // From the names after "S,FUNDAMENTAL FIELDNAMES,".
  static FundamentalLayout from_names(std::string_view names);
};

struct Fundamental {
  std::string_view symbol;
  std::string_view company_name;  // free text: may itself contain commas
  double min_tick_size = 0.0;     // 0 when not given
  int precision = -1;             // -1 when not given
};

struct SymbolNotFound {
  std::string_view symbol;
};

enum class SystemKind : std::uint8_t {
  kOther,
  kServerConnected,
  kServerDisconnected,
  kServerReconnectFailed,
  kCurrentProtocol,
  kCurrentUpdateFieldnames,
  kUpdateFieldnames,
  kFundamentalFieldnames,
  kStats,
  kKey,
  kKeyOk,
  kCustomer,
  kIp,
  kWatches,
  kSymbolLimitReached,
  kCurrentLogLevels,
};

// S,<NAME>[,<args>]. args is everything after "S,<NAME>," (the raw, comma-separated rest).
struct System {
  SystemKind kind = SystemKind::kOther;
  std::string_view name;
  std::string_view args;
  // The first comma-separated field of args ("6.2" for CURRENT PROTOCOL).
  std::string_view first_arg() const;
};

struct ServerError {
  std::string_view text;  // after "E," with one trailing comma removed
};

struct Timestamp {
  std::int64_t local_us = 0;  // T,YYYYMMDD HH:MM:SS
};

// C (trade correction, 6.2): C,Symbol,CorrectionType,MM/DD/CCYY,HH:MM:SS.ffffff,Price,Size,
// TickID,Conditions,MarketCenter. The CorrectionType letters are not documented by DTN in
// anything this project has seen; docs/FEEDS.md ("Trade corrections") says how the client
// reads them. Conditions and MarketCenter are not read; Price and Size may be empty.
struct Correction {
  std::string_view symbol;
  char type = 0;              // the CorrectionType letter
  std::int64_t date = 0;      // days since 1970-01-01 (exchange-local)
  std::int64_t time_us = 0;   // microseconds since local midnight
  double price = 0.0;         // 0 when empty
  std::int64_t size = 0;      // 0 when empty
  std::uint64_t tick_id = 0;  // the trade it refers to
};

// R (regional), N (news): recognised but not used by this client.
struct OtherMessage {
  char type = 0;
};

using Message = std::variant<Update, Fundamental, SymbolNotFound, System, ServerError, Timestamp,
                             Correction, OtherMessage>;

struct Parsed {
  Message message;
  std::optional<ParseError> error;
  explicit operator bool() const { return !error.has_value(); }
};

// One line from port 5009, without its line end (a trailing '\r' is tolerated).
Parsed parse_level1_line(std::string_view line, const UpdateFieldset& fieldset,
                         const FundamentalLayout& fundamentals = {});

// ---- Lookup port (history) ----

// One trade of HTX/HTD/HTT tick history: Timestamp, Last, LastSize, TotalVolume, Bid, Ask,
// TickID, BasisForLast, TradeMarketCenter, TradeConditions[, TradeAggressor, DayCode].
struct HistoryTick {
  std::int64_t local_us = 0;  // YYYY-MM-DD HH:MM:SS[.ffffff], exchange-local
  double last = 0.0;
  std::int64_t last_size = 0;
  std::int64_t total_volume = 0;
  double bid = 0.0;  // 0 when empty
  double ask = 0.0;
  std::uint64_t tick_id = 0;
  char basis = 0;  // C last qualified, E extended, O other, S settle

  bool is_trade() const { return basis == 'C' || basis == 'E' || basis == 'O'; }
};

struct HistoryEnd {};  // !ENDMSG!

struct HistoryError {
  std::string_view text;  // !NO_DATA!, Invalid symbol., ...
};

using LookupMessage = std::variant<HistoryTick, HistoryEnd, HistoryError, System>;

struct LookupParsed {
  std::string_view request_id;  // empty when the line carries none
  LookupMessage message;
  std::optional<ParseError> error;
  explicit operator bool() const { return !error.has_value(); }
};

// One line from port 9100: [RequestID,][LH,]<payload>, or an S/E line without a request id.
LookupParsed parse_lookup_line(std::string_view line);

// ---- Field readers (exposed for tests) ----

// HH:MM:SS with an optional .f to .ffffff... (digits past microseconds are ignored).
std::optional<std::int64_t> parse_time_of_day(std::string_view s);
// MM/DD/CCYY -> days since 1970-01-01.
std::optional<std::int64_t> parse_mmddccyy(std::string_view s);

}  // namespace spacetime::feed::iqfeed
