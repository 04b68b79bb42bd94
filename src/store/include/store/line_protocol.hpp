// InfluxDB line protocol and InfluxQL quoting: what must be escaped where. Measurement names
// escape commas and spaces; tag keys, tag values and field keys also escape '='; string
// field values are double-quoted with '"' and '\' escaped; InfluxQL string literals are
// single-quoted with '\'' and '\' escaped.
#pragma once

#include <string>
#include <string_view>

namespace spacetime::store {

void append_measurement(std::string& out, std::string_view name);
void append_tag(std::string& out, std::string_view key_or_value);  // also field keys
void append_string_field(std::string& out, std::string_view value);
std::string influxql_string(std::string_view value);
std::string influxql_identifier(std::string_view name);  // "double-quoted"

}  // namespace spacetime::store
