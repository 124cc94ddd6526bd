#include "config/row_pass_plan_hints.hpp"

#include "config/plan_hint_text.hpp"

namespace sparsetrain {

row_pass_blocking_hints row_pass_plan_hints::blocking() const {
    return {n_blk, cb, acc_sets, l1_bytes, sparsity};
}

void row_pass_plan_hints::parse_into(const std::string &s, const char *who, const char *blk_key) {
    parse_plan_hints(s, who, false, [&](const std::string &k, double x) {
        if (k == blk_key) n_blk = (int64_t)x;
        else if (k == "cb") cb = (int64_t)x;
        else if (k == "rb") rb = (int64_t)x;
        else if (k == "ib") ib = (int64_t)x;
        else if (k == "sets") acc_sets = (int64_t)x;
        else if (k == "l1") l1_bytes = (int64_t)x;
        else if (k == "l2") l2_bytes = (int64_t)x;
        else if (k == "s") sparsity = x;
        else if (k == "threads") threads = (int64_t)x;
        else if (k == "pairs") pairs = (int64_t)x;
        else if (k == "psets") pair_sets = (int64_t)x;
        else if (k == "inl") inline_compact = (int64_t)x;
        else return false;
        return true;
    });
}

} // namespace sparsetrain
