#include "feed/iqfeed/protocol.hpp"

#include <gtest/gtest.h>

#include <string>

#include "feed/iqfeed/clock.hpp"

namespace spacetime::feed::iqfeed {
namespace {

// The fieldset SpaceTime selects, as the server confirms it.
const UpdateFieldset& fs() {
  static const UpdateFieldset f = UpdateFieldset::from_names(
      "Symbol,Most Recent Trade,Most Recent Trade Size,Most Recent Trade Time,"
      "Most Recent Trade Date,Bid,Ask,Total Volume,Message Contents,TickID,");
  return f;
}

Update update(std::string_view line, const UpdateFieldset& f = fs()) {
  const Parsed p = parse_level1_line(line, f);
  EXPECT_TRUE(p) << line;
  const auto* u = std::get_if<Update>(&p.message);
  EXPECT_NE(u, nullptr) << line;
  return u ? *u : Update{};
}

ParseError error_of(std::string_view line, const UpdateFieldset& f = fs()) {
  const Parsed p = parse_level1_line(line, f);
  EXPECT_FALSE(p) << line;
  return p.error.value_or(ParseError::kEmptyLine);
}

TEST(IqFeedProtocol, SelectCommandNamesTheFieldsetThatTheParserExpects) {
  const std::string_view cmd = select_update_fields_command();
  EXPECT_EQ(cmd,
            "S,SELECT UPDATE FIELDS,Symbol,Most Recent Trade,Most Recent Trade Size,"
            "Most Recent Trade Time,Most Recent Trade Date,Bid,Ask,Total Volume,"
            "Message Contents,TickID");
  EXPECT_EQ(
      UpdateFieldset::from_names(cmd.substr(std::string_view("S,SELECT UPDATE FIELDS,").size())),
      UpdateFieldset::spacetime());
  EXPECT_EQ(fs(), UpdateFieldset::spacetime());
}

TEST(IqFeedProtocol, ParsesATradeUpdateAgainstTheSelectedFieldset) {
  const Update u =
      update("Q,AAPL,322.7500,40,16:53:23.256494,03/15/2024,322.6800,322.8700,37629453,Cbav,873,");
  EXPECT_EQ(u.symbol, "AAPL");
  EXPECT_FALSE(u.summary);
  EXPECT_TRUE(u.is_trade());
  EXPECT_DOUBLE_EQ(u.last, 322.75);
  EXPECT_EQ(u.last_size, 40);
  EXPECT_EQ(u.last_time_us, ((16 * 3600 + 53 * 60 + 23) * 1'000'000LL) + 256494);
  EXPECT_EQ(u.last_date, days_from_civil(2024, 3, 15));
  EXPECT_DOUBLE_EQ(u.bid, 322.68);
  EXPECT_DOUBLE_EQ(u.ask, 322.87);
  EXPECT_EQ(u.total_volume, 37629453);
  EXPECT_EQ(u.tick_id, 873u);
  EXPECT_EQ(u.contents,
            contents::kLastQualifiedTrade | contents::kBid | contents::kAsk | contents::kVolume);
}

TEST(IqFeedProtocol, ExtendedAndOtherTradesAreTradesToo) {
  EXPECT_TRUE(update("Q,A,1.5,1,09:30:00.000001,03/15/2024,,,1,E,1,").is_trade());
  EXPECT_TRUE(update("Q,A,1.5,1,09:30:00.000001,03/15/2024,,,1,Ov,1,").is_trade());
}

TEST(IqFeedProtocol, QuoteOnlyAndSummaryUpdatesAreNotTrades) {
  // Quote updates repeat the last trade's fields; only Message Contents tells them apart.
  const Update q =
      update("Q,AAPL,322.75,40,16:53:23.256494,03/15/2024,322.69,322.87,37629453,ba,873,");
  EXPECT_FALSE(q.is_trade());
  EXPECT_EQ(q.contents, contents::kBid | contents::kAsk);
  EXPECT_DOUBLE_EQ(q.bid, 322.69);
  const Update open = update("Q,AAPL,322.75,40,16:53:23.256494,03/15/2024,,,1,ohlcsv,,");
  EXPECT_FALSE(open.is_trade());
  const Update p =
      update("P,AAPL,322.75,40,16:53:23.256494,03/15/2024,322.68,322.87,37629453,Cbav,873,");
  EXPECT_TRUE(p.summary);
  EXPECT_FALSE(p.is_trade());
}

TEST(IqFeedProtocol, ToleratesTrailingCommasExtraFieldsAndCarriageReturns) {
  const Update u = update("Q,MSFT,410.1,5,10:00:00.5,03/15/2024,410,410.2,99,C,7,2,17,,extra\r");
  EXPECT_DOUBLE_EQ(u.last, 410.1);
  EXPECT_EQ(u.last_time_us, 10 * 3600 * 1'000'000LL + 500000);
  EXPECT_EQ(u.tick_id, 7u);
  EXPECT_TRUE(update("Q,MSFT,410.1,5,10:00:00,03/15/2024,410,410.2,99,C,7").is_trade());
}

TEST(IqFeedProtocol, EmptyFieldsMeanNoValue) {
  const Update u = update("Q,ES,,,,,,,,b,,");
  EXPECT_FALSE(u.has(UpdateField::kLast));
  EXPECT_FALSE(u.has(UpdateField::kAsk));
  EXPECT_FALSE(u.has(UpdateField::kBid));
  EXPECT_FALSE(u.is_trade());
}

TEST(IqFeedProtocol, ParsesTheDtnDefaultFieldsetByName) {
  // The 6.x default layout and a line from IQFeed.CSharpApiClient's tests.
  const auto def = UpdateFieldset::from_names(
      "Symbol,Most Recent Trade,Most Recent Trade Size,Most Recent Trade Time,"
      "Most Recent Trade Market Center,Total Volume,Bid,Bid Size,Ask,Ask Size,Open,High,Low,"
      "Close,Message Contents,Most Recent Trade Conditions");
  const Update u = update(
      "Q,AAPL,322.7500,40,16:53:23.256494,11,37629453,322.6800,100,322.8700,100,312.6000,"
      "318.4000,312.1900,308.9500,ba,873D17,",
      def);
  EXPECT_EQ(u.total_volume, 37629453);
  EXPECT_DOUBLE_EQ(u.ask, 322.87);
  EXPECT_FALSE(u.is_trade());
  EXPECT_FALSE(u.has(UpdateField::kLastDate));
}

TEST(IqFeedProtocol, FieldsetNamesAreCaseInsensitiveAndUnknownNamesAreSkipped) {
  const auto f = UpdateFieldset::from_names("SYMBOL,most recent trade,Open Interest,TickID,");
  ASSERT_EQ(f.fields().size(), 4u);
  EXPECT_EQ(f.fields()[0], UpdateField::kSymbol);
  EXPECT_EQ(f.fields()[1], UpdateField::kLast);
  EXPECT_EQ(f.fields()[2], UpdateField::kIgnored);
  EXPECT_EQ(f.fields()[3], UpdateField::kTickId);
}

TEST(IqFeedProtocol, MalformedUpdatesReturnTheirErrorKind) {
  EXPECT_EQ(error_of(""), ParseError::kEmptyLine);
  EXPECT_EQ(error_of("\r"), ParseError::kEmptyLine);
  EXPECT_EQ(error_of("Z,foo"), ParseError::kUnknownMessage);
  EXPECT_EQ(error_of("QQ,foo"), ParseError::kUnknownMessage);
  EXPECT_EQ(error_of("Q"), ParseError::kMissingField);
  EXPECT_EQ(error_of("Q,AAPL,1.0,1"), ParseError::kMissingField);
  EXPECT_EQ(error_of("Q,,1.0,1,09:30:00,03/15/2024,1,2,3,C,4,"), ParseError::kMissingField);
  EXPECT_EQ(error_of("Q,A,abc,1,09:30:00,03/15/2024,1,2,3,C,4,"), ParseError::kBadNumber);
  EXPECT_EQ(error_of("Q,A,1.0,1x,09:30:00,03/15/2024,1,2,3,C,4,"), ParseError::kBadNumber);
  EXPECT_EQ(error_of("Q,A,1.0,1,25:30:00,03/15/2024,1,2,3,C,4,"), ParseError::kBadTime);
  EXPECT_EQ(error_of("Q,A,1.0,1,09:30,03/15/2024,1,2,3,C,4,"), ParseError::kBadTime);
  EXPECT_EQ(error_of("Q,A,1.0,1,09:30:00.x,03/15/2024,1,2,3,C,4,"), ParseError::kBadTime);
  EXPECT_EQ(error_of("Q,A,1.0,1,09:30:00,2024-03-15,1,2,3,C,4,"), ParseError::kBadDate);
  EXPECT_EQ(error_of("Q,A,1.0,1,09:30:00,13/15/2024,1,2,3,C,4,"), ParseError::kBadDate);
  // A trade must carry price, size and time; a quote need not.
  EXPECT_EQ(error_of("Q,A,,1,09:30:00,03/15/2024,1,2,3,C,4,"), ParseError::kMissingField);
  EXPECT_EQ(error_of("Q,A,1.0,1,,03/15/2024,1,2,3,C,4,"), ParseError::kMissingField);
  EXPECT_TRUE(parse_level1_line("Q,A,,1,,03/15/2024,1,2,3,b,4,", fs()));
}

TEST(IqFeedProtocol, ParsesSystemMessages) {
  auto sys = [](std::string_view line) {
    const Parsed p = parse_level1_line(line, fs());
    EXPECT_TRUE(p) << line;
    const auto* s = std::get_if<System>(&p.message);
    EXPECT_NE(s, nullptr);
    return s ? *s : System{};
  };
  EXPECT_EQ(sys("S,SERVER DISCONNECTED").kind, SystemKind::kServerDisconnected);
  EXPECT_EQ(sys("S,SERVER CONNECTED,").kind, SystemKind::kServerConnected);
  EXPECT_EQ(sys("S,SERVER RECONNECT FAILED").kind, SystemKind::kServerReconnectFailed);
  const System proto = sys("S,CURRENT PROTOCOL,6.2,");
  EXPECT_EQ(proto.kind, SystemKind::kCurrentProtocol);
  EXPECT_EQ(proto.first_arg(), "6.2");
  const System names = sys("S,CURRENT UPDATE FIELDNAMES,Symbol,Most Recent Trade,TickID");
  EXPECT_EQ(names.kind, SystemKind::kCurrentUpdateFieldnames);
  EXPECT_EQ(names.args, "Symbol,Most Recent Trade,TickID");
  const System stats = sys("S,STATS,,,0,0,1,0,0,0,,,Not Connected,6.0.0.4,474614,0,0,,0.02,0.02,,");
  EXPECT_EQ(stats.kind, SystemKind::kStats);
  EXPECT_EQ(sys("S,KEY,99999").kind, SystemKind::kKey);
  EXPECT_EQ(sys("S,CUST,real_time,1.2.3.4,60002,token,6.2.0.25,0,NYSE NASDAQ,,500,QT_API,").kind,
            SystemKind::kCustomer);
  EXPECT_EQ(sys("S,SOMETHING NEW,1,2").kind, SystemKind::kOther);
  EXPECT_EQ(error_of("S"), ParseError::kMissingField);
  EXPECT_EQ(error_of("S,"), ParseError::kMissingField);
}

TEST(IqFeedProtocol, ParsesSymbolNotFoundErrorsTimestampsAndOtherTypes) {
  const Parsed n = parse_level1_line("n,ZZZZ", fs());
  ASSERT_TRUE(n);
  EXPECT_EQ(std::get<SymbolNotFound>(n.message).symbol, "ZZZZ");
  EXPECT_EQ(error_of("n,"), ParseError::kMissingField);

  const Parsed e = parse_level1_line("E,6.2 is not a valid protocol.,", fs());
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<ServerError>(e.message).text, "6.2 is not a valid protocol.");

