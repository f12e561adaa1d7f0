# One run's confusion matrix (confusion.csv of a report) as a heat map: rows are the true class,
# columns the predicted one, the colour is the share of the true class (row-normalised, so a rare
# class is as visible as N) and each cell is labelled with its count.
# Usage: gnuplot -e "outdir='DIR'; run='RUN'" reports/confusion.gp   writes DIR/confusion_RUN.{png,svg}
if (!exists("outdir")) outdir = "reports/out"
if (!exists("run")) { print "confusion.gp: set run='RUN' (a run folder name of confusion.csv)"; exit status 1 }
csv = outdir . "/confusion.csv"
set datafile separator ","
set datafile columnheaders
# the run's seed-1 rows (a further seed, models/seeds/, has its own rows with its seed)
mine(x) = strcol("run") eq run && (strcol("seed") eq "" || column("seed") <= 1)

# The run's class names in index order, from its first row of cells.
names = ""
stats csv using (mine(0) && column("true_index") == 0 ? \
                 (names = names . " " . strcol("predicted_class"), 0) : 0) nooutput
k = words(names)
if (k == 0) { print "confusion.gp: no run " . run . " in " . csv; exit status 1 }
set xtics () ; set ytics ()
do for [i=1:k] { set xtics add (word(names, i) i - 1); set ytics add (word(names, i) i - 1) }
dataset = ""; sample = 0
stats csv using (mine(0) ? (dataset = strcol("dataset") . ", " . strcol("split") . " split", \
                 sample = sample || column("sample") == 1, 0) : 0) nooutput

# a degenerate run (results.csv, report/report_degenerate.c) says so
degenerate = ""
results = outdir . "/results.csv"
if (system("test -r '" . results . "' && echo 1 || echo 0") + 0) {
    stats results using (mine(0) && column("degenerate") == 1 ? \
        (degenerate = sprintf("\ndegenerate: predicts %s for %.1f%% of the examples", strcol("top_predicted_class"), \
                              100 * column("top_predicted_share")), 0) : 0) nooutput
}
# the run's name on a line of its own: a long one would push the title past the canvas's edge
set title run . "\nconfusion matrix on " . dataset . " (colour: share of the true class)" . degenerate . \
    (sample ? "\nbundled sample data: a smoke test, not results" : "") noenhanced
set xlabel "predicted class"
set ylabel "true class"
set xrange [-0.5:k - 0.5]
set yrange [k - 0.5:-0.5]
set cbrange [0:1]
set cblabel "fraction of the true class"
set palette defined (0 "white", 0.05 "#deebf7", 0.3 "#6baed6", 1 "#08306b")
set size square
unset key
of(c) = mine(0) ? column(c) : NaN
do for [term in "png svg"] {
    if (term eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size 800,700 font ",10" } \
        else { set terminal png size 800,700 }
    } else { set terminal svg size 800,700 dynamic font ",10" }
    set output outdir . "/confusion_" . run . "." . term
    plot csv using (of("predicted_index")):(of("true_index")):(0.5):(0.5):(of("fraction_of_true")) \
             with boxxyerror fillcolor palette fillstyle solid border lc rgb "gray70", \
         csv using (of("predicted_index")):(of("true_index")):(sprintf("%d", of("count"))): \
             (of("fraction_of_true") > 0.5 ? 0xffffff : 0x000000) with labels tc rgb variable
    unset output
}
print "confusion.gp: wrote " . outdir . "/confusion_" . run . ".{png,svg}"
