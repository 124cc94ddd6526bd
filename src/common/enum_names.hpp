#pragma once

#include <cstddef>
#include <string>

#include "sparsetrain/error.hpp"

namespace sparsetrain {

// The name table of an enum whose enumerators are 0, 1, ..., Last: built from exactly one name
// per enumerator (a missing or extra name fails to compile), it gives each value's name and
// parses a name back.
template <auto Last>
class enum_names {
public:
    using enum_type = decltype(Last);
    static constexpr std::size_t count = static_cast<std::size_t>(Last) + 1;

    template <std::size_t N>
    constexpr enum_names(const char *const (&names)[N]) {
        static_assert(N == count, "one name per enumerator");
        for (std::size_t i = 0; i < N; ++i) names_[i] = names[i];
    }

    // The name of `e`, "?" for a value outside the enum.
    const char *operator()(enum_type e) const {
        const auto i = static_cast<std::size_t>(e);
        return i < count ? names_[i] : "?";
    }

    // The enumerator named `s`; else throws "WHAT 'S': expected EXPECTED".
    enum_type parse(const std::string &s, const char *what, const char *expected) const {
        for (std::size_t i = 0; i < count; ++i)
            if (s == names_[i]) return static_cast<enum_type>(i);
        throw error(std::string(what) + " '" + s + "': expected " + expected);
    }

private:
    const char *names_[count] {};
};

} // namespace sparsetrain
