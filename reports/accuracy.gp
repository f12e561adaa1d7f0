# The class-balanced score against cost for one dataset of a report (results.csv): against
# batch-1, 1-thread median latency, and against weights size on disk. Top panel: the task's
# class-balanced score (macro-F1; cinc2017: the challenge F1), every run a labelled point, the
# Pareto front on that score circled and joined, degenerate runs (one class for almost every
# prediction, or no better than always predicting the most common class: report/report_degenerate.c)
# grey and never on the front, and the majority-class baseline dashed. Bottom panel: accuracy, for
# comparison (on mitdb-aami, always predicting N scores 0.89). The axis ranges, margins, front and
# each label's position come from DIR/accuracy_KIND_DATASET.labels.gp, written by `ecgbench report`,
# which places the labels so that they print over no other label, point or leader line
# (report/plot_labels.c). A run with several seeds (models/seeds/) is drawn at its mean over them
# with an error bar of +- one sample sd ($points of that file); it is degenerate when any seed is.
# Usage: gnuplot -e "outdir='DIR'; dataset='mitdb-aami'" reports/accuracy.gp
# writes DIR/accuracy_latency_DATASET.{png,svg} and DIR/accuracy_size_DATASET.{png,svg}.
if (!exists("outdir")) outdir = "reports/out"
if (!exists("dataset")) dataset = "mitdb-aami"
csv = outdir . "/results.csv"
set datafile separator ","
set datafile columnheaders

# One row per run: seed 1's batch-1, 1-thread row, or its only row when it was not timed.
first_seed(x) = strcol("seed") eq "" || column("seed") <= 1
one(c) = strcol("dataset") eq dataset && first_seed(0) && \
         ((column("batch") == 1 && column("threads") == 1) || strcol("batch") eq "") ? column(c) : NaN
timed(c) = strcol("dataset") eq dataset && column("batch") == 1 && column("threads") == 1 ? column(c) : NaN

# Runs of the dataset, and those with a latency (a NaN is not equal to itself).
n_rows = 0; n_timed = 0
stats csv using (n_rows = n_rows + (one("accuracy") == one("accuracy")), \
                 n_timed = n_timed + (timed("latency_median_us") == timed("latency_median_us")), 0) nooutput
if (n_rows == 0) { print "accuracy.gp: no " . dataset . " rows in " . csv; exit status 1 }

set grid
unset key

kinds = n_timed > 0 ? "latency size" : "size"
if (n_timed == 0) { print "accuracy.gp: no latency in " . csv . " (ecgbench report --latency): the score against size only" }
do for [kind in kinds] {
    if (kind eq "latency") {
        xtitle = "latency per example, batch 1, 1 thread (median, µs, log scale)"
        xcol = "latency_median_us"; sel = "timed"
    } else {
        xtitle = "weights file size (KiB, log scale)"
        xcol = "size_bytes"; sel = "one"
    }
    labels = sprintf("%s/accuracy_%s_%s.labels.gp", outdir, kind, dataset)
    if (system("test -r '" . labels . "' && echo 1 || echo 0") + 0 == 0) {
        print "accuracy.gp: no " . labels . " (written by ecgbench report)"; exit status 1
    }
    do for [term in "png svg"] {
        load labels # the frame, the points ($points), the front ($front: x, score, accuracy) and the score panel's labels
        # $points: cost, score, score_sd, accuracy, accuracy_sd, degenerate (a run each, mean over its seeds)
        n_pts = 0; n_bad = 0; n_bars = 0
        stats $points using (n_pts = n_pts + 1, n_bad = n_bad + ($6 == 1), n_bars = n_bars + ($3 > 0 || $5 > 0), 0) nooutput
        if (term eq "png") {
            if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size canvas_w,canvas_h font ",10" } \
            else { set terminal png size canvas_w,canvas_h }
        } else { set terminal svg size canvas_w,canvas_h dynamic font ",10" }
        set output sprintf("%s/accuracy_%s_%s.%s", outdir, kind, dataset, term)
        set multiplot title sprintf("%s: %s against %s (test split)\n" . \
            "red, joined: the Pareto front on %s\n" . \
            "%s%sdashed: always predicting the most common class, %s (%s %.3f, accuracy %.3f)%s", \
            dataset, score_name, kind, score_name, \
            n_bad > 0 ? "grey diamonds: degenerate runs (one class for >= 97% of the predictions, or not above " . \
                        "the dashed line): never on the front\n" : "", \
            n_bars > 0 ? "a run with several seeds: its mean, error bar +- one sd over the seeds\n" : "", \
            majority_class, score_name, majority_score, majority_accuracy, \
            sample ? "\nbundled sample data: a smoke test, not results" : "") noenhanced
        set logscale x
        set lmargin at screen plot_l; set rmargin at screen plot_r
        set tmargin at screen score_t; set bmargin at screen score_b
        set xlabel xtitle
        set ylabel score_label . ", test split" noenhanced
        set yrange [score_lo:score_hi]; set ytics score_step; set format y score_format
        # (eval, not a macro: a macro in a loop is expanded before the loop runs)
        eval "plot " . (n_front > 0 ? \
            "$front using 1:2 with lines lw 2 lc rgb '#cc3311' notitle, " . \
            "$front using 1:2 with points pt 6 ps 2.2 lw 2 lc rgb '#cc3311' notitle, " : "") . \
            "majority_score with lines dt 2 lw 1.5 lc rgb 'gray40' notitle" . \
            (n_bars > 0 ? ", $points using 1:($3 > 0 ? $2 : NaN):3 with yerrorbars pt -1 lw 1 lc rgb '#777777' notitle" : "") . \
            (n_pts > n_bad ? ", $points using 1:($6 == 0 ? $2 : NaN) with points pt 7 ps 1.2 lc rgb '#4477aa' notitle" : "") . \
            (n_bad > 0 ? ", $points using 1:($6 == 1 ? $2 : NaN) with points pt 13 ps 1.4 lc rgb 'gray55' notitle" : "")
        # accuracy, for comparison: the same runs and baseline, no labels
        unset label; unset arrow
        set tmargin at screen acc_t; set bmargin at screen acc_b
        set title "accuracy, for comparison (a degenerate run can score high on it)" font ",10"
        set ylabel "accuracy"
        set yrange [acc_lo:acc_hi]; set ytics acc_step * (acc_hi - acc_lo > 8 * acc_step ? 2 : 1); set format y acc_format
        eval "plot " . (n_front > 0 ? "$front using 1:3 with points pt 6 ps 2.2 lw 2 lc rgb '#cc3311' notitle, " : "") . \
            "majority_accuracy with lines dt 2 lw 1.5 lc rgb 'gray40' notitle" . \
            (n_bars > 0 ? ", $points using 1:($5 > 0 ? $4 : NaN):5 with yerrorbars pt -1 lw 1 lc rgb '#777777' notitle" : "") . \
            (n_pts > n_bad ? ", $points using 1:($6 == 0 ? $4 : NaN) with points pt 7 ps 1.2 lc rgb '#4477aa' notitle" : "") . \
            (n_bad > 0 ? ", $points using 1:($6 == 1 ? $4 : NaN) with points pt 13 ps 1.4 lc rgb 'gray55' notitle" : "")
        unset title
        unset multiplot
        unset output
    }
}
print "accuracy.gp: wrote " . outdir . "/accuracy_{" . kinds . "}_" . dataset . ".{png,svg}"
