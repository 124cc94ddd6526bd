#include "dispatch/crossover_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace sparsetrain {
namespace detail {

namespace {
constexpr double keep = 0.7; // weight of the old estimate in the exponential averages
}

bool crossover_model::calibrated() const {
    std::lock_guard<std::mutex> lk(m_);
    return calibrated_;
}

int crossover_model::bin_of(double density) {
    const int b = (int)(density * bins);
    return std::clamp(b, 0, bins - 1);
}

double crossover_model::predict_locked(double density) const {
    const double b = bin_ms_[bin_of(density)];
    return b > 0 ? b : t0_ + k_ * density;
}

bool crossover_model::try_begin_calibration() {
    std::lock_guard<std::mutex> lk(m_);
    if (calibrated_ || calibrating_) return false;
    calibrating_ = true;
    return true;
}

void crossover_model::abort_calibration() {
    std::lock_guard<std::mutex> lk(m_);
    calibrating_ = false;
}

void crossover_model::record_first_run(bool sparse, double density, double ms) {
    std::lock_guard<std::mutex> lk(m_);
    calibrating_ = false;
    has_first_ = true;
    first_sparse_ = sparse;
    first_density_ = density;
    first_ms_ = ms;
}

bool crossover_model::first_run(bool &sparse, double &density, double &ms) const {
    std::lock_guard<std::mutex> lk(m_);
    sparse = first_sparse_;
    density = first_density_;
    ms = first_ms_;
    return has_first_;
}

bool crossover_model::decide(double density) {
    std::lock_guard<std::mutex> lk(m_);
    if (!calibrated_) return true;
    const double ts = predict_locked(density);
    // The single calibration run of the path not preferred is confirmed by one more run
    // (whose time observe_*() then treats like any other) before the choice rests on it.
    if (ts < t_dense_ && dense_provisional_) {
        dense_provisional_ = false;
        return false;
    }
    if (ts >= t_dense_ && sparse_provisional_) {
        sparse_provisional_ = false;
        return true;
    }
    if (ts < t_dense_) {
        dense_streak_ = 0;
        // Dense is re-timed every 32nd consecutive sparse choice where it is predicted less
        // than 30 % slower, so that a dense estimate taken in a slow moment does not keep a
        // layer on the sparse path for good.
        if (ts * 1.3 > t_dense_ && ++sparse_streak_ >= 32) {
            sparse_streak_ = 0;
            return false;
        }
        return true;
    }
    sparse_streak_ = 0;
    // Near the crossover, a bin never measured is measured (its variant may differ from what
    // the affine fit assumes), and measured once more where its one measurement lost to dense
    // by less than 15 % (that run may have been slowed down); measured bins are re-checked
    // every 32 dense choices.
    const int b = bin_of(density);
    const bool unmeasured = bin_n_[b] == 0 || (bin_n_[b] == 1 && bin_ms_[b] < 1.15 * t_dense_) || bin_pending_[b] > 0;
    if (ts < 1.3 * t_dense_ && (unmeasured || ++dense_streak_ >= 32)) {
        dense_streak_ = 0;
        return true; // exploration
    }
    return false;
}

void crossover_model::calibrate(double t_zero, double density, double t_sparse, double t_dense, bool provisional) {
    std::lock_guard<std::mutex> lk(m_);
    calibrating_ = false;
    sparse_provisional_ = dense_provisional_ = provisional;
    t0_ = std::max(0.0, std::min(t_zero, t_sparse));
    // With (almost) no non-zeros the slope cannot be measured: assume the kernel runs at
    // the dense rate for its non-zeros, i.e. t_sparse(1) ~ t_dense.
    k_ = density > 0.05 ? std::max(0.0, (t_sparse - t0_) / density) : std::max(0.0, t_dense - t0_);
    t_dense_ = t_dense;
    for (double &b : bin_ms_) b = 0;
    for (int &n : bin_n_) n = 0;
    for (double &q : bin_pending_) q = 0;
    dense_streak_ = sparse_streak_ = 0;
    pending_dense_ = 0;
    bin_ms_[bin_of(density)] = t_sparse;
    bin_n_[bin_of(density)] = 1;
    calibrated_ = true;
}

void crossover_model::observe_sparse(double density, double ms) {
    std::lock_guard<std::mutex> lk(m_);
    if (!calibrated_) return;
    sparse_provisional_ = false;
    const int bi = bin_of(density);
    // A run more than 20 % slower than predicted is held until the next run of its bin: if
    // that one is slow too, the faster of the two counts; if not, the slow one is dropped
    // (another process slowed it down). Neither the bin nor the slope learns from one outlier.
    const double predicted_here = predict_locked(density);
    double &pend = bin_pending_[bi];
    if (ms > 1.2 * predicted_here) {
        if (pend <= 0) {
            pend = ms;
            return;
        }
        ms = std::min(ms, pend);
    }
    pend = 0;
    double &b = bin_ms_[bi];
    int &n = bin_n_[bi];
    // The second measurement of a bin keeps the faster of the two (another process can only
    // slow a run down); later ones are averaged, or replace an estimate more than 20 % off.
    if (n == 1) b = std::min(b, ms);
    else b = (b <= 0 || std::fabs(ms - b) > 0.2 * b) ? ms : keep * b + (1 - keep) * ms;
    n = std::min(n + 1, 2);
    if (density <= 0.05) return; // no slope information
    const double k_obs = std::max(0.0, (ms - t0_) / density);
    // A prediction off by more than 20 % (a noisy calibration, a changed machine load) is
    // replaced at once; smaller differences are averaged.
    const double predicted = t0_ + k_ * density;
    const double w = std::fabs(ms - predicted) > 0.2 * predicted ? 0.0 : keep;
    k_ = w * k_ + (1 - w) * k_obs;
}

void crossover_model::observe_dense(double ms) {
    std::lock_guard<std::mutex> lk(m_);
    if (!calibrated_) return;
    dense_provisional_ = false;
    // Close to the estimate: averaged. Much faster: replaced. Much slower: replaced only when
    // the next dense run agrees (by the faster of the two), so that one run slowed down by
    // another process does not make dense look slow.
    if (std::fabs(ms - t_dense_) <= 0.2 * t_dense_) {
        t_dense_ = keep * t_dense_ + (1 - keep) * ms;
        pending_dense_ = 0;
    } else if (ms < t_dense_) {
        t_dense_ = ms;
        pending_dense_ = 0;
    } else if (pending_dense_ > 0) {
        t_dense_ = std::min(pending_dense_, ms);
        pending_dense_ = 0;
    } else {
        pending_dense_ = ms;
    }
}

double crossover_model::predict_sparse(double density) const {
    std::lock_guard<std::mutex> lk(m_);
    return predict_locked(density);
}

double crossover_model::predict_dense() const {
    std::lock_guard<std::mutex> lk(m_);
    return t_dense_;
}

bool crossover_model::prefer_sparse(double density) const {
    std::lock_guard<std::mutex> lk(m_);
    if (!calibrated_) return true;
    return predict_locked(density) < t_dense_;
}

double crossover_model::crossover_density() const {
    std::lock_guard<std::mutex> lk(m_);
    if (k_ <= 0) return t0_ < t_dense_ ? 1.0 : 0.0;
    return std::clamp((t_dense_ - t0_) / k_, 0.0, 1.0);
}

std::string crossover_model::str() const {
    std::lock_guard<std::mutex> lk(m_);
    char b[160];
    std::snprintf(b, sizeof(b), "t_sparse=%.3f+%.3f*density ms, t_dense=%.3f ms", t0_, k_, t_dense_);
    return b;
}

std::shared_ptr<crossover_model> crossover_model_for(const std::string &key) {
    static std::mutex m;
    static std::unordered_map<std::string, std::shared_ptr<crossover_model>> models;
    std::lock_guard<std::mutex> lk(m);
    auto &slot = models[key];
    if (!slot) slot = std::make_shared<crossover_model>();
    return slot;
}

} // namespace detail
} // namespace sparsetrain
