#include "bench/text_util.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

std::vector<text_line> content_lines(const std::string &text) {
    std::vector<text_line> out;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        const auto b = line.find_first_not_of(" \t\r");
        if (b == std::string::npos) continue;
        out.push_back({n, line.substr(b, line.find_last_not_of(" \t\r") - b + 1)});
    }
    return out;
}

std::vector<std::string> split_csv(const std::string &line) {
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { cur += '"'; ++i; }
            else if (c == '"') quoted = false;
            else cur += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (quoted) throw error("CSV record with an unterminated quote: " + line);
    fields.push_back(cur);
    return fields;
}

std::string csv_quote(const std::string &s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string r = "\"";
    for (char c : s) r += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return r + "\"";
}

std::string json_escape(const std::string &s) {
    std::string r;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            r += '\\';
            r += c;
        } else if ((unsigned char)c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof(b), "\\u%04x", (unsigned)(unsigned char)c);
            r += b;
        } else {
            r += c;
        }
    }
    return r;
}

std::string json_number(double v, int digits) {
    if (!std::isfinite(v)) return "null";
    char b[64];
    std::snprintf(b, sizeof(b), "%.*f", digits, v);
    return b;
}

std::string format(const char *fmt, double v) {
    char b[64];
    std::snprintf(b, sizeof(b), fmt, v);
    return b;
}

std::string file_safe(const std::string &s) {
    std::string r;
    for (char c : s) r += (std::isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.') ? c : '_';
    return r;
}

std::string shell_quote(const std::string &s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

} // namespace bench
} // namespace sparsetrain
