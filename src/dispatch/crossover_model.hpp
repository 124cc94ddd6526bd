// Per-problem cost model behind the automatic sparse/dense choice.
//
// The sparse kernels' time is close to affine in the density d = 1 - s of the exploited
// operand:  t_sparse(d) = t0 + k * d  (t0: compaction, stores, loop overhead; k: the FMAs of
// the non-zeros). oneDNN dense does not depend on s: t_dense. Calibration over the first two
// executes gives one (d, t_sparse) point, t_dense and t0 (from the static cost shape, see
// dispatch/exec_choice.hpp), each from a single run: provisional. The next decision runs the
// path the calibration did not prefer once to confirm its time (at most one run of that
// path), so one run slowed down by the machine during calibration cannot lock a layer on the
// other path for good. Every
// later execute refines the estimates from its own timing (exponential averages; a
// prediction more than 20 % off is replaced outright, except that a time more than 20 %
// slower than predicted needs the next run of the same path (and density bin) to agree: one
// run slowed down by another process teaches nothing), so the crossover follows the machine
// and the layer. Sparse runs iff t_sparse(d) < t_dense.
//
// The kernels switch variants with density (paired lists below some sparsity, single lists
// above), so the true curve is only piecewise affine. The model therefore also keeps the
// measured sparse time per density bin (width 0.05): where a bin has a measurement it is the
// prediction, and near the crossover an unmeasured bin is measured (one sparse run) before
// dense is preferred, and measured once more when that run lost to dense by less than 15 %,
// so that one run slowed down by the machine cannot switch a bin off. Training moves slowly through densities, so bins fill quickly.
#pragma once

#include <memory>
#include <mutex>
#include <string>

namespace sparsetrain {
namespace detail {

class crossover_model {
public:
    bool calibrated() const;
    // True for exactly one caller at a time while the model is uncalibrated: that caller runs
    // one calibration execute (then calls record_first_run(), calibrate() or
    // abort_calibration()); concurrent executes do not.
    bool try_begin_calibration();
    void abort_calibration();
    // The first calibration execute's path and time (ms); the second execute runs the other
    // path and calls calibrate(). first_run() is false while none is recorded.
    void record_first_run(bool sparse, double density, double ms);
    bool first_run(bool &sparse, double &density, double &ms) const;
    // Calibration: t_zero = sparse time at density 0; (density, t_sparse) measured on the real
    // operand; t_dense measured with oneDNN. provisional: single runs (the dispatcher's
    // calibration), confirmed as described above; false: trusted as given.
    void calibrate(double t_zero, double density, double t_sparse, double t_dense, bool provisional = false);
    // Refinement from normal executes (milliseconds).
    void observe_sparse(double density, double ms);
    void observe_dense(double ms);

    // True when the sparse kernel is predicted faster at this density.
    bool prefer_sparse(double density) const;
    // The decision for one execute: prefer_sparse, except that every 32nd consecutive dense
    // choice runs sparse anyway when it is predicted within 30 % of dense, and every 32nd
    // consecutive sparse choice runs dense when dense is predicted within 30 %, so that a
    // noisy estimate cannot lock a layer on one path (costs < 1 % where it triggers); and a
    // provisional calibration time of the path not preferred is confirmed by one run first.
    bool decide(double density);
    double predict_sparse(double density) const;
    double predict_dense() const;
    // The density below which sparse wins (0 when never, 1 when always).
    double crossover_density() const;
    std::string str() const;

private:
    mutable std::mutex m_;
    static constexpr int bins = 20;
    static int bin_of(double density);
    double predict_locked(double density) const;
    bool calibrated_ = false, calibrating_ = false;
    bool has_first_ = false, first_sparse_ = false;
    double first_density_ = 0, first_ms_ = 0;
    double t0_ = 0, k_ = 0, t_dense_ = 0;
    double bin_ms_[bins] = {}; // measured sparse ms per density bin, 0 = none yet
    int bin_n_[bins] = {};     // measurements behind it (counted up to 2)
    double bin_pending_[bins] = {}; // a run much slower than predicted, awaiting confirmation
    int dense_streak_ = 0, sparse_streak_ = 0;
    double pending_dense_ = 0; // a dense time much slower than the estimate, awaiting confirmation
    // Calibration times not yet confirmed by a second run of their path.
    bool sparse_provisional_ = false, dense_provisional_ = false;
};

// Process-wide models keyed by (direction, problem, threads), so that primitives re-created
// for the same layer (as frameworks do every step) keep the calibration.
std::shared_ptr<crossover_model> crossover_model_for(const std::string &key);

} // namespace detail
} // namespace sparsetrain
