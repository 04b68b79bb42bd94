// InfluxDB line protocol and InfluxQL quoting: what must be escaped where. Measurement names
// escape commas and spaces; tag keys, tag values and field keys also escape '='; string
// field values are double-quoted with '"' and '\' escaped; InfluxQL string literals are
// single-quoted with '\'' and '\' escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spacetime::store {

void append_measurement(std::string& out, std::string_view name);
void append_tag(std::string& out, std::string_view key_or_value);  // also field keys
void append_string_field(std::string& out, std::string_view value);
std::string influxql_string(std::string_view value);
std::string influxql_identifier(std::string_view name);  // "double-quoted"

// The packed string field of schema 2 (docs/OPERATIONS.md, "InfluxDB"): values separated by
// ','; integers in decimal, doubles in their shortest round-trip decimal form (bit-exact
// back), a non-finite double as '#' and the 16 hex digits of its bits. No character that a
// string field escapes ('"', '\') ever appears. append_packed writes one value, without the
// separator.
void append_packed(std::string& out, std::int64_t value);
void append_packed(std::string& out, double value);

// Reads a packed field back, value by value; throws StoreError when it is not of that shape.
class PackedReader {
 public:
  explicit PackedReader(std::string_view packed) : rest_(packed) {}
  std::int64_t next_int();
  double next_real();
  bool done() const { return rest_.empty(); }

 private:
  std::string_view next();
  std::string_view rest_;
};

}  // namespace spacetime::store
