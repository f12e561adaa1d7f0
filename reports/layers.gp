# Per-layer cost of one run (layers.csv from `ecgbench report`): FLOPs and latency of each layer the
# XNNPACK executor runs, as horizontal bars in graph order (first layer on top), layer names on the
# shared vertical axis. Layers with no step at run time (batchnorms folded into their conv,
# dropouts, constant tokens) have no latency and are left out (their FLOPs are in layers.csv).
# Latency: batch 1, 1 thread, median per layer of our own step timer (not Google Benchmark); the
# layers sum to about a whole inference.
# Usage: gnuplot -e "outdir='DIR'; run='efficientecg-s-mitdb-aami'" reports/layers.gp
# writes DIR/layers_RUN.{png,svg}
if (!exists("outdir")) outdir = "reports/out"
if (!exists("run")) run = "efficientecg-s-mitdb-aami"
csv = outdir . "/layers.csv"
set datafile separator ","
set datafile columnheaders

# The run's timed layers: how many, their names and ops (names hold no spaces: word lists), and
# their summed latency and FLOPs.
timed = 'strcol("run") eq run && strcol("latency_us") ne ""'
n = 0; sum_us = 0; sum_flops = 0; variant = ""; layers = ""; ops = ""
stats csv using (@timed ? (n = n + 1, sum_us = sum_us + column("latency_us"), \
                           sum_flops = sum_flops + column("flops"), variant = strcol("variant"), \
                           layers = layers . " " . strcol("layer"), ops = ops . " " . strcol("op"), 0) : 0) nooutput
if (n == 0) { print "layers.gp: no timed layers of " . run . " in " . csv; exit status 1 }

# Horizontal bars: k counts the run's timed rows as they are read (reset before each plot), so a
# layer's bar sits at its position among them; other rows are NaN and drawn nowhere.
k = 0
row(c) = @timed ? column(c) : NaN
pos(dummy) = @timed ? (k = k + 1) : NaN

height = 220 + 13 * n
set style fill solid 0.8 border -1
set grid xtics
set yrange [n + 0.5 : 0.5]
# the layer names label the left panel only (a macro: the right panel unsets them)
names = 'set ytics scale 0 font ",8" noenhanced (); do for [i=1:n] { set ytics add (word(layers, i) . " (" . word(ops, i) . ")" i) }'
set key off
set tmargin at screen 1 - 110.0 / height
set bmargin at screen 70.0 / height
do for [term in "png svg"] {
    if (term eq "png") {
        if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) { set terminal pngcairo size 1400,height font ",10" } \
        else { set terminal png size 1400,height }
    } else { set terminal svg size 1400,height dynamic font ",10" }
    set output outdir . "/layers_" . run . "." . term
    set multiplot title sprintf("%s (%s): per-layer FLOPs and latency, %d layers run by XNNPACK\n" . \
        "latency: batch 1, 1 thread, median per layer (own step timer); layers sum to %.1f µs, %.2f MFLOPs\n" . \
        "not shown: layers with no step at run time (batchnorms folded into their conv, dropouts, constant tokens)", \
        run, variant, n, sum_us, sum_flops / 1e6) \
        noenhanced
    set lmargin at screen 0.21
    set rmargin at screen 0.58
    set xlabel "MFLOPs (multiply-add = 2)"
    set ylabel "layer (op), in graph order"
    @names
    k = 0
    plot csv using (row("flops") / 2e6):(pos(0)):(row("flops") / 2e6):(0.4) with boxxyerror lc rgb "#4477aa"
    set lmargin at screen 0.61
    set rmargin at screen 0.97
    set xlabel "latency (µs, batch 1, 1 thread, median)"
    unset ylabel
    unset ytics
    k = 0
    plot csv using (row("latency_us") / 2):(pos(0)):(row("latency_us") / 2):(0.4) with boxxyerror lc rgb "#cc6677"
    unset multiplot
    unset output
}
print "layers.gp: wrote " . outdir . "/layers_" . run . ".{png,svg}"
