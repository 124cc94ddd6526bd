#include "bench/sparsity_map.hpp"

#include <algorithm>
#include <cctype>

#include "bench/text_util.hpp"
#include "common/enum_names.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

sparsity_rule sparsity_rule::parse(const std::string &s) {
    sparsity_rule r;
    auto with_ref = [&](const char *prefix, kind_t k) {
        const std::string p = prefix;
        if (s.compare(0, p.size(), p) != 0) return false;
        r.kind = k;
        r.ref = s.substr(p.size());
        if (r.ref.empty()) throw error("sparsity rule '" + s + "': missing the profile row");
        return true;
    };
    if (s == "dense") r.kind = dense;
    else if (s == "not_needed") r.kind = not_needed;
    else if (!with_ref("row:", row) && !with_ref("pool:", pool))
        throw error("sparsity rule '" + s + "': expected dense, row:R, pool:R or not_needed");
    return r;
}

std::string sparsity_rule::to_string() const {
    switch (kind) {
    case dense: return "dense";
    case row: return "row:" + ref;
    case pool: return "pool:" + ref;
    case not_needed: return "not_needed";
    }
    return "?";
}

constexpr enum_names<bwd_d_mask_kind::shared> mask_kind_names({"none", "relu", "maxpool_relu", "shared"});

const char *to_string(bwd_d_mask_kind k) { return mask_kind_names(k); }

bwd_d_mask_kind bwd_d_mask_kind_from_string(const std::string &s) {
    return mask_kind_names.parse(s, "bwd_d_mask", "none, relu, maxpool_relu or shared");
}

std::vector<layer_occurrence> parse_sparsity_map(const std::string &csv_text, const std::string &what) {
    std::vector<layer_occurrence> out;
    bool header = true, with_mask = false;
    for (const auto &line : content_lines(csv_text)) {
        const std::string where = what + ":" + std::to_string(line.number) + ": ";
        const auto f = split_csv(line.text);
        if (header) {
            with_mask = f.size() == 7 && f[5] == "bwd_d_mask";
            const size_t nf = with_mask ? 7 : 6;
            if (f.size() != nf || f[0] != "shape" || f[1] != "occurrence" || f[2] != "layer" || f[3] != "src_sparsity"
                    || f[4] != "diff_dst_sparsity" || f[nf - 1] != "note")
                throw error(where
                        + "expected the header shape,occurrence,layer,src_sparsity,diff_dst_sparsity[,bwd_d_mask],note");
            header = false;
            continue;
        }
        const size_t nf = with_mask ? 7 : 6;
        if (f.size() != nf) throw error(where + "expected " + std::to_string(nf) + " fields, got " + std::to_string(f.size()));
        layer_occurrence o;
        o.shape = f[0];
        bool digits = !f[1].empty() && f[1].size() < 6;
        for (char c : f[1]) digits = digits && std::isdigit((unsigned char)c);
        if (!digits || std::stoi(f[1]) < 1) throw error(where + "occurrence '" + f[1] + "' is not a positive number");
        o.occurrence = std::stoi(f[1]);
        o.layer = f[2];
        if (o.shape.empty() || o.layer.empty()) throw error(where + "empty shape or layer name");
        try {
            o.src = sparsity_rule::parse(f[3]);
            o.diff_dst = sparsity_rule::parse(f[4]);
            if (with_mask) o.mask = bwd_d_mask_kind_from_string(f[5]);
        } catch (const error &e) {
            throw error(where + e.what());
        }
        if (o.src.kind == sparsity_rule::not_needed)
            throw error(where + "src_sparsity cannot be not_needed (FWD and BWD-weights always run)");
        if (o.mask != bwd_d_mask_kind::none && o.diff_dst.kind == sparsity_rule::not_needed)
            throw error(where + "bwd_d_mask " + to_string(o.mask) + " on an occurrence whose BWD-data is not run");
        o.note = f[nf - 1];
        for (const auto &p : out) {
            if (p.shape == o.shape && p.occurrence == o.occurrence)
                throw error(where + o.shape + " occurrence " + f[1] + " mapped twice");
            if (p.layer == o.layer) throw error(where + "layer name '" + o.layer + "' used twice");
        }
        out.push_back(o);
    }
    if (header) throw error(what + ": empty");
    return out;
}

double resolve(const sparsity_rule &r, const sparsity_profiles &profiles, const std::string &network,
        profile_kind kind, std::string *source) {
    auto describe = [&](const profile_row &row) {
        std::string s = "row " + r.ref;
        if (!row.name.empty() && row.name != r.ref) s += " (" + row.name + ")";
        return s + " = " + format("%.3f", row.at(kind));
    };
    switch (r.kind) {
    case sparsity_rule::dense:
        if (source) *source = "dense";
        return 0.0;
    case sparsity_rule::row: {
        const auto &row = profiles.row(network, r.ref);
        if (source) *source = describe(row);
        return row.at(kind);
    }
    case sparsity_rule::pool: {
        const auto &row = profiles.row(network, r.ref);
        if (source) *source = "max(0.75, " + describe(row) + ")";
        return std::max(max_pool_grad_min_sparsity, row.at(kind));
    }
    case sparsity_rule::not_needed: break;
    }
    throw error("sparsity rule not_needed has no sparsity");
}

} // namespace bench
} // namespace sparsetrain
