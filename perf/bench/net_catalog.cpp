#include "bench/net_catalog.hpp"

#include "sparsetrain/error.hpp"

namespace sparsetrain {
namespace bench {

const std::vector<network_info> &networks() {
    // Fixup ResNet-50 has ResNet-50's conv shapes and no profile of its own: its activations
    // use ResNet-50's rows; without BatchNorm its gradients are sparse (see its mapping file).
    static const std::vector<network_info> nets = {
            {"vgg16", "VGG16", "shapes/vgg_16", "mapping/vgg16.csv", "vgg16", 12},
            {"resnet34", "ResNet-34", "shapes/resnet_34", "mapping/resnet34.csv", "resnet34", 35},
            {"resnet50", "ResNet-50 v1.5", "shapes/resnet_50_v1_5", "mapping/resnet50.csv", "resnet50", 52},
            {"fixup_resnet50", "Fixup ResNet-50", "shapes/fixup_resnet_50", "mapping/fixup_resnet50.csv",
                    "resnet50", 52},
    };
    return nets;
}

const network_info &find_network(const std::string &name) {
    std::string known;
    for (const auto &n : networks()) {
        if (n.name == name) return n;
        known += (known.empty() ? "" : ", ") + n.name;
    }
    throw error("network '" + name + "': expected one of " + known);
}

} // namespace bench
} // namespace sparsetrain
