# An autoencoder's reconstructions (reconstruction_RUN.csv, written by `ecgbench reconstruct`): one
# panel per class, the beat at the class's median error (a typical beat, not a chosen one) and its
# reconstruction, lead 0 (the first lead; a two-lead run's CSV holds both), with the class's MSE
# beside the MSE of reconstructing every value as 0.
# Usage: gnuplot -e "outdir='DIR'; run='RUN'" reports/reconstruction.gp   writes DIR/reconstruction_RUN.{png,svg}
if (!exists("outdir")) outdir = "reports/out"
if (!exists("run")) { print "reconstruction.gp: set run='RUN' (OUT/reconstruction_RUN.csv)"; exit status 1 }
csv = outdir . "/reconstruction_" . run . ".csv"
if (!(system("test -r '" . csv . "' && echo 1 || echo 0") + 0)) { print "reconstruction.gp: no " . csv; exit status 1 }
set datafile separator ","
set datafile columnheaders

# the classes in file order
names = ""
stats csv using (column("lead") == 0 && column("sample") == 0 ? (names = names . " " . strcol("class"), 0) : 0) nooutput
k = words(names)
if (k == 0) { print "reconstruction.gp: no rows in " . csv; exit status 1 }
# a class's panel title, from its first row
panel_title = ""
set_title(c) = sprintf("%s: median beat (record %d), MSE %.4f\nclass (%d beats): MSE %.4f, all zeros %.4f", \
    c, column("record"), column("class_median_mse"), column("beats"), column("class_mse"), column("class_zero_mse"))

of(c, col) = strcol("class") eq c && column("lead") == 0 ? column(col) : NaN
cols = k < 3 ? k : 3
rows = (k + cols - 1) / cols
do for [term in "png svg"] {
    if (term eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size 420 * cols, 330 * rows + 40 font ",9" } \
        else { set terminal png size 420 * cols, 330 * rows + 40 }
    } else { set terminal svg size 420 * cols, 330 * rows + 40 dynamic font ",9" }
    set output outdir . "/reconstruction_" . run . "." . term
    set multiplot layout rows, cols title run . ": test beats and their reconstructions (lead 0)" noenhanced
    set xlabel "sample in the beat window"
    set ylabel "signal (as the task feeds it)"
    set key top right font ",8"
    set autoscale xfix
    do for [i=1:k] {
        c = word(names, i)
        stats csv using (strcol("class") eq c && column("lead") == 0 && column("sample") == 0 ? \
            (panel_title = set_title(c), 0) : 0) nooutput
        set title panel_title noenhanced
        plot csv using (of(c, "sample")):(of(c, "input")) with lines lw 1.5 lc rgb "black" title "input", \
             csv using (of(c, "sample")):(of(c, "reconstruction")) with lines lw 1.5 dt 2 lc rgb "#d62728" title "reconstruction"
    }
    unset multiplot
    unset output
}
print "reconstruction.gp: wrote " . outdir . "/reconstruction_" . run . ".{png,svg}"
