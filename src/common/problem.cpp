#include "common/problem.hpp"

#include <cctype>
#include <cstring>
#include <sstream>

#include "common/enum_names.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {

constexpr enum_names<direction::bwd_w> direction_names({"fwd", "bwd_d", "bwd_w"});

const char *to_string(direction d) { return direction_names(d); }

direction direction_from_string(const std::string &s) {
    if (s == "fwd" || s == "FWD" || s == "FWD_B" || s == "FWD_D") return direction::fwd;
    if (s == "bwd_d" || s == "BWD_D") return direction::bwd_d;
    if (s == "bwd_w" || s == "BWD_W" || s == "BWD_WB") return direction::bwd_w;
    throw error("direction '" + s + "': expected fwd, bwd_d or bwd_w");
}

int64_t conv_out_size(int64_t i, int64_t k, int64_t s, int64_t p_l, int64_t p_r, int64_t d) {
    const int64_t ext = (k - 1) * (d + 1) + 1;
    return (i - ext + p_l + p_r) / s + 1;
}

namespace {

// Field keys of the benchdnn grammar, longest first so that "mb" wins over a lone letter.
const char *const keys[] = {"mb", "ic", "id", "ih", "iw", "oc", "od", "oh", "ow", "kd", "kh",
        "kw", "sd", "sh", "sw", "pd", "ph", "pw", "dd", "dh", "dw", "g"};

constexpr int64_t unset = -1;

struct raw_fields {
    int64_t v[sizeof(keys) / sizeof(keys[0])];
    raw_fields() {
        for (auto &x : v) x = unset;
    }
    int64_t &at(const char *k) {
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); ++i)
            if (!std::strcmp(keys[i], k)) return v[i];
        throw error(std::string("internal: unknown problem field ") + k);
    }
};

[[noreturn]] void parse_fail(const std::string &s, size_t pos, const std::string &why) {
    std::ostringstream os;
    os << "problem string '" << s << "': " << why << " at position " << pos;
    throw error(os.str());
}

// Resolves one spatial axis the way benchdnn does: a missing output size follows from the
// padding (0 if missing too); a missing padding follows from the output size.
void resolve_axis(const char *axis, int64_t i, int64_t k, int64_t s, int64_t d, int64_t &o,
        int64_t &p, int64_t &p_r) {
    const int64_t ext = (k - 1) * (d + 1) + 1;
    if (o == unset) {
        if (p == unset) p = 0;
        o = (i - ext + 2 * p) / s + 1;
    } else if (p == unset) {
        p = ((o - 1) * s - i + ext) / 2;
        if (p < 0) p = 0;
    }
    p_r = (o - 1) * s - i + ext - p;
    if (o <= 0)
        throw error(std::string("problem: output size o") + axis + " = " + std::to_string(o)
                + " is not positive");
}

} // namespace

