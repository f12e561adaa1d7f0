// Google Benchmark behind a C face (see gbench_shim.h). Google Benchmark keeps its registry and
// flags in process globals; this file adds no state of its own beyond one ecg_gbench_run call.
#include "bench/gbench_shim.h"

#include <benchmark/benchmark.h>
#include <regex.h>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

extern "C" double ecg_gbench_percentile(double *v, size_t n, double q) {
    std::sort(v, v + n);
    if (n == 1) return v[0];
    double pos = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)std::floor(pos);
    if (lo >= n - 1) return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + frac * (v[lo + 1] - v[lo]);
}

namespace {

double pct(const std::vector<double> &v, double q) {
    std::vector<double> c(v);
    return c.empty() ? 0.0 : ecg_gbench_percentile(c.data(), c.size(), q);
}
// Extra statistics Google Benchmark computes over the repetitions next to mean/median/stddev/cv.
double stat_p90(const std::vector<double> &v) { return pct(v, 90); }
double stat_p99(const std::vector<double> &v) { return pct(v, 99); }
double stat_min(const std::vector<double> &v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); }
double stat_max(const std::vector<double> &v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

struct Capture {
    std::vector<double> reps;            // seconds per iteration, one per repetition
    std::map<std::string, double> agg;   // aggregate name -> seconds per iteration
    int64_t agg_count = 0;               // repetitions behind the aggregates
    int64_t iterations = 0;              // written by the benchmark body
    std::string error;
};

// Forwards everything to Google Benchmark's display reporter (so --benchmark_format and the usual
// console table still work) and keeps the numbers. Aggregates are kept too because
// --benchmark_display_aggregates_only hides the single repetitions from the display reporter.
class CaptureReporter : public benchmark::BenchmarkReporter {
  public:
    CaptureReporter(benchmark::BenchmarkReporter *inner, const std::map<std::string, int> &index,
                    std::vector<Capture> &cap)
        : inner_(inner), index_(index), cap_(cap) {}

    // Each case is its own RunSpecifiedBenchmarks call: the context (and the console's column
    // header) is shown once, and the inner reporter finalized once, by Finish.
    // Debian's libbenchmark is built without NDEBUG, so its context says "Library was built as
    // DEBUG. Timings may be affected." once per run; the line is kept and explained.
    bool ReportContext(const Context &context) override {
        if (context_shown_) return true;
        context_shown_ = true;
        if (!inner_) return true;
        std::ostream &err = inner_->GetErrorStream();
        std::ostringstream text;
        inner_->SetErrorStream(&text);
        bool ok = inner_->ReportContext(context);
        inner_->SetErrorStream(&err);
        err << text.str();
        if (text.str().find("built as DEBUG") != std::string::npos)
            err << "(That is Google Benchmark's own build, the Debian package's: its bookkeeping runs once per\n"
                   " batch of calls, outside the code timed, which is ecgbench's own, built -O2: the figures are\n"
                   " not measurably affected.)\n";
        return ok;
    }

    void ReportRuns(const std::vector<Run> &runs) override {
        if (inner_) inner_->ReportRuns(runs);
        for (const Run &r : runs) {
            auto it = index_.find(r.run_name.function_name);
            if (it == index_.end()) continue;
            Capture &c = cap_[(size_t)it->second];
            if (r.error_occurred) {
                c.error = r.error_message;
                continue;
            }
            // Repetitions and time aggregates alike: real_accumulated_time / iterations is
            // seconds per iteration (an aggregate's "iterations" is its repetition count).
            double per_iter = r.iterations > 0 ? r.real_accumulated_time / (double)r.iterations : r.real_accumulated_time;
            if (r.run_type == Run::RT_Iteration) {
                c.reps.push_back(per_iter);
            } else if (r.aggregate_unit == benchmark::kTime) {
                c.agg[r.aggregate_name] = per_iter;
                c.agg_count = r.iterations;
            }
        }
    }

    void Finalize() override {}
    void Finish() {
        if (inner_ && context_shown_) inner_->Finalize();
    }

  private:
    bool context_shown_ = false;
    benchmark::BenchmarkReporter *inner_;
    const std::map<std::string, int> &index_;
    std::vector<Capture> &cap_;
};

void set_err(char *err, size_t errlen, const std::string &msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg.c_str());
}

