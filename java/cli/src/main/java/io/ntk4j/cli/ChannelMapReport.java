package io.ntk4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.dynamics.ChannelMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** {@code channel-map --report}: the share heat map, and the map's quantities against |mu| per horizon. */
final class ChannelMapReport {
    private ChannelMapReport() {}

    /**
     * The one constant c of a linear-model law fitted to the measured channel eigenvalues (least
     * squares in log: c = exp mean(log eigenvalue - log law)), so the law's shape in mu and T can be
     * drawn beside them; the law fixes the shape, not the drive's amplitude along the channel.
     */
    static double lawScale(List<ChannelMap.Point[]> rows, java.util.function.ToDoubleFunction<ChannelMap.Point> law) {
        double s = 0;
        int n = 0;
        for (ChannelMap.Point[] pts : rows) {
            for (ChannelMap.Point p : pts) {
                if (p.channelEigenvalue() > 0 && law.applyAsDouble(p) > 0) {
                    s += Math.log(p.channelEigenvalue()) - Math.log(law.applyAsDouble(p));
                    n++;
                }
            }
        }
        return n == 0 ? Double.NaN : Math.exp(s / n);
    }

    /** The root-mean-square natural-log deviation of the measurements from the fitted law (0: the law's shape exactly). */
    static double lawError(List<ChannelMap.Point[]> rows, java.util.function.ToDoubleFunction<ChannelMap.Point> law) {
        double c = Math.log(lawScale(rows, law)), s = 0;
        int n = 0;
        for (ChannelMap.Point[] pts : rows) {
            for (ChannelMap.Point p : pts) {
                if (p.channelEigenvalue() > 0 && law.applyAsDouble(p) > 0) {
                    double d = Math.log(p.channelEigenvalue()) - Math.log(law.applyAsDouble(p)) - c;
                    s += d * d;
                    n++;
                }
            }
        }
        return n == 0 ? Double.NaN : Math.sqrt(s / n);
    }

