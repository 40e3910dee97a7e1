# SPDX-License-Identifier: GPL-2.0
# The benchmark's plots, one pair per scenario, from the data files
# bench/report.py writes:
#   gnuplot -e "dir='RESULTS_DIR'; scen='pps'" bench/plots.gp
# SCEN-ratios.png: each variant's median over classic and over stock, one
# bar per case; SCEN-distribution.png: every run's figure and the medians.

if (!exists("dir")) dir = "."
if (!exists("scen")) scen = "pps"
load dir."/".scen."-labels.gp"
dat = dir."/".scen."-ratios.dat"

set terminal pngcairo size 1200,540 font "sans,10" noenhanced
set grid ytics lc rgb "#dddddd"
set key top left
colors = "#4477aa #ee6677 #228833 #ccbb44 #66ccee #aa3377"
color(i) = word(colors, (i - 1) % 6 + 1)
casename(i) = (scen eq "pps") ? word(cases, i)." flow(s)" : \
	(scen eq "scale") ? word(cases, i)." VMs" : word(cases, i)
# Where the issues set a bar: pps (issue 3) and conn (issue 6).
target_classic = (scen eq "pps") ? 1.3 : (scen eq "conn") ? 0.98 : 0
target_stock = (scen eq "pps") ? 0.97 : 0

# --- ratios -----------------------------------------------------------
set output dir."/".scen."-ratios.png"
set multiplot layout 1,2 title scen_title.": median over median (1.0 = the same; ".better." is better; 0 = no runs)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set offsets 0, 0, 0.2, 0
set yrange [0:*]
set xtics nomirror rotate by 0 font ",9"
set title "over classic (conntrack + filter + NAT)"
if (!have_classic) {
	set title "over classic: no classic runs"
	plot 1 notitle lc rgb "black" dt 2
} else {
	if (target_classic > 0) {
		plot for [i=1:ncases] dat using (column(2 * i)):xtic(1) title casename(i) lc rgb color(i), \
		     1 notitle lc rgb "black" dt 2, \
		     target_classic title sprintf("%g (target)", target_classic) lc rgb "#228833" dt 3
	} else {
		plot for [i=1:ncases] dat using (column(2 * i)):xtic(1) title casename(i) lc rgb color(i), \
		     1 notitle lc rgb "black" dt 2
	}
}
set title "over stock (classic + nft flow add)"
if (!have_stock) {
	set title "over stock: no stock runs"
	plot 1 notitle lc rgb "black" dt 2
} else {
	if (target_stock > 0) {
		plot for [i=1:ncases] dat using (column(2 * i + 1)):xtic(1) title casename(i) lc rgb color(i), \
		     1 notitle lc rgb "black" dt 2, \
		     target_stock title sprintf("%g (target)", target_stock) lc rgb "#228833" dt 3
	} else {
		plot for [i=1:ncases] dat using (column(2 * i + 1)):xtic(1) title casename(i) lc rgb color(i), \
		     1 notitle lc rgb "black" dt 2
	}
}
unset multiplot

# --- distributions ----------------------------------------------------
set output dir."/".scen."-distribution.png"
set title scen_title.": every run (points) and the median (bar)"
set style data points
load dir."/".scen."-labels.gp"
set xtics nomirror rotate by 0 font ",9"
set xrange [-0.6:nvariants-0.4]
set yrange [0:*]
set ylabel unit
plot for [i=1:ncases] dir."/".scen."-runs.dat" index (i - 1) using 1:2 \
	title casename(i) pt 7 ps 0.8 lc rgb color(i), \
     for [i=1:ncases] dir."/".scen."-medians.dat" index (i - 1) using 1:2:(0.5 / ncases) \
	with xerrorbars notitle pt -1 lw 3 lc rgb color(i)