void fill_result(const Capture &c, ecg_gbench_result *r) {
    if (!c.reps.empty()) {
        std::vector<double> v(c.reps);
        size_t n = v.size();
        double sum = 0;
        for (double x : v) sum += x;
        double mean = sum / (double)n, ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        r->mean = mean;
        r->stddev = n > 1 ? std::sqrt(ss / (double)(n - 1)) : 0.0;
        r->median = ecg_gbench_percentile(v.data(), n, 50);
        r->p90 = ecg_gbench_percentile(v.data(), n, 90);
        r->p99 = ecg_gbench_percentile(v.data(), n, 99);
        r->min = v.front();
        r->max = v.back();
        r->repetitions = (int)n;
        r->ran = 1;
    } else if (c.agg.count("mean") && c.agg.count("median")) {
        auto get = [&c](const char *k) { auto it = c.agg.find(k); return it == c.agg.end() ? NAN : it->second; };
        r->mean = get("mean");
        r->median = get("median");
        r->stddev = get("stddev");
        r->p90 = get("p90");
        r->p99 = get("p99");
        r->min = get("min");
        r->max = get("max");
        r->repetitions = (int)c.agg_count;
        r->ran = 1;
    }
    r->iterations = r->ran ? c.iterations : 0;
}

// Each repetition takes at least one call (the cold call is an upper bound on it) and at least
// --benchmark_min_time, which cannot be read back here, so only the call time is used.
int repetitions_for(double cold_call_s, int reps, const ecg_gbench_opts *o) {
    if (!o || o->max_case_seconds <= 0 || cold_call_s * reps <= o->max_case_seconds) return reps;
    int fit = (int)(o->max_case_seconds / cold_call_s);
    return fit < 3 ? 3 : fit;
}

// The cold call, then the case registered (not run yet); false when the cold call failed.
bool register_case(const ecg_gbench_case *c, Capture *slot, ecg_gbench_result *res, int reps, bool user_reps,
                   const ecg_gbench_opts *o) {
    // The cold call (first-touch page faults, lazy init, cold caches) is never measured;
    // Google Benchmark's own iteration-count probing then warms up before the measured runs.
    auto t0 = std::chrono::steady_clock::now();
    int rc = c->fn(c->ctx);
    double cold = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc) {
        res->failed = 1;
        snprintf(res->error, sizeof res->error, "untimed first call failed (returned %d)", rc);
        return false;
    }
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(c->name, [c, slot](benchmark::State &st) {
        for (auto _ : st) {
            int r = c->fn(c->ctx);
            if (r) {
                st.SkipWithError("timed call failed");
                break;
            }
        }
        if (c->items_per_iteration > 0)
            st.SetItemsProcessed((int64_t)(c->items_per_iteration * (double)st.iterations()));
        // Every repetition after the first reuses the first one's iteration count.
        slot->iterations = (int64_t)st.iterations();
    });
    b->UseRealTime()
        ->ComputeStatistics("p90", stat_p90)
        ->ComputeStatistics("p99", stat_p99)
        ->ComputeStatistics("min", stat_min)
        ->ComputeStatistics("max", stat_max);
    if (!user_reps) b->Repetitions(repetitions_for(cold, reps, o));
    return true;
}

