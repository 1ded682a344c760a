package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.Tensor;
import io.ntk4j.experiments.Sweep;
import io.ntk4j.spectral.SpectrumAnalysis;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ntk4j sweep}: effective rank and partial effective dimensions of K, P P* or NTK_S along a
 * sweep of the gain g of W_hh, or along a folder of checkpoints; points run in parallel and each
 * finished point is appended (and synced) to {@code OUT/points.jsonl}, so a sweep that is killed
 * resumes from where it stopped when run again with the same arguments.
 */
@Command(
        name = "sweep",
        header = "Effective rank and partial effective dimensions along a gain sweep or a folder of checkpoints.",
        mixinStandardHelpOptions = true,
        description =
                "Partial effective dimensions of K, P or NTK_S along a gain sweep of W_hh (--param g --values a:b:n) "
                        + "or a folder of checkpoints (--checkpoints DIR); resumable (--out DIR keeps finished points).")
final class SweepCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR|FILE", description = "base model of a gain sweep")
    Path model;

    @Option(
            names = "--checkpoints",
            paramLabel = "DIR",
            description = "folder of checkpoints (model directories or .safetensors/.npz), in name order")
    Path checkpoints;

    @picocli.CommandLine.Mixin
    DataOption data;

    @Option(
            names = "--param",
            defaultValue = "g",
            description = "swept parameter: g, the gain of W_hh (default ${DEFAULT-VALUE})")
    String param;

    @Option(
            names = "--values",
            paramLabel = "a:b:n",
            description = "n values from a to b, or a comma list (gain sweep)")
    String values;

    @Option(names = "--op", defaultValue = "K", description = "K, P, PPt or NTK (default ${DEFAULT-VALUE})")
    String op;

    @Option(names = "--exact", description = "dense exact traces and partial traces (small state spaces)")
    boolean exact;

    @Option(
            names = "--probes",
            defaultValue = "64",
            description =
                    "at least this many probes for the randomized rank "
                            + "estimates, which sample on to a 1 %% standard error (at most max(probes, 4096)) (default ${DEFAULT-VALUE})")
    long probes;

    @Option(names = "--seed", description = "seed of the randomized estimates (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--workers", defaultValue = "0", description = "points run at once (default 0: one per core)")
    int workers;

    @Option(
            names = "--spark",
            paramLabel = "MASTER",
            description = "run each point as a Spark task on MASTER (local[2], spark://host:7077, yarn, ...);"
                    + " needs the ntk4j-spark module (./ntk4j adds it)")
    String spark;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "where points.jsonl and points.csv go")
    Path out;

    @Option(names = "--json", description = "print all points as one JSON object")
    boolean json;

    @Option(
            names = "--report",
            paramLabel = "DIR",
            description = "also write JSON, CSV, PNG/SVG plots and index.html into DIR (must not exist or be empty)")
    Path report;

    @Option(
            names = "--restart",
            description = "start the sweep over in --out, keeping its old sweep.json and points.jsonl as .bak")
    boolean restart;

    private record Job(int index, double parameter, String label, Model model) {}

    @Override
    public Integer call() throws Exception {
        SpectrumAnalysis.Target kind = SpectrumAnalysis.Target.fromId(op);
        if ((model == null) == (checkpoints == null)) {
            throw new InvalidInputException("give exactly one of --model (gain sweep) and --checkpoints");
        }
        if (probes < 1) {
            throw new InvalidInputException("--probes must be >= 1, got " + probes);
        }
        List<Job> jobs = model != null ? gainJobs() : checkpointJobs();
        PrintWriter pw = spec.commandLine().getOut();
        ObjectMapper m = new ObjectMapper();
        ObjectNode config = m.createObjectNode();
        config.put(
                "source",
                model != null ? "gain:" + model.toAbsolutePath() : "checkpoints:" + checkpoints.toAbsolutePath());
        config.put(
                "inputs",
                data.inputs != null
                        ? data.inputs.toAbsolutePath().toString()
                        : "task:" + data.task + ":" + data.trials + ":" + data.steps + ":" + data.dataSeed + ":"
                                + !data.noNoise);
        config.put("op", kind.name());
        config.put("exact", exact);
        config.put("probes", probes);
        config.put("seed", seed);
        ArrayNode vs = config.putArray("points");
        jobs.forEach(j -> vs.add(j.label()));
        Path log = out.resolve("points.jsonl");
        TreeMap<Integer, JsonNode> done =
                SweepState.load(out, config, jobs.stream().map(Job::label).toList(), restart, pw, json);
        List<Job> todo = new ArrayList<>();
        for (Job j : jobs) {
            if (!done.containsKey(j.index())) {
                todo.add(j);
            }
        }
        try (Arena arena = Arena.ofShared();
                FileChannel ch = FileChannel.open(
                        log, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            Tensor x = data.inputs(arena);
            Sweep.Runner runner = spark == null || todo.isEmpty()
                    ? null
                    : SparkModule.find(Sweep.RunnerFactory.class, Sweep.RunnerFactory::name)
                            .open(spark, x);
            int width = workers > 0
                    ? workers
                    : runner != null
                            ? runner.parallelism()
                            : Runtime.getRuntime().availableProcessors();
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(width, todo.size())));
            try {
                List<Future<Sweep.Point>> futures = new ArrayList<>();
                List<Sweep.Point> finished = new ArrayList<>();
                for (Job j : todo) {
                    futures.add(pool.submit(() -> {
                        Sweep.Point p = runner != null
                                ? runner.analyze(
                                        j.index(), j.parameter(), j.label(), j.model(), kind, exact, probes, seed)
                                : Sweep.analyze(
                                        j.index(), j.parameter(), j.label(), j.model(), x, kind, exact, probes, seed);
                        byte[] line = (SweepOutput.toJson(m, p).toString() + "\n").getBytes(StandardCharsets.UTF_8);
                        synchronized (ch) { // one whole line per point, on disk before the next is counted done
                            ch.write(java.nio.ByteBuffer.wrap(line));
                            ch.force(false);
                        }
                        return p;
                    }));
                }
                boolean bar = Progress.interactive(json);
                try (Progress progress = Progress.start("sweep", todo.size(), "points", json)) {
                    for (Future<Sweep.Point> f : futures) {
                        Sweep.Point p = f.get();
                        done.put(p.index(), SweepOutput.toJson(m, p));
                        progress.step();
                        finished.add(p);
                        if (!json && !bar) {
                            pw.println(SweepOutput.line(p));
                            pw.flush();
                        }
                    }
                }
                if (!json && bar) { // the bar stood in for the lines while the points ran
                    finished.forEach(p -> pw.println(SweepOutput.line(p)));
                }
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                throw e;
            } finally {
                pool.shutdownNow();
                if (runner != null) {
                    runner.close();
                }
            }
        }
        SweepOutput.writeCsv(done, out.resolve("points.csv"));
        if (report != null) {
            SweepOutput.writeReport(report, out, probes, checkpoints != null, config, done, kind);
        }
        if (json) {
            ObjectNode root = m.createObjectNode();
            root.set("config", config);
            ArrayNode pts = root.putArray("points");
            done.values().forEach(pts::add);
            pw.println(root);
        } else {
            pw.printf("%d points in %s (points.jsonl, points.csv)%n", done.size(), out);
        }
        long short_ = done.values().stream()
                .filter(p -> p.has("accuracy_met") && !p.get("accuracy_met").asBoolean())
                .count();
        if (short_ > 0) {
            spec.commandLine()
                    .getErr()
                    .printf(
                            "ntk4j sweep: %d point(s) did not reach a 1 %% standard error within their "
                                    + "probe budget (worst_relative_error in points.jsonl); reported, not as met%n",
                            short_);
            return Main.EXIT_NUMERICAL;
        }
        return Main.EXIT_OK;
    }

    private List<Job> gainJobs() {
        if (!param.equals("g")) {
            throw new InvalidInputException("--param " + param + " is not supported (supported: g, the gain of W_hh)");
        }
        if (values == null) {
            throw new InvalidInputException("a gain sweep needs --values a:b:n (or a comma list)");
        }
        Model base = CheckpointFolder.load(model);
        double[] v = Sweep.values(values);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < v.length; i++) {
            jobs.add(new Job(i, v[i], String.format(Locale.ROOT, "g=%.6g", v[i]), base.withGain(v[i])));
        }
        return jobs;
    }

    private List<Job> checkpointJobs() throws IOException {
        if (values != null) {
            throw new InvalidInputException("--values belongs to a gain sweep, not to --checkpoints");
        }
        List<Path> entries = CheckpointFolder.list(checkpoints);
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Path p = entries.get(i);
            long n = CheckpointFolder.number(p);
            jobs.add(new Job(i, n >= 0 ? n : i, p.getFileName().toString(), CheckpointFolder.load(p)));
        }
        return jobs;
    }
}
