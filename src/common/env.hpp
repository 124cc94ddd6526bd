// Reading SPARSETRAIN_* environment variables in one place.
#pragma once

#include <cstdlib>
#include <string>

namespace sparsetrain {
namespace env {

inline std::string get_string(const char *name, const std::string &def) {
    const char *v = std::getenv(name);
    return (v && *v) ? std::string(v) : def;
}

inline long get_int(const char *name, long def) {
    const char *v = std::getenv(name);
    if (!v || !*v) return def;
    char *end = nullptr;
    const long x = std::strtol(v, &end, 10);
    return (end && *end == '\0') ? x : def;
}

} // namespace env
} // namespace sparsetrain
