#include "bench/layer_file.hpp"

#include <cctype>

#include "bench/text_util.hpp"
#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

std::vector<layer_entry> parse_layer_file(const std::string &text, int64_t mb, const std::string &what) {
    std::vector<layer_entry> out;
    for (const auto &line : content_lines(text)) {
        const std::string where = what + ":" + std::to_string(line.number) + ": ";
        layer_entry e;
        try {
            e.prob = problem_t::parse(line.text, mb);
        } catch (const error &x) {
            throw error(where + x.what());
        }
        std::string &name = e.prob.name;
        const auto star = name.rfind('*');
        if (star != std::string::npos) {
            const std::string n = name.substr(star + 1);
            bool digits = !n.empty() && n.size() < 6;
            for (char c : n) digits = digits && std::isdigit((unsigned char)c);
            if (!digits || std::stoi(n) < 1) throw error(where + "bad occurrence count '*" + n + "' in '" + name + "'");
            e.count = std::stoi(n);
            name.erase(star);
        }
        const auto colon = name.rfind(':');
        e.shape = colon == std::string::npos ? name : name.substr(colon + 1);
        if (e.shape.empty()) e.shape = e.prob.shape_string();
        e.initial = out.empty();
        for (const auto &o : out)
            if (o.shape == e.shape) throw error(where + "layer '" + e.shape + "' listed twice");
        out.push_back(e);
    }
    if (out.empty()) throw error(what + ": no layers");
    return out;
}

int non_initial_occurrences(const std::vector<layer_entry> &layers) {
    int n = 0;
    for (const auto &l : layers)
        if (!l.initial) n += l.count;
    return n;
}

} // namespace bench
} // namespace sparsetrain
