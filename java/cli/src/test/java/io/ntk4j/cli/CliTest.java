package io.ntk4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.TestPaths;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and messages of the CLI; the launcher-level golden run is tests/cli/apply_golden.sh. */
class CliTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** {@code ntk4j apply} of operator {@code op} with the given files. */
    static Result apply(String model, String inputs, String probe, String op, String out) {
        return run("apply", "--model", model, "--inputs", inputs, "--probe", probe, "--op", op, "--out", out);
    }

    static String golden(String c, String f) {
        return TestPaths.golden(c).resolve(f).toString();
    }

    @Test
    void applyWritesTheProductAndCompareAcceptsIt() {
        Path out = tmp.resolve("y.npy");
        Result r = apply(golden("gru", ""), golden("gru", "inputs.npy"), golden("gru", "q.npy"), "NTK", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("NTK(B=3,T=6,H=5)");
        Result c = run("compare", out.toString(), golden("gru", "NTK_q.npy"));
        assertThat(c.code()).as(c.out()).isZero();
        Result differ = run("compare", out.toString(), golden("gru", "P_q.npy"));
        assertThat(differ.code()).isEqualTo(Main.EXIT_DIFFER);
    }

    @Test
    void timeMajorInputsGiveTheSameProductAsBatchFirstOnes() {
        // The golden inputs [B=3, T=6, N] written in PyTorch's default order [T, B, N].
        Path tm = tmp.resolve("x_tbn.npy");
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            io.ntk4j.Tensor x = io.ntk4j.io.Npy.read(Path.of(golden("gru", "inputs.npy")), arena);
            long b = x.dim(0), t = x.dim(1), n = x.dim(2);
            io.ntk4j.Tensor swapped = io.ntk4j.Tensor.allocate(arena, t, b, n);
            for (long bi = 0; bi < b; bi++) {
                for (long ti = 0; ti < t; ti++) {
                    for (long k = 0; k < n; k++) {
                        swapped.set(x.get(bi, ti, k), ti, bi, k);
                    }
                }
            }
            io.ntk4j.io.Npy.write(tm, swapped);
        }
        Path out = tmp.resolve("y.npy");
        Result r = run(
                "apply",
                "--model",
                golden("gru", ""),
                "--inputs",
                tm.toString(),
                "--time-major",
                "--probe",
                golden("gru", "q.npy"),
                "--op",
                "NTK",
                "--out",
                out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("NTK(B=3,T=6,H=5)");
        assertThat(run("compare", out.toString(), golden("gru", "NTK_q.npy")).code())
                .isZero();
        Path batchFirst = tmp.resolve("y0.npy");
        assertThat(run(
                                "apply",
                                "--model",
                                golden("gru", ""),
                                "--inputs",
                                golden("gru", "inputs.npy"),
                                "--probe",
                                golden("gru", "q.npy"),
                                "--op",
                                "NTK",
                                "--out",
                                batchFirst.toString())
                        .code())
                .isZero();
        Result same = run("compare", "--rtol", "0", out.toString(), batchFirst.toString());
        assertThat(same.code())
                .as("bit-identical to the batch-first run: " + same.out())
                .isZero();
        Result task = run("spectrum", "--model", golden("gru", ""), "--task", "memory_pro", "--time-major");
        assertThat(task.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(task.err()).contains("--time-major applies to --inputs files");
    }

    @Test
    void applyAcceptsABlockOfProbes() throws Exception {
        Path q = tmp.resolve("q.npy");
        assertThat(run("randn", "--shape", "4,3,6,5", "--seed", "1", "--out", q.toString())
                        .code())
                .isZero();
        Path out = tmp.resolve("y.npy");
        Result r =
                apply(golden("rnn_elman", ""), golden("rnn_elman", "inputs.npy"), q.toString(), "Pt", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(io.ntk4j.io.Npy.header(out).shape()).containsExactly(4, 3, 6, 5);
    }

    @Test
    void badInputExitsWithTwoAndWritesNothing() {
        Path out = tmp.resolve("y.npy");
        // A probe of the wrong shape (inputs given as probe).
        Result r =
                apply(golden("gru", ""), golden("gru", "inputs.npy"), golden("gru", "inputs.npy"), "P", out.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("inputs.npy").contains("probe has shape [3, 6, 2]");
        // A model directory that does not exist.
        Result m = apply(
                tmp.resolve("none").toString(),
                golden("gru", "inputs.npy"),
                golden("gru", "q.npy"),
                "P",
                out.toString());
        assertThat(m.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(m.err()).contains("none").contains("does not exist");
        // An unknown operator.
        Result o = apply(golden("gru", ""), golden("gru", "inputs.npy"), golden("gru", "q.npy"), "Q", out.toString());
        assertThat(o.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(o.err()).contains("unknown operator \"Q\"");
        assertThat(out).doesNotExist();
    }

    @Test
    void failedWriteLeavesNoPartialFile() throws Exception {
        Path missingDir = tmp.resolve("no/such/dir/y.npy");
        Result r = apply(
                golden("gru", ""), golden("gru", "inputs.npy"), golden("gru", "q.npy"), "K", missingDir.toString());
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("does not exist");
        try (Stream<Path> files = Files.walk(tmp)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void usageErrorsExitWithOne() {
        assertThat(run("apply", "--model", "x").code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("no-such-command").code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run().code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run("--help").code()).isZero();
    }

    @Test
    void absurdCountsAndSizesAreRefusedBeforeAnyWork() {
        String m = golden("rnn_elman", ""), x = golden("rnn_elman", "inputs.npy");
        Result threads = run("spectrum", "--model", m, "--inputs", x, "--threads", "100000");
        assertThat(threads.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(threads.err()).contains("--threads must be in [1, 1024]");
        Result memory = run("spectrum", "--model", m, "--inputs", x, "--max-memory", "12Q");
        assertThat(memory.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(memory.err()).contains("--max-memory");
        Path out = tmp.resolve("huge");
        Result hidden = run(
                "init-model",
                "--cell",
                "rnn_leaky",
                "--hidden",
                "1000000000",
                "--input",
                "3",
                "--dt",
                "0.1",
                "--out",
                out.toString());
        assertThat(hidden.code()).as(hidden.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(hidden.err()).contains("weight_ih").contains("more than one array can");
        assertThat(out).doesNotExist();
        Result top = run("spectrum", "--model", m, "--inputs", x, "--top", "100000000");
        assertThat(top.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(top.err()).contains("k = 100000000");
    }

    @Test
    void threadsOptionBoundsTheCoreOnAnyCommand() {
        int before = io.ntk4j.Ntk4j.threads();
        java.util.concurrent.atomic.AtomicInteger during = new java.util.concurrent.atomic.AtomicInteger(-1);
        // The thread count while the command runs (seen from its progress reports); afterwards the
        // process's own setting is back (Main.run scopes --threads and --max-memory to the run).
        io.ntk4j.Ntk4j.setProgress((done, total, what) -> during.compareAndSet(-1, io.ntk4j.Ntk4j.threads()));
        try {
            Result r = run(
                    "spectrum",
                    "--model",
                    golden("gru", ""),
                    "--inputs",
                    golden("gru", "inputs.npy"),
                    "--top",
                    "2",
                    "--threads",
                    "1");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(during.get()).isEqualTo(1);
            assertThat(io.ntk4j.Ntk4j.threads()).isEqualTo(before);
            Result bad = run(
                    "spectrum",
                    "--threads",
                    "0",
                    "--model",
                    golden("gru", ""),
                    "--inputs",
                    golden("gru", "inputs.npy"));
            assertThat(bad.code()).isEqualTo(Main.EXIT_USAGE);
            assertThat(bad.err()).contains("--threads must be in [1, 1024], got 0");
        } finally {
            io.ntk4j.Ntk4j.setProgress(null);
            io.ntk4j.Ntk4j.setThreads(before);
        }
    }
}
