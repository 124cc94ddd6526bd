#include "bench/sparsity_profile.hpp"

#include <cctype>

#include "bench/text_util.hpp"
#include "common/enum_names.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

constexpr enum_names<profile_kind::final_epoch> profile_names({"epoch1", "epoch10", "mean", "final"});

const char *to_string(profile_kind k) { return profile_names(k); }

profile_kind profile_from_string(const std::string &s) {
    return profile_names.parse(s, "profile", "final, epoch1, epoch10 or mean");
}

namespace {
bool all_digits(const std::string &s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isdigit((unsigned char)c)) return false;
    return true;
}
} // namespace

sparsity_profiles sparsity_profiles::parse(const std::string &csv_text) {
    sparsity_profiles p;
    bool header = true;
    for (const auto &line : content_lines(csv_text)) {
        const auto f = split_csv(line.text);
        const std::string where = "relu-sparsity-profiles.csv:" + std::to_string(line.number) + ": ";
        if (header) {
            if (f.size() < 7 || f[0] != "network" || f[1] != "relu_index" || f[3] != "epoch1" || f[4] != "epoch10"
                    || f[5] != "mean_all_epochs" || f[6] != "final_epoch")
                throw error(where + "unexpected header '" + line.text + "'");
            header = false;
            continue;
        }
        if (f.size() < 7) throw error(where + "expected at least 7 fields");
        profile_row r;
        r.network = f[0];
        if (!all_digits(f[1])) throw error(where + "relu_index '" + f[1] + "' is not a number");
        r.index = std::stoi(f[1]);
        r.name = f[2];
        for (int k = 0; k < 4; ++k) {
            try {
                size_t pos = 0;
                r.value[k] = std::stod(f[3 + k], &pos);
                if (pos != f[3 + k].size()) throw std::invalid_argument(f[3 + k]);
            } catch (const std::exception &) {
                throw error(where + "sparsity '" + f[3 + k] + "' is not a number");
            }
            if (r.value[k] < 0 || r.value[k] > 1) throw error(where + "sparsity '" + f[3 + k] + "' outside [0, 1]");
        }
        if (r.index != (int)p.rows(r.network) + 1)
            throw error(where + "rows of " + r.network + " must be numbered 1, 2, ... in order");
        p.rows_.push_back(r);
    }
    if (header) throw error("relu-sparsity-profiles.csv: empty");
    return p;
}

const profile_row &sparsity_profiles::row(const std::string &network, const std::string &ref) const {
    const bool by_index = all_digits(ref);
    for (const auto &r : rows_)
        if (r.network == network && (by_index ? r.index == std::stoi(ref) : r.name == ref)) return r;
    throw error("sparsity profile: network " + network + " has no row '" + ref + "'");
}

size_t sparsity_profiles::rows(const std::string &network) const {
    size_t n = 0;
    for (const auto &r : rows_) n += r.network == network;
    return n;
}

} // namespace bench
} // namespace sparsetrain
