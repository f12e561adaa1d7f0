# Renders bench-op results (bench_op.csv) as grouped bars: one group per case (shape, taps), one bar
# per executor, height = median latency per call, error bar from min to p90.
# Usage: gnuplot [-e "outdir='DIR'"] reports/bench_op.gp   (reads DIR/bench_op.csv and DIR/run.json,
# writes DIR/bench_op.png and DIR/bench_op.svg; DIR defaults to reports/out)
if (!exists("outdir")) outdir = "reports/out"
csv = outdir . "/bench_op.csv"
runjson = outdir . "/run.json"

set datafile separator ","
set datafile columnheaders

# Case groups and executors in file order (names hold no spaces, so space-separated lists work).
groups = ""
execs = ""
inlist(list, w) = sum [i=1:words(list)] (word(list, i) eq w ? i : 0)
stats csv using (g = strcol("case"), e = strcol("executor"), \
                 groups = inlist(groups, g) ? groups : groups . " " . g, \
                 execs = inlist(execs, e) ? execs : execs . " " . e, 0) nooutput
ng = words(groups)
ne = words(execs)
if (ng == 0) { print "bench_op.gp: no rows in " . csv; exit status 1 }

cpu = system("sed -n 's/.*\"cpu_model\":[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p' " . runjson . " 2>/dev/null")
threads = system("sed -n 's/.*\"threads\":[[:space:]]*\\([0-9]*\\).*/\\1/p' " . runjson . " 2>/dev/null")
set title sprintf("Operator latency per call (median; bars: min to p90)%s", \
                  strlen(cpu) ? "\n" . cpu . (strlen(threads) ? ", " . threads . " thread(s)" : "") : "") noenhanced

bw = 0.8 / ne
xoff(e) = (e - (ne + 1) / 2.0) * bw
set boxwidth bw * 0.95 absolute
set style fill solid 0.75 border -1
set logscale y
set ylabel "latency per call (µs, log scale)"
set xlabel "case (op / shape T x C / taps)"
set xrange [0.4 : ng + 0.6]
set xtics rotate by -30 noenhanced nomirror
set xtics ()
do for [i=1:ng] { set xtics add (word(groups, i) i) }
set grid ytics mytics
set key top left noenhanced
set bmargin 8

if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1200,700 font ",10"
} else {
    set terminal png size 1200,700
}
set output outdir . "/bench_op.png"

sel(e, col) = strcol("executor") eq word(execs, e) ? column(col) : NaN
plot for [e=1:ne] csv using (inlist(groups, strcol("case")) + xoff(e)):(sel(e, "median_us")) \
         with boxes lc e title word(execs, e), \
     for [e=1:ne] csv using (inlist(groups, strcol("case")) + xoff(e)):(sel(e, "median_us")): \
         (sel(e, "min_us")):(sel(e, "p90_us")) with yerrorbars lc rgb "black" pt 0 notitle

set terminal svg size 1200,700 dynamic font ",10"
set output outdir . "/bench_op.svg"
replot
unset output
print "bench_op.gp: wrote " . outdir . "/bench_op.png and " . outdir . "/bench_op.svg"
