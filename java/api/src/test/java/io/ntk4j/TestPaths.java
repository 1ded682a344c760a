package io.ntk4j;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of the repository's test data (tests/golden), independent of the working directory. */
public final class TestPaths {
    private TestPaths() {}

    public static Path root() {
        String prop = System.getProperty("ntk4j.root");
        if (prop != null && Files.isDirectory(Path.of(prop, "tests", "golden"))) {
            return Path.of(prop);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("tests/golden"))
                    && Files.isRegularFile(d.resolve("native/include/ntk4j.h"))) {
                return d;
            }
        }
        throw new IllegalStateException("cannot find the repository root (tests/golden)");
    }

    public static Path golden(String name) {
        return root().resolve("tests/golden").resolve(name);
    }

    /** max|a - b| / max|b| over all elements (the golden data's error measure). */
    /**
     * The golden operator cases: the reference's four (tests/golden), the cells from PyTorch
     * (tests/golden/cells) and the attention block (tests/golden/blocks), as a JUnit method source ({@code "io.ntk4j.TestPaths#goldenCases"}).
     */
    public static java.util.stream.Stream<String> goldenCases() {
        return java.util.stream.Stream.of(
                "rnn_leaky_dt1",
                "rnn_leaky_dt0p1",
                "rnn_elman",
                "gru",
                "cells/rnn_relu",
                "cells/rnn_linear_dt0p2",
                "cells/lstm",
                "blocks/attention_mlp",
                "blocks/attention_mlp_causal");
    }

    public static double relativeError(Tensor a, Tensor b) {
        return Tensor.relativeError(a, b);
    }

    /** The identity as a block of n probes of shape {@code one}: [n, ...one], probe i = e_i. */
    public static Tensor identity(java.lang.foreign.Arena arena, long n, long[] one) {
        long[] shape = new long[one.length + 1];
        shape[0] = n;
        System.arraycopy(one, 0, shape, 1, one.length);
        Tensor eye = Tensor.allocate(arena, shape);
        for (long i = 0; i < n; i++) {
            eye.setFlat(i * n + i, 1.0);
        }
        return eye;
    }
}
