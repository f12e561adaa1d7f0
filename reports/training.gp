# Training curves of the committed runs: validation macro-F1 and training loss per epoch, from each
# run's epochs.csv (written by `ecgbench train`).
# Usage: gnuplot -e "outdir='DIR'; runs='models/weights/A models/weights/B'" reports/training.gp
# writes DIR/training.{png,svg}
if (!exists("outdir")) outdir = "reports/out"
if (!exists("runs")) runs = system("ls -d models/weights/*/ 2>/dev/null | sed 's:/$::' | while read d; do [ -f $d/epochs.csv ] && echo $d; done | tr '\\n' ' '")
if (words(runs) == 0) { print "training.gp: no runs with epochs.csv: no plot"; exit }
set datafile separator ","
set datafile columnheaders
# a report on the bundled sample (OUT/results.csv) says so here too
sample = 0
results = outdir . "/results.csv"
if (system("test -r '" . results . "' && echo 1 || echo 0") + 0) {
    stats results using (sample = sample || column("sample") == 1, 0) nooutput
}
name(i) = system("basename " . word(runs, i))
# 20 distinct colours (gnuplot's default cycle has 8, and there are 17 committed runs)
palette = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf " . \
          "#aec7e8 #ffbb78 #98df8a #ff9896 #c5b0d5 #c49c94 #f7b6d2 #393b79 #dbdb8d #9edae5"
do for [i=1:words(palette)] { set linetype i lc rgb word(palette, i) }
set linetype cycle words(palette)
do for [term in "png svg"] {
    if (term eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size 1600,600 font ",10" } \
        else { set terminal png size 1600,600 }
    } else { set terminal svg size 1600,600 dynamic font ",10" }
    set output outdir . "/training." . term
    set multiplot layout 1,2 title "Training of the committed runs" . \
        (sample ? "\nbundled sample data: a smoke test, not results (this report evaluated the runs on the sample)" : "") \
        noenhanced
    set grid
    unset key # one key, right of the second panel (same colours), so it hides no curve
    set xlabel "epoch"
    set ylabel "validation macro-F1"
    plot for [i=1:words(runs)] word(runs, i) . "/epochs.csv" using "epoch":"val_macro_f1" with linespoints title name(i)
    set key outside right top noenhanced font ",8"
    set ylabel "training loss"
    plot for [i=1:words(runs)] word(runs, i) . "/epochs.csv" using "epoch":"train_loss" with linespoints title name(i)
    unset multiplot
    unset output
}
print "training.gp: wrote " . outdir . "/training.{png,svg}"
