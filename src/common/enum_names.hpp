#pragma once

#include <cstddef>
#include <string>

namespace sparsetrain {

// One name table per enum, indexed by the enumerator's value (the enums using it number their
// enumerators 0, 1, ..., N-1). Each table stands next to its enum's to_string with a
// static_assert that it holds one name per enumerator up to the last one.

// The name of `e`, "?" for a value outside the table.
template <typename E, std::size_t N>
const char *enum_name(E e, const char *const (&names)[N]) {
    const auto i = static_cast<std::size_t>(e);
    return i < N ? names[i] : "?";
}

// The enumerator named `s` into `out`; false (and `out` untouched) if no name matches.
template <typename E, std::size_t N>
bool enum_from_name(const std::string &s, const char *const (&names)[N], E &out) {
    for (std::size_t i = 0; i < N; ++i)
        if (s == names[i]) {
            out = static_cast<E>(i);
            return true;
        }
    return false;
}

} // namespace sparsetrain
