# SPDX-License-Identifier: GPL-2.0
# The benchmark's plots, from the data files bench/report.py writes:
#   gnuplot -e "dir='RESULTS_DIR'" bench/plots.gp
# pps-ratios.png: each variant's median over classic and over stock, for
# each flow count; pps-distribution.png: every run's rate and the medians.

if (!exists("dir")) dir = "."
load dir."/plot-labels.gp"
f1 = word(flows_labels, 1)
f2 = word(flows_labels, 2)

set terminal pngcairo size 1200,540 font "sans,10" noenhanced
set grid ytics lc rgb "#dddddd"
set key top left

# --- ratios -----------------------------------------------------------
set output dir."/pps-ratios.png"
set multiplot layout 1,2 title "pps, 64-byte UDP through the router: median over median (1.0 = same speed)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set offsets 0, 0, 0.2, 0
set yrange [0:*]
unset xtics
set xtics nomirror rotate by 0 font ",9"
# One bar per flow count: a second clustered column only when there is one.
cols = (f2 eq "") ? 1 : 2
set title "over classic (conntrack + filter + masquerade)"
if (!have_classic) {
set title "over classic: no classic runs"
plot 1 notitle lc rgb "black" dt 2
} else { if (cols == 1) {
plot dir."/pps-ratios.dat" using 2:xtic(1) title f1." flow(s)" lc rgb "#4477aa", \
     1 notitle lc rgb "black" dt 2, 1.3 title "1.3 (issue 3)" lc rgb "#228833" dt 3
} else {
plot dir."/pps-ratios.dat" using 2:xtic(1) title f1." flow(s)" lc rgb "#4477aa", \
     "" using 4 title f2." flows" lc rgb "#ee6677", \
     1 notitle lc rgb "black" dt 2, 1.3 title "1.3 (issue 3)" lc rgb "#228833" dt 3
} }
set title "over stock (classic + nft flow add)"
if (!have_stock) {
set title "over stock: no stock runs"
plot 1 notitle lc rgb "black" dt 2
} else { if (cols == 1) {
plot dir."/pps-ratios.dat" using 3:xtic(1) title f1." flow(s)" lc rgb "#4477aa", \
     1 notitle lc rgb "black" dt 2, 0.97 title "0.97 (issue 3)" lc rgb "#228833" dt 3
} else {
plot dir."/pps-ratios.dat" using 3:xtic(1) title f1." flow(s)" lc rgb "#4477aa", \
     "" using 5 title f2." flows" lc rgb "#ee6677", \
     1 notitle lc rgb "black" dt 2, 0.97 title "0.97 (issue 3)" lc rgb "#228833" dt 3
} }
unset multiplot

# --- distributions ----------------------------------------------------
set output dir."/pps-distribution.png"
unset multiplot
set title "pps at the receiver, every run (points) and the median (bar)"
set style data points
load dir."/plot-labels.gp"
set xtics nomirror rotate by 0 font ",9"
set xrange [-0.6:nvariants-0.4]
set yrange [0:*]
set ylabel "kpps"
if (f2 eq "") {
plot dir."/pps-runs.dat" index 0 using 1:2 title f1." flow(s)" pt 7 ps 0.8 lc rgb "#4477aa", \
     dir."/pps-medians.dat" index 0 using 1:2:(0.12) with xerrorbars notitle pt -1 lw 3 lc rgb "#4477aa"
} else {
plot dir."/pps-runs.dat" index 0 using 1:2 title f1." flow(s)" pt 7 ps 0.8 lc rgb "#4477aa", \
     "" index 1 using 1:2 title f2." flows" pt 5 ps 0.8 lc rgb "#ee6677", \
     dir."/pps-medians.dat" index 0 using 1:2:(0.12) with xerrorbars notitle pt -1 lw 3 lc rgb "#4477aa", \
     "" index 1 using 1:2:(0.12) with xerrorbars notitle pt -1 lw 3 lc rgb "#ee6677"
}