problem_t problem_t::parse(const std::string &s, int64_t default_mb) {
    raw_fields f;
    std::string name;
    size_t pos = 0;
    while (pos < s.size()) {
        if (s[pos] == '_' || s[pos] == ' ') { ++pos; continue; }
        if (s[pos] == 'n' && (pos + 1 >= s.size() || !std::isdigit((unsigned char)s[pos + 1]))) {
            name = s.substr(pos + 1);
            if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
                name = name.substr(1, name.size() - 2);
            else if (!name.empty() && (name.front() == '"' || name.back() == '"'))
                parse_fail(s, pos + 1, "unbalanced quotes in the name");
            break;
        }
        const char *key = nullptr;
        for (const char *k : keys)
            if (s.compare(pos, std::strlen(k), k) == 0) { key = k; break; }
        if (!key) parse_fail(s, pos, std::string("unexpected character '") + s[pos] + "'");
        const size_t vpos = pos + std::strlen(key);
        if (vpos < s.size() && s[vpos] == '-')
            parse_fail(s, vpos, std::string("negative value for '") + key + "'");
        size_t end = vpos;
        while (end < s.size() && std::isdigit((unsigned char)s[end])) ++end;
        if (end == vpos) parse_fail(s, vpos, std::string("missing value for '") + key + "'");
        // At most 9 digits: every size computed from the fields stays far from int64 overflow.
        if (end - vpos > 9) parse_fail(s, vpos, std::string("value too large for '") + key + "'");
        int64_t &slot = f.at(key);
        if (slot != unset) parse_fail(s, pos, std::string("field '") + key + "' given twice");
        slot = std::stoll(s.substr(vpos, end - vpos));
        pos = end;
    }

    problem_t p;
    p.name = name;
    p.g = f.at("g") == unset ? 1 : f.at("g");
    p.mb = f.at("mb") == unset ? default_mb : f.at("mb");
    p.ic = f.at("ic");
    p.oc = f.at("oc");
    if (p.ic == unset || p.ic == 0) throw error("problem string '" + s + "': ic must be positive");
    if (p.oc == unset || p.oc == 0) throw error("problem string '" + s + "': oc must be positive");
    if (p.g <= 0) throw error("problem string '" + s + "': g must be positive");

    const bool is3d = f.at("id") != unset || f.at("od") != unset || f.at("kd") != unset
            || f.at("sd") != unset || f.at("pd") != unset || f.at("dd") != unset;
    p.ndims = is3d ? 5 : 4;

    // Width copies height (and height copies width) where one of them is missing.
    auto pair = [&](const char *h, const char *w) {
        int64_t &vh = f.at(h), &vw = f.at(w);
        if (vh == unset) vh = vw;
        if (vw == unset) vw = vh;
    };
    pair("ih", "iw"); pair("oh", "ow"); pair("kh", "kw");
    pair("sh", "sw"); pair("ph", "pw"); pair("dh", "dw");
    if (is3d) {
        auto copy = [&](const char *d, const char *h) {
            if (f.at(d) == unset) f.at(d) = f.at(h);
        };
        copy("id", "ih"); copy("od", "oh"); copy("kd", "kh");
        copy("sd", "sh"); copy("pd", "ph"); copy("dd", "dh");
    }
    if (f.at("ih") == unset) throw error("problem string '" + s + "': spatial input size ih/iw missing");
    if (f.at("kh") == unset) throw error("problem string '" + s + "': kernel size kh/kw missing");
    for (const char *k : {"sd", "sh", "sw"}) {
        if (f.at(k) == unset) f.at(k) = 1;
        if (f.at(k) <= 0) throw error("problem string '" + s + "': stride " + k + " must be positive");
    }
    for (const char *k : {"dd", "dh", "dw"})
        if (f.at(k) == unset) f.at(k) = 0;
    for (const char *k : {"id", "ih", "iw", "kd", "kh", "kw"})
        if (f.at(k) == 0) throw error(std::string("problem string '") + s + "': " + k + " must be positive");

    p.ih = f.at("ih"); p.iw = f.at("iw");
    p.kh = f.at("kh"); p.kw = f.at("kw");
    p.sh = f.at("sh"); p.sw = f.at("sw");
    p.dh = f.at("dh"); p.dw = f.at("dw");
    p.oh = f.at("oh"); p.ow = f.at("ow");
    p.ph = f.at("ph"); p.pw = f.at("pw");
    if (is3d) {
        p.id = f.at("id"); p.kd = f.at("kd"); p.sd = f.at("sd"); p.dd = f.at("dd");
        p.od = f.at("od"); p.pd = f.at("pd");
        resolve_axis("d", p.id, p.kd, p.sd, p.dd, p.od, p.pd, p.pd_r);
    } else {
        p.od = 1; p.pd = 0; p.pd_r = 0;
    }
    resolve_axis("h", p.ih, p.kh, p.sh, p.dh, p.oh, p.ph, p.ph_r);
    resolve_axis("w", p.iw, p.kw, p.sw, p.dw, p.ow, p.pw, p.pw_r);
    p.validate();
    return p;
}

std::string problem_t::shape_string() const {
    std::ostringstream os;
    const bool d3 = ndims == 5;
    if (g != 1) os << "g" << g;
    if (mb != 2) os << "mb" << mb;
    os << "ic" << ic;
    if (d3) os << "id" << id;
    os << "ih" << ih;
    if (iw != ih) os << "iw" << iw;
    os << "oc" << oc;
    if (d3) os << "od" << od;
    os << "oh" << oh;
    if (ow != oh) os << "ow" << ow;
    if (d3) os << "kd" << kd;
    os << "kh" << kh;
    if (kw != kh) os << "kw" << kw;
    if (d3 && sd != 1) os << "sd" << sd;
    if (sh != 1 || sw != 1 || (d3 && sd != 1)) {
        os << "sh" << sh;
        if (sw != sh) os << "sw" << sw;
    }
    if (d3) os << "pd" << pd;
    os << "ph" << ph;
    if (pw != ph) os << "pw" << pw;
    if (dh != 0 || dw != 0 || (d3 && dd != 0)) {
        if (d3) os << "dd" << dd;
        os << "dh" << dh;
        if (dw != dh) os << "dw" << dw;
    }
    return os.str();
}

