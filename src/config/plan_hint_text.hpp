// The text form of every planner's developer hints: "key=value,..." (kernel benches' --plan,
// SPARSETRAIN_*_PLAN). One tokenizer and one set of error messages for all of them.
#pragma once

#include <functional>
#include <string>

namespace sparsetrain {

// Calls set(key, value) for each "key=value" token of `s` (empty tokens skipped). Throws
// sparsetrain::error "<who> plan hints: ..." for a token without '=', a value that is not a
// number, or (with integers_only) not a non-negative integer, and when set returns false
// (an unknown key).
void parse_plan_hints(const std::string &s, const std::string &who, bool integers_only,
        const std::function<bool(const std::string &key, double value)> &set);

} // namespace sparsetrain
