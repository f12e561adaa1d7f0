# The pruning sweep of a report (sweep.csv): accuracy and macro-F1 against sparsity, one line per
# source run, with the weights size on a second axis.
# Usage: gnuplot -e "outdir='DIR'" reports/sweep.gp   writes DIR/sweep.{png,svg}
if (!exists("outdir")) outdir = "reports/out"
csv = outdir . "/sweep.csv"
set datafile separator ","
set datafile columnheaders
if (system("wc -l < " . csv) + 0 < 2) { print "sweep.gp: no pruned variants in " . csv . " (make compress): no plot"; exit }

sources = ""
inlist(list, w) = sum [i=1:words(list)] (word(list, i) eq w ? i : 0)
stats csv using (s = strcol("source"), sources = inlist(sources, s) ? sources : sources . " " . s, 0) nooutput

sample = 0; degenerate = ""
stats csv using (sample = sample || column("sample") == 1, \
                 degenerate = degenerate . (column("degenerate") == 1 ? " " . strcol("run") : ""), 0) nooutput
set title "Unstructured magnitude pruning: test metrics against sparsity (after fine-tuning)" . \
    (strlen(degenerate) > 0 ? "\ngrey squares: degenerate runs (one class for >= 97% of the predictions, " . \
                               "or no better than always predicting the most common class)" : "") . \
    (sample ? "\nbundled sample data: a smoke test, not results" : "") noenhanced
set xlabel "sparsity of the pruned weights (%)"
set ylabel "accuracy, macro-F1 (test split)"
set y2label "weights file size (KiB)"
set ytics nomirror
set y2tics
set grid
set key outside bottom center horizontal noenhanced
set xlabel offset 0,0.5
set bmargin 7 # room for the x label above the key
of(s, c) = strcol("source") eq s ? column(c) : NaN
# a macro, set before the loop that expands it: no plot of no points when no run is degenerate
degenerate_points = strlen(degenerate) == 0 ? "" : \
    ', csv using (100 * column("sparsity")):(column("degenerate") == 1 ? column("macro_f1") : NaN) ' . \
    'with points pt 5 ps 1.8 lc rgb "gray55" title "degenerate (macro-F1)"'
do for [term in "png svg"] {
    if (term eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size 1000,700 font ",10" } \
        else { set terminal png size 1000,700 }
    } else { set terminal svg size 1000,700 dynamic font ",10" }
    set output outdir . "/sweep." . term
    plot for [i=1:words(sources)] csv using (100 * column("sparsity")):(of(word(sources, i), "accuracy")) \
             with linespoints lw 2 pt 7 title word(sources, i) . " accuracy", \
         for [i=1:words(sources)] csv using (100 * column("sparsity")):(of(word(sources, i), "macro_f1")) \
             with linespoints lw 2 pt 5 dt 2 title word(sources, i) . " macro-F1", \
         for [i=1:words(sources)] csv using (100 * column("sparsity")):(of(word(sources, i), "size_bytes") / 1024) \
             axes x1y2 with linespoints lw 1 pt 4 dt 3 lc rgb "gray40" title word(sources, i) . " size" @degenerate_points
    unset output
}
print "sweep.gp: wrote " . outdir . "/sweep.{png,svg}"