int run(int argc, char **argv, const ecg_gbench_case *cases, int n, const ecg_gbench_opts *o,
        ecg_gbench_result *res, char *err, size_t errlen) {
    int reps = o && o->repetitions > 0 ? o->repetitions : 10;
    bool user_reps = false, list = false;
    std::vector<std::string> args{"ecgbench"};
    for (int i = 0; i < argc; i++) {
        std::string a(argv[i]);
        // Google Benchmark exits the process on --help; the caller prints its own help.
        if (a.rfind("--benchmark_", 0) != 0 && a.rfind("--v=", 0) != 0) {
            set_err(err, errlen, "not a Google Benchmark flag: '" + a + "'");
            return -1;
        }
        if (a.rfind("--benchmark_repetitions", 0) == 0) user_reps = true;
        if (a.rfind("--benchmark_list_tests", 0) == 0)
            list = a.find("=false") == std::string::npos && a.find("=0") == std::string::npos;
        args.push_back(a);
    }
    std::vector<char *> ptrs;
    for (std::string &a : args) ptrs.push_back(&a[0]);
    ptrs.push_back(nullptr);
    int gargc = (int)args.size();
    benchmark::Initialize(&gargc, ptrs.data());
    if (gargc > 1) {
        set_err(err, errlen, std::string("unrecognized Google Benchmark flag: '") + ptrs[1] + "'");
        return -1;
    }

    // Google Benchmark's own filter would see "NAME/repeats:N/real_time"; here the case name is
    // matched before anything is set up, with Google Benchmark's rules otherwise.
    std::string filter = benchmark::GetBenchmarkFilter();
    bool negative = !filter.empty() && filter[0] == '-';
    if (negative) filter.erase(0, 1);
    if (filter.empty() || filter == "all") filter = ".";
    regex_t selects;  // POSIX, as Google Benchmark's own fallback (std::regex trips GCC 12's warnings)
    if (regcomp(&selects, filter.c_str(), REG_EXTENDED | REG_NOSUB)) {
        set_err(err, errlen, "--benchmark_filter: not a regular expression: '" + filter + "'");
        return -1;
    }
    std::unique_ptr<regex_t, void (*)(regex_t *)> free_selects(&selects, regfree);

    std::map<std::string, int> index;
    std::vector<Capture> cap((size_t)n);
    for (int i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof res[i]);
        if (!index.emplace(cases[i].name, i).second) {
            set_err(err, errlen, std::string("duplicate benchmark name '") + cases[i].name + "'");
            return -1;
        }
    }
    benchmark::ClearRegisteredBenchmarks();
    CaptureReporter rep(o && o->quiet ? nullptr : benchmark::CreateDefaultDisplayReporter(), index, cap);
    // Cases without a setup run together in one call (so --benchmark_enable_random_interleaving
    // interleaves them); a case with one runs alone, between its setup and teardown. The filter
    // has been applied here, hence the "." spec.
    for (int pass = 0; pass < 2; pass++) {
        bool waiting = false;  // registered cases not run yet
        for (int i = 0; i < n; i++) {
            const ecg_gbench_case *c = &cases[i];
            if ((c->setup != nullptr) != (pass == 1) || (regexec(&selects, c->name, 0, nullptr, 0) == 0) == negative)
                continue;
            if (list) {  // names only: nothing set up or run
                printf("%s\n", c->name);
                continue;
            }
            char why[ECG_GBENCH_ERR_LEN] = "";
            if (c->setup && c->setup(c->ctx, why, sizeof why)) {
                res[i].failed = 1;
                snprintf(res[i].error, sizeof res[i].error, "setup failed: %s", why);
                continue;
            }
            waiting |= register_case(c, &cap[(size_t)i], &res[i], reps, user_reps, o);
            if (!c->setup) continue;
            if (waiting) benchmark::RunSpecifiedBenchmarks(&rep, ".");
            benchmark::ClearRegisteredBenchmarks();
            waiting = false;
            if (c->teardown) c->teardown(c->ctx);
        }
        if (waiting) benchmark::RunSpecifiedBenchmarks(&rep, ".");
        benchmark::ClearRegisteredBenchmarks();
    }
    rep.Finish();

    for (int i = 0; i < n; i++) {
        if (res[i].failed) continue;
        if (!cap[(size_t)i].error.empty()) {
            res[i].failed = 1;
            snprintf(res[i].error, sizeof res[i].error, "%s", cap[(size_t)i].error.c_str());
            continue;
        }
        fill_result(cap[(size_t)i], &res[i]);
    }
    return 0;
}

}  // namespace

extern "C" int ecg_gbench_run(int argc, char **argv, const ecg_gbench_case *cases, int n, const ecg_gbench_opts *o,
                              ecg_gbench_result *res, char *err, size_t errlen) {
    if (err && errlen) err[0] = 0;
    if (n < 0 || (n > 0 && (!cases || !res))) {
        set_err(err, errlen, "bad arguments");
        return -1;
    }
    // No C++ exception may cross into C.
    try {
        return run(argc, argv, cases, n, o, res, err, errlen);
    } catch (const std::exception &e) {
        benchmark::ClearRegisteredBenchmarks();
        set_err(err, errlen, std::string("benchmark shim: ") + e.what());
    } catch (...) {
        benchmark::ClearRegisteredBenchmarks();
        set_err(err, errlen, "benchmark shim: unknown exception");
    }
    return -1;
}
