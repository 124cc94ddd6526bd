#include "config/plan_hint_text.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "sparsetrain/error.hpp"

namespace sparsetrain {

void parse_plan_hints(const std::string &s, const std::string &who, bool integers_only,
        const std::function<bool(const std::string &key, double value)> &set) {
    const std::string pre = who + " plan hints: ";
    std::istringstream is(s);
    std::string tok;
    while (std::getline(is, tok, ',')) {
        if (tok.empty()) continue;
        const auto eq = tok.find('=');
        if (eq == std::string::npos) throw error(pre + "'" + tok + "' is not key=value");
        const std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
        char *end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        const bool bad_int = integers_only && (x < 0 || x != std::floor(x));
        if (v.empty() || *end || bad_int) throw error(pre + "bad value in '" + tok + "'");
        if (!set(k, x)) throw error(pre + "unknown key '" + k + "'");
    }
}

} // namespace sparsetrain
