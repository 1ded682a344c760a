package io.ntk4j.experiments;

import io.ntk4j.experiments.StudentTeacher.Crossing;
import io.ntk4j.experiments.StudentTeacher.Record;
import java.util.List;

/** Where along a student's training records its first bifurcation was learned. */
final class Crossings {
    private Crossings() {}

    /**
     * The first learned bifurcation: the first record pair where the origin's mu goes from < 0 to
     * >= 0 (Neimark-Sacker when lambda_c is a complex pair there, a pitchfork when the stable fixed
     * points go from 1 to 2 or more, else a crossing of the unit circle at +1 or -1 by lambda_c's
     * sign), or, if the origin never crosses, the first pair
     * where the number of stable fixed points grows while the origin stays stable (saddle-nodes away
     * from the origin). Null if neither happens.
     */
    static Crossing first(List<Record> records) {
        for (int i = 1; i < records.size(); i++) {
            Record a = records.get(i - 1), b = records.get(i);
            if (a.mu() < 0 && b.mu() >= 0) {
                Record at = Math.abs(a.mu()) <= Math.abs(b.mu()) ? a : b;
                String kind = Math.abs(at.lambdaCIm()) > 1e-9 * Math.max(1, Math.abs(at.lambdaC()))
                        ? "Neimark-Sacker (origin)"
                        : b.lambdaC() < 0
                                ? "flip (origin)"
                                : b.stableFixedPoints() >= 2 && a.stableFixedPoints() <= 1
                                        ? "pitchfork (origin)"
                                        : "real +1 (origin)";
                return around(records, at, kind);
            }
        }
        for (int i = 1; i < records.size(); i++) {
            Record a = records.get(i - 1), b = records.get(i);
            if (b.stableFixedPoints() > a.stableFixedPoints() && b.mu() < 0) {
                return around(
                        records,
                        b,
                        "saddle-node (stable fixed points " + a.stableFixedPoints() + " -> " + b.stableFixedPoints()
                                + ", origin stable)");
            }
        }
        return null;
    }

    private static Crossing around(List<Record> records, Record at, String kind) {
        // "Before" and "after": half the crossing step away on either side (clipped to the run).
        int half = Math.max(1, at.step() / 2);
        return new Crossing(
                at.step(), kind, nearest(records, at.step() - half), at, nearest(records, at.step() + half));
    }

    private static Record nearest(List<Record> records, int step) {
        Record best = records.get(0);
        for (Record r : records) {
            if (Math.abs(r.step() - step) < Math.abs(best.step() - step)) {
                best = r;
            }
        }
        return best;
    }
}