  const Parsed t = parse_level1_line("T,20191018 12:49:55", fs());
  ASSERT_TRUE(t);
  EXPECT_EQ(std::get<Timestamp>(t.message).local_us,
            days_from_civil(2019, 10, 18) * kMicrosPerDay +
                (12 * 3600 + 49 * 60 + 55) * kMicrosPerSecond);
  EXPECT_EQ(error_of("T,2019-10-18 12:49:55"), ParseError::kBadTime);

  for (const char* line : {"R,AAPL,X,1.23,100,13:00:00,1.24,200,13:00:01,0,1,2,",
                           "N,1234,1122,AAPL:NFLX,20000102 152001,Very cool news,"}) {
    const Parsed p = parse_level1_line(line, fs());
    ASSERT_TRUE(p) << line;
    EXPECT_EQ(std::get<OtherMessage>(p.message).type, line[0]);
  }
}

TEST(IqFeedProtocol, ParsesTradeCorrections) {
  // The C# test's line (IQFEED.md § 3.3).
  const Parsed p =
      parse_level1_line("C,AAPL,I,03/30/2021,19:59:14.503633,183.3600,13,101123,8801,17", fs());
  ASSERT_TRUE(p);
  const auto& c = std::get<Correction>(p.message);
  EXPECT_EQ(c.symbol, "AAPL");
  EXPECT_EQ(c.type, 'I');
  EXPECT_EQ(c.date, days_from_civil(2021, 3, 30));
  EXPECT_EQ(c.time_us, (19 * 3600 + 59 * 60 + 14) * kMicrosPerSecond + 503633);
  EXPECT_DOUBLE_EQ(c.price, 183.36);
  EXPECT_EQ(c.size, 13);
  EXPECT_EQ(c.tick_id, 101123u);
  // A cancel may leave price and size empty; the TickID may not be.
  const Parsed cancel = parse_level1_line("C,AAPL,D,03/30/2021,19:59:14,,,7,,", fs());
  ASSERT_TRUE(cancel);
  EXPECT_EQ(std::get<Correction>(cancel.message).size, 0);
  EXPECT_EQ(error_of("C,AAPL,D,03/30/2021,19:59:14,1,1,,,"), ParseError::kMissingField);
  EXPECT_EQ(error_of("C,AAPL,D,2021-03-30,19:59:14,1,1,7,,"), ParseError::kBadDate);
  EXPECT_EQ(error_of("C,AAPL,D,03/30/2021,25:59:14,1,1,7,,"), ParseError::kBadTime);
  EXPECT_EQ(error_of("C,AAPL,C,03/30/2021,19:59:14,x,1,7,,"), ParseError::kBadNumber);
  EXPECT_EQ(error_of("C,AAPL"), ParseError::kMissingField);
}

TEST(IqFeedProtocol, ParsesFundamentalsByLayoutWithCommasInTheCompanyName) {
  // The 6.2 sample from IQFEED.md (57 fields, pyiqfeed order), then the same with a comma
  // in the company name.
  const std::string sample =
      "F,MSFT,5,65.6,28624000,97.9500,67.1400,97.9500,83.8300,,,,,,1.49,,0.06,06,MICROSOFT,"
      "MSFT,76.800,1.27,,159851.0,64527.0,03/31/2018,76073.0,7683198,0.50 02/18/2003,"
      "0.50 03/29/1999,14,4,7372,24.82,1,21,05/10/2018,05/18/2017,05/10/2018,02/09/2018,"
      "85.5400,,,,,511210,,,,09:00:00,17:00:00,USD,125000,HMUZ,0.1,01/01/2016,TEST,1,";
  const Parsed a = parse_level1_line(sample, fs());
  ASSERT_TRUE(a);
  const auto& fa = std::get<Fundamental>(a.message);
  EXPECT_EQ(fa.symbol, "MSFT");
  EXPECT_EQ(fa.company_name, "MICROSOFT");
  EXPECT_EQ(fa.precision, 4);
  EXPECT_DOUBLE_EQ(fa.min_tick_size, 0.1);

  std::string comma = sample;
  comma.replace(comma.find("MICROSOFT"), 9, "EASTERN ENVTL SOLTNS, CP");
  const Parsed b = parse_level1_line(comma, fs());
  ASSERT_TRUE(b);
  const auto& fb = std::get<Fundamental>(b.message);
  EXPECT_EQ(fb.company_name, "EASTERN ENVTL SOLTNS, CP");
  EXPECT_DOUBLE_EQ(fb.min_tick_size, 0.1);
  EXPECT_EQ(fb.precision, 4);

  // Layout from S,FUNDAMENTAL FIELDNAMES: only the names matter, not their positions.
  const auto layout = FundamentalLayout::from_names("Symbol,Minimum Tick Size,Company Name,");
  const Parsed c = parse_level1_line("F,ES,0.25,E-MINI S&P, 500,", fs(), layout);
  ASSERT_TRUE(c);
  EXPECT_EQ(std::get<Fundamental>(c.message).company_name, "E-MINI S&P, 500");
  EXPECT_DOUBLE_EQ(std::get<Fundamental>(c.message).min_tick_size, 0.25);
  EXPECT_EQ(error_of("F,"), ParseError::kMissingField);
}

TEST(IqFeedProtocol, ParsesHistoryTicksOfProtocols60To62WithAndWithoutRequestIds) {
  const std::int64_t ts = days_from_civil(2018, 4, 17) * kMicrosPerDay +
                          (17 * 3600 + 51 * 60 + 22) * kMicrosPerSecond + 123456;
  for (const char* line : {
           "2018-04-17 17:51:22.123456,96.0700,1061909,0,0.0000,0.0000,4145784264,O,19,143A,",
           "XYZ,2018-04-17 17:51:22.123456,96.0700,1061909,0,0.0000,0.0000,4145784264,O,19,143A,",
           "2018-04-17 17:51:22.123456,96.0700,1061909,0,0.0000,0.0000,4145784264,O,19,143A,2,17",
           "LH,2018-04-17 "
           "17:51:22.123456,96.0700,1061909,0,0.0000,0.0000,4145784264,O,19,143A,2,17",
           "XYZ,LH,2018-04-17 "
           "17:51:22.123456,96.0700,1061909,0,0.0000,0.0000,4145784264,O,19,143A,2,17,",
       }) {
    const LookupParsed p = parse_lookup_line(line);
    ASSERT_TRUE(p) << line;
    const auto& t = std::get<HistoryTick>(p.message);
    EXPECT_EQ(t.local_us, ts) << line;
    EXPECT_DOUBLE_EQ(t.last, 96.07);
    EXPECT_EQ(t.last_size, 1061909);
    EXPECT_EQ(t.tick_id, 4145784264u);
    EXPECT_EQ(t.basis, 'O');
    EXPECT_TRUE(t.is_trade());
    EXPECT_EQ(p.request_id, std::string_view(line).starts_with("XYZ") ? "XYZ" : "");
  }
}

TEST(IqFeedProtocol, ParsesHistoryEndErrorsAndSystemLines) {
  const LookupParsed end = parse_lookup_line("B1.0,!ENDMSG!,");
  ASSERT_TRUE(end);
  EXPECT_EQ(end.request_id, "B1.0");
  EXPECT_TRUE(std::holds_alternative<HistoryEnd>(end.message));
  EXPECT_TRUE(std::holds_alternative<HistoryEnd>(parse_lookup_line("!ENDMSG!,").message));

  const LookupParsed nodata = parse_lookup_line("B1.0,E,!NO_DATA!,");
  ASSERT_TRUE(nodata);
  EXPECT_EQ(std::get<HistoryError>(nodata.message).text, "!NO_DATA!");
  const LookupParsed bare = parse_lookup_line("E,Invalid number of parameters.");
  EXPECT_EQ(bare.request_id, "");
  EXPECT_EQ(std::get<HistoryError>(bare.message).text, "Invalid number of parameters.");

  const LookupParsed proto = parse_lookup_line("S,CURRENT PROTOCOL,6.2");
  ASSERT_TRUE(proto);
  EXPECT_EQ(std::get<System>(proto.message).kind, SystemKind::kCurrentProtocol);

  EXPECT_EQ(parse_lookup_line("").error, ParseError::kEmptyLine);
  EXPECT_EQ(parse_lookup_line("B1.0").error, ParseError::kMissingField);
  EXPECT_EQ(parse_lookup_line("B1.0,LH,2018-04-17 17:51:22,96.07").error,
            ParseError::kMissingField);
  EXPECT_EQ(parse_lookup_line("B1.0,LH,2018-04-17 17:51:2x,96.07,1,0,0,0,1,C,19,,").error,
            ParseError::kBadTime);
  EXPECT_EQ(parse_lookup_line("B1.0,LH,2018-04-17 17:51:22,nan?,1,0,0,0,1,C,19,,").error,
            ParseError::kBadNumber);
  // S (settlement) rows parse but are not trades.
  EXPECT_FALSE(std::get<HistoryTick>(
                   parse_lookup_line("B1.0,LH,2018-04-17 17:51:22,96.07,0,0,,,0,S,0,,").message)
                   .is_trade());
}

TEST(IqFeedProtocol, FieldReadersCheckRanges) {
  EXPECT_EQ(parse_time_of_day("00:00:00"), 0);
  EXPECT_EQ(parse_time_of_day("23:59:59.999999"), kMicrosPerDay - 1);
  EXPECT_EQ(parse_time_of_day("09:30:00.1"),
            9 * kMicrosPerHour + 30 * 60 * kMicrosPerSecond + 100000);
  EXPECT_EQ(parse_time_of_day("09:30:00.1234567"),
            9 * kMicrosPerHour + 30 * 60 * kMicrosPerSecond + 123456);
  EXPECT_FALSE(parse_time_of_day("24:00:00"));
  EXPECT_FALSE(parse_time_of_day("09:60:00"));
  EXPECT_FALSE(parse_time_of_day("09:30:00."));
  EXPECT_FALSE(parse_time_of_day("9:30:00"));
  EXPECT_EQ(parse_mmddccyy("01/01/1970"), 0);
  EXPECT_FALSE(parse_mmddccyy("00/01/2024"));
  EXPECT_FALSE(parse_mmddccyy("01/32/2024"));
  EXPECT_FALSE(parse_mmddccyy("1/1/2024"));
}

}  // namespace
}  // namespace spacetime::feed::iqfeed
