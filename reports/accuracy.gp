# Accuracy against cost for one dataset of a report (results.csv): against batch-1, 1-thread
# median latency, and against weights size on disk; every run a labelled point, the Pareto front
# (marked by `ecgbench report`) circled and joined. The axis ranges, margins and each label's
# position come from DIR/accuracy_KIND_DATASET.labels.gp, written by `ecgbench report`, which
# places the labels so that they do not print over each other (bench/plot_labels.c).
# Usage: gnuplot -e "outdir='DIR'; dataset='mitdb-aami'" reports/accuracy.gp
# writes DIR/accuracy_latency_DATASET.{png,svg} and DIR/accuracy_size_DATASET.{png,svg}.
if (!exists("outdir")) outdir = "reports/out"
if (!exists("dataset")) dataset = "mitdb-aami"
csv = outdir . "/results.csv"
set datafile separator ","
set datafile columnheaders

# One row per run: its batch-1, 1-thread row, or its only row when it was not timed.
one(c) = strcol("dataset") eq dataset && ((column("batch") == 1 && column("threads") == 1) || strcol("batch") eq "") \
         ? column(c) : NaN
timed(c) = strcol("dataset") eq dataset && column("batch") == 1 && column("threads") == 1 ? column(c) : NaN
front(c, flag) = column(flag) == 1 ? one(c) : NaN

# Rows of the dataset, and those with a latency (a NaN is not equal to itself).
n_rows = 0; n_timed = 0
stats csv using (n_rows = n_rows + (one("accuracy") == one("accuracy")), \
                 n_timed = n_timed + (timed("latency_median_us") == timed("latency_median_us")), 0) nooutput
if (n_rows == 0) { print "accuracy.gp: no " . dataset . " rows in " . csv; exit status 1 }
sample = system("grep -q '^" . dataset . ",[^,]*,\"\\?SAMPLE' " . csv . " && echo 1 || echo 0") + 0
note = sample ? "\n(bundled sample data: a smoke test, not results)" : ""

set grid
unset key
set ylabel "accuracy (test split)"
set format y "%.3f"

kinds = n_timed > 0 ? "latency size" : "size"
if (n_timed == 0) { print "accuracy.gp: no latency in " . csv . " (ecgbench report --latency): accuracy against size only" }
do for [kind in kinds] {
    if (kind eq "latency") {
        set xlabel "latency per example, batch 1, 1 thread (median, µs, log scale)"
        xcol = "latency_median_us"; flag = "pareto_latency"; sel = "timed"
    } else {
        set xlabel "weights file size (KiB, log scale)"
        xcol = "size_bytes"; flag = "pareto_size"; sel = "one"
    }
    set logscale x
    set title sprintf("%s: accuracy against %s (circled and joined: the Pareto front)%s", dataset, kind, note) noenhanced
    labels = sprintf("%s/accuracy_%s_%s.labels.gp", outdir, kind, dataset)
    if (system("test -r '" . labels . "' && echo 1 || echo 0") + 0 == 0) {
        print "accuracy.gp: no " . labels . " (written by ecgbench report)"; exit status 1
    }
    load labels
    scale = kind eq "size" ? 1024.0 : 1.0
    xv(c) = (sel eq "timed" ? timed(c) : one(c)) / scale
    do for [term in "png svg"] {
        if (term eq "png") {
            if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size canvas_w,canvas_h font ",10" } \
            else { set terminal png size canvas_w,canvas_h }
        } else { set terminal svg size canvas_w,canvas_h dynamic font ",10" }
        set output sprintf("%s/accuracy_%s_%s.%s", outdir, kind, dataset, term)
        plot csv using (xv(xcol)):(one("accuracy")) with points pt 7 ps 1.2 lc rgb "#4477aa" title "runs", \
             csv using (column(flag) == 1 ? xv(xcol) : NaN):(one("accuracy")) smooth unique with linespoints \
                 lw 2 pt 6 ps 2 lc rgb "#cc3311" title "Pareto front"
        unset output
    }
}
print "accuracy.gp: wrote " . outdir . "/accuracy_{" . kinds . "}_" . dataset . ".{png,svg}"
