// The measured ReLU output sparsity of real training runs (perf/data/relu-sparsity-profiles.csv,
// columns network, relu_index, layer_name, epoch1, epoch10, mean_all_epochs, final_epoch, epochs).
#pragma once

#include <string>
#include <vector>

namespace sparsetrain {
namespace bench {

// Which column of the profile: the realistic steady state is the final epoch.
enum class profile_kind { epoch1, epoch10, mean, final_epoch };
const char *to_string(profile_kind k); // "epoch1", "epoch10", "mean", "final"
profile_kind profile_from_string(const std::string &s); // throws sparsetrain::error

struct profile_row {
    std::string network; // "vgg16", "resnet34", "resnet50"
    int index = 0;       // relu_index, 1-based in network order
    std::string name;    // layer_name (VGG16 only), may be empty
    double value[4] = {0, 0, 0, 0}; // by profile_kind
    double at(profile_kind k) const { return value[(int)k]; }
};

class sparsity_profiles {
public:
    // Throws sparsetrain::error naming the line of a malformed record.
    static sparsity_profiles parse(const std::string &csv_text);
    // The row of `network` whose relu_index (all digits) or layer_name is `ref`; throws when absent.
    const profile_row &row(const std::string &network, const std::string &ref) const;
    size_t rows(const std::string &network) const;

private:
    std::vector<profile_row> rows_;
};

} // namespace bench
} // namespace sparsetrain
