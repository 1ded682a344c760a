package io.ntk4j.cli;

import static io.ntk4j.cli.CliTest.golden;
import static io.ntk4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.ntk4j.cli.CliTest.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep's --out state after interruptions and damage (issue 13): a last line cut short by a kill
 * is dropped and its point rerun, never joined to the next; damage elsewhere, or a broken
 * sweep.json, is refused naming the file and line with the way out (--restart, keeping .bak).
 */
class SweepDamagedStateTest {
    @TempDir
    Path tmp;

    private Result sweep(Path out, String... more) {
        String[] base = {
            "sweep",
            "--model",
            golden("rnn_elman", ""),
            "--inputs",
            golden("rnn_elman", "inputs.npy"),
            "--param",
            "g",
            "--values",
            "0.5:1.5:3",
            "--out",
            out.toString()
        };
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return run(all);
    }

    /** A point's line without its wall-clock time (the only field that differs between runs). */
    private static String untimed(String line) {
        return line.replaceAll(",\"seconds\":[0-9.eE+-]+", "");
    }

    @Test
    void aLineCutShortIsDroppedAndItsPointRunAgain() throws Exception {
        Path out = tmp.resolve("sw");
        assertThat(sweep(out).code()).isZero();
        Path log = out.resolve("points.jsonl");
        List<String> full = Files.readAllLines(log);
        assertThat(full).hasSize(3);
        // As a kill mid-write leaves it: two whole lines and the start of the third.
        Files.writeString(
                log, full.get(0) + "\n" + full.get(1) + "\n" + full.get(2).substring(0, 20));
        Result r = sweep(out);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("dropped the last line").contains("resuming: 2 of 3");
        List<String> after = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(after).hasSize(3);
        assertThat(untimed(after.get(2))).isEqualTo(untimed(full.get(2))); // the same point, recomputed identically
    }

    @Test
    void damageElsewhereIsRefusedAndRestartStartsOverKeepingTheOldFiles() throws Exception {
        Path out = tmp.resolve("sw");
        assertThat(sweep(out).code()).isZero();
        Path log = out.resolve("points.jsonl");
        List<String> full = Files.readAllLines(log);
        Files.write(log, List.of(full.get(0), "garbage", full.get(2)));
        Result r = sweep(out);
        assertThat(r.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("points.jsonl").contains("line 2").contains("--restart");
        String first = full.stream()
                .filter(l -> l.startsWith("{\"index\":0,"))
                .findFirst()
                .orElseThrow();
        Files.write(log, List.of(first.replace("\"index\":0,", "\"index\":7,"))); // not a point of 3
        assertThat(sweep(out).err()).contains("line 1 is not a point of this sweep");
        Files.writeString(out.resolve("sweep.json"), "{broken");
        Result broken = sweep(out);
        assertThat(broken.code()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(broken.err()).contains("sweep.json").contains("--restart");
        Result restart = sweep(out, "--restart");
        assertThat(restart.code()).as(restart.err()).isZero();
        // Points are appended as they finish (parallel workers): compare as sets of lines.
        assertThat(Files.readAllLines(log).stream()
                        .map(SweepDamagedStateTest::untimed)
                        .sorted()
                        .toList())
                .isEqualTo(full.stream()
                        .map(SweepDamagedStateTest::untimed)
                        .sorted()
                        .toList());
        assertThat(out.resolve("sweep.json.bak")).exists();
        assertThat(out.resolve("points.jsonl.bak")).exists();
    }
}