    static void write(
            Path dir, ObjectNode root, List<ChannelMapCommand.Column> columns, List<ChannelMap.Point[]> rows) {
        Report r = Report.create(dir, "ntk4j channel-map: " + root.get("model").asText());
        boolean gains = columns.get(0).key().equals("gain");
        r.key("model", root.get("model").asText())
                .key("columns", columns.size() + (gains ? " gains of W_hh" : " checkpoints"))
                .key("horizons T", root.get("T").toString())
                .key(
                        "trials, input scale",
                        root.get("trials").asInt() + ", "
                                + root.get("input_scale").asDouble())
                .key(
                        "linear law's fitted scale",
                        String.format(
                                Locale.ROOT,
                                "%.4g",
                                root.get("linear_law_scale").asDouble()));
        r.json("channel_map.json", root);
        List<Object[]> csv = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            for (ChannelMap.Point p : rows.get(i)) {
                csv.add(new Object[] {
                    columns.get(i).label(),
                    columns.get(i).parameter(),
                    p.mu(),
                    p.steps(),
                    p.shareOfTrace(),
                    p.channelEigenvalue(),
                    p.cosineWithTopEigenvector(),
                    p.effectiveRank(),
                    p.effectiveRankStdError(),
                    p.normalFormCosine(),
                    p.linearLaw()
                });
            }
        }
        r.csv(
                "channel_map.csv",
                new String[] {
                    "column",
                    gains ? "gain" : "step",
                    "mu",
                    "T",
                    "share_of_trace",
                    "channel_eigenvalue",
                    "cosine_with_top_eigenvector",
                    "effective_rank",
                    "effective_rank_std_error",
                    "normal_form_cosine",
                    "linear_law",
                    "driven_law"
                },
                csv);
        r.plot("share_heat_map", heatMap(columns, rows, gains));
        int[] steps = stepsOf(rows.get(0)); // every column has one point per horizon
        double scale = root.get("driven_law_scale").asDouble();
        XYChart share = Report.chart(
                "Channel share of tr NTK_S against distance to bifurcation", "|mu|", "share of tr NTK_S", false);
        XYChart eig = Report.chart(
                "Channel eigenvalue ||c||^2 (points) and the driven linear model's law x "
                        + String.format(Locale.ROOT, "%.3g", scale) + " (lines)",
                "|mu|",
                "||c||^2",
                true);
        XYChart rank = Report.chart(
                "Effective rank of NTK_S (+- 1 standard error when sampled)", "|mu|", "(tr A)^2 / tr A^2", true);
        XYChart cos = Report.chart("|cos(c, top eigenvector of NTK_S)|", "|mu|", "|cos|", false);
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (int j = 0; j < steps.length; j++) {
            List<Double> x = new ArrayList<>(),
                    ys = new ArrayList<>(),
                    ye = new ArrayList<>(),
                    yl = new ArrayList<>(),
                    yr = new ArrayList<>(),
                    er = new ArrayList<>(),
                    yc = new ArrayList<>();
            for (ChannelMap.Point[] pts : rows) {
                ChannelMap.Point p = pts[j];
                double m = Math.abs(p.mu());
                if (!(m > 0)) {
                    continue; // exactly at the crossing: no place on a log axis (the CSV keeps it)
                }
                lo = Math.min(lo, m);
                hi = Math.max(hi, m);
                x.add(m);
                ys.add(p.shareOfTrace());
                ye.add(p.channelEigenvalue());
                yl.add(scale * p.drivenLaw());
                yr.add(p.effectiveRank());
                er.add(p.effectiveRankStdError());
                yc.add(p.cosineWithTopEigenvector());
            }
            if (x.isEmpty()) {
                continue;
            }
            String t = "T = " + steps[j];
            java.awt.Color colour = PALETTE[j % PALETTE.length];
            share.addSeries(t, x, ys);
            XYSeries measured = eig.addSeries(t, x, ye);
            measured.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            measured.setMarkerColor(colour);
            XYSeries law = eig.addSeries(t + " law", x, yl);
            law.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            law.setLineColor(colour);
            rank.addSeries(t, x, yr, er);
            cos.addSeries(t, x, yc);
        }
        boolean logX = hi >= 10 * lo;
        for (XYChart c : List.of(share, eig, rank, cos)) {
            c.getStyler().setXAxisLogarithmic(logX);
        }
        r.plot("share_vs_mu", share).plot("channel_eigenvalue_vs_mu", eig).plot("effective_rank_vs_mu", rank);
        r.plot("cosine_vs_mu", cos).finish();
    }

    /** One colour per horizon, shared by its measurements and its law. */
    private static final java.awt.Color[] PALETTE = {
        new java.awt.Color(0x1f77b4), new java.awt.Color(0xff7f0e), new java.awt.Color(0x2ca02c),
        new java.awt.Color(0xd62728), new java.awt.Color(0x9467bd), new java.awt.Color(0x8c564b),
        new java.awt.Color(0xe377c2), new java.awt.Color(0x7f7f7f)
    };

    private static int[] stepsOf(ChannelMap.Point[] pts) {
        int[] s = new int[pts.length];
        for (int i = 0; i < pts.length; i++) {
            s[i] = pts[i].steps();
        }
        return s;
    }

    private static HeatMapChart heatMap(
            List<ChannelMapCommand.Column> columns, List<ChannelMap.Point[]> rows, boolean gains) {
        List<Integer> x = new ArrayList<>();
        List<String> y = new ArrayList<>();
        List<Number[]> z = new ArrayList<>();
        int[] steps = stepsOf(rows.get(0));
        for (int t : steps) {
            x.add(t);
        }
        for (int i = 0; i < columns.size(); i++) {
            ChannelMap.Point[] pts = rows.get(i);
            y.add(String.format(
                    Locale.ROOT, "%s (mu %+.3g)", columns.get(i).label(), pts.length > 0 ? pts[0].mu() : 0));
            for (int j = 0; j < pts.length; j++) {
                z.add(new Number[] {j, i, pts[j].shareOfTrace()});
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder()
                .width(900)
                .height(120 + 40 * columns.size())
                .title("Share of tr NTK_S carried by the channel")
                .xAxisTitle("horizon T")
                .yAxisTitle(gains ? "gain of W_hh" : "checkpoint")
                .build();
        chart.getStyler().setShowValue(true);
        chart.getStyler().setMin(0);
        chart.getStyler().setMax(1);
        chart.addSeries("share", x, y, z);
        return chart;
    }
}