std::string problem_t::to_string() const {
    std::string s = shape_string();
    if (!name.empty()) s += "n\"" + name + "\"";
    return s;
}

void problem_t::validate() const {
    auto positive = [](int64_t v, const char *field) {
        if (v <= 0) throw error(std::string("problem: ") + field + " = " + std::to_string(v) + " must be positive");
    };
    positive(g, "g"); positive(mb, "mb"); positive(ic, "ic"); positive(oc, "oc");
    positive(id, "id"); positive(ih, "ih"); positive(iw, "iw");
    positive(od, "od"); positive(oh, "oh"); positive(ow, "ow");
    positive(kd, "kd"); positive(kh, "kh"); positive(kw, "kw");
    positive(sd, "sd"); positive(sh, "sh"); positive(sw, "sw");
    auto nonneg = [](int64_t v, const char *field) {
        if (v < 0) throw error(std::string("problem: ") + field + " = " + std::to_string(v) + " must not be negative");
    };
    nonneg(dd, "dd"); nonneg(dh, "dh"); nonneg(dw, "dw");
    nonneg(pd, "pd"); nonneg(ph, "ph"); nonneg(pw, "pw");
    if (ic % g) throw error("problem: ic = " + std::to_string(ic) + " is not a multiple of g = " + std::to_string(g));
    if (oc % g) throw error("problem: oc = " + std::to_string(oc) + " is not a multiple of g = " + std::to_string(g));
    auto axis = [](const char *o_name, int64_t o, int64_t i, int64_t k, int64_t s, int64_t pl,
                        int64_t pr, int64_t d) {
        const int64_t expect = conv_out_size(i, k, s, pl, pr, d);
        if (o != expect)
            throw error(std::string("problem: ") + o_name + " = " + std::to_string(o)
                    + " does not follow from input, kernel, stride, dilation and padding (expected "
                    + std::to_string(expect) + ")");
    };
    if (ndims == 5) axis("od", od, id, kd, sd, pd, pd_r, dd);
    axis("oh", oh, ih, kh, sh, ph, ph_r, dh);
    axis("ow", ow, iw, kw, sw, pw, pw_r, dw);
}

double problem_t::flops() const {
    return 2.0 * mb * oc * (ic / g) * kd * kh * kw * od * oh * ow;
}

double problem_t::flops_benchdnn() const {
    // Count, per axis, the (output, tap) pairs whose input index lands inside the input.
    auto taps = [](int64_t o, int64_t i, int64_t k, int64_t s, int64_t p, int64_t d) {
        int64_t n = 0;
        for (int64_t x = 0; x < o; ++x)
            for (int64_t t = 0; t < k; ++t) {
                const int64_t xi = x * s - p + t * (d + 1);
                n += (xi >= 0 && xi < i);
            }
        return (double)n;
    };
    return 2.0 * mb * oc * (ic / g) * taps(od, id, kd, sd, pd, dd) * taps(oh, ih, kh, sh, ph, dh)
            * taps(ow, iw, kw, sw, pw, dw);
}

bool problem_t::operator==(const problem_t &o) const {
    return g == o.g && mb == o.mb && ic == o.ic && oc == o.oc && ndims == o.ndims && id == o.id
            && ih == o.ih && iw == o.iw && od == o.od && oh == o.oh && ow == o.ow && kd == o.kd
            && kh == o.kh && kw == o.kw && sd == o.sd && sh == o.sh && sw == o.sw && pd == o.pd
            && ph == o.ph && pw == o.pw && pd_r == o.pd_r && ph_r == o.ph_r && pw_r == o.pw_r
            && dd == o.dd && dh == o.dh && dw == o.dw && name == o.name;
}

} // namespace sparsetrain
