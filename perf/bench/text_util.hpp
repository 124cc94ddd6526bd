// Small text helpers of the benchmark's data files and outputs: lines without comments,
// CSV fields (RFC 4180 quoting), JSON strings and numbers.
#pragma once

#include <string>
#include <vector>

namespace sparsetrain {
namespace bench {

// Non-empty lines of `text` with '#' comments and surrounding blanks removed, each with its
// 1-based line number.
struct text_line {
    int number;
    std::string text;
};
std::vector<text_line> content_lines(const std::string &text);

// Splits one CSV record; quoted fields may hold commas and doubled quotes. Throws
// sparsetrain::error on an unterminated quote.
std::vector<std::string> split_csv(const std::string &line);
// Quotes a field when it holds a comma, quote or line break.
std::string csv_quote(const std::string &s);

// The contents of a JSON string literal (quotes, backslashes and control characters escaped).
std::string json_escape(const std::string &s);
// A JSON number with `digits` decimals, or null when not finite.
std::string json_number(double v, int digits = 4);

std::string format(const char *fmt, double v);

} // namespace bench
} // namespace sparsetrain

namespace sparsetrain {
namespace bench {

// A file-name-safe version of s: letters, digits, '-', '_' and '.'; anything else becomes '_'.
std::string file_safe(const std::string &s);
// s in single quotes for /bin/sh.
std::string shell_quote(const std::string &s);

} // namespace bench
} // namespace sparsetrain
