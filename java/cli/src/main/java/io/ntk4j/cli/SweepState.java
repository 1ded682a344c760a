package io.ntk4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ntk4j.InvalidInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.TreeMap;

/**
 * A sweep's state in its --out folder (sweep.json: the configuration; points.jsonl: one finished
 * point per line) and how it is resumed (issue 13): a last line cut short by a kill is dropped
 * from the file (its point runs again) so that appended points never join it; any other damage,
 * a point that is not one of this sweep's, or a configuration of another sweep is refused with
 * the file, the line and the way out (--restart, which keeps the old files as *.bak).
 */
final class SweepState {
    private SweepState() {}

    private static InvalidInputException damaged(Path file, String what) {
        return new InvalidInputException(file + ": " + what + "; the sweep state cannot be trusted: run again with"
                + " --restart to start over (the old files are kept as .bak)");
    }

    /** The finished points by index, after checking the folder against {@code config} and {@code labels}. */
    static TreeMap<Integer, JsonNode> load(
            Path out, ObjectNode config, List<String> labels, boolean restart, PrintWriter pw, boolean quiet)
            throws IOException {
        ObjectMapper m = new ObjectMapper();
        Path cfgFile = out.resolve("sweep.json"), log = out.resolve("points.jsonl");
        Files.createDirectories(out);
        if (restart) {
            for (Path f : new Path[] {cfgFile, log}) {
                if (Files.exists(f)) {
                    Files.move(f, f.resolveSibling(f.getFileName() + ".bak"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        TreeMap<Integer, JsonNode> done = new TreeMap<>();
        if (!Files.exists(cfgFile)) {
            if (Files.exists(log) && Files.size(log) > 0) {
                throw damaged(log, "points without their sweep.json");
            }
            Files.writeString(cfgFile, m.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            return done;
        }
        JsonNode previous;
        try {
            previous = m.readTree(Files.readString(cfgFile));
        } catch (IOException e) {
            throw damaged(
                    cfgFile,
                    "not readable JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (previous == null || !previous.equals(m.readTree(m.writeValueAsString(config)))) { // int vs long nodes
            throw new InvalidInputException(out + " holds a different sweep (" + cfgFile
                    + "): resume it with its own arguments, choose another --out, or --restart");
        }
        if (!Files.exists(log)) {
            return done;
        }
        byte[] bytes = Files.readAllBytes(log);
        String text = new String(bytes, StandardCharsets.UTF_8);
        int complete = text.lastIndexOf('\n') + 1; // bytes up to the last whole line (ASCII JSON)
        String[] lines = text.substring(0, complete).split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            JsonNode p;
            try {
                p = m.readTree(line);
            } catch (IOException e) {
                throw damaged(log, "line " + (i + 1) + " is not a JSON point");
            }
            JsonNode index = p == null ? null : p.get("index"), label = p == null ? null : p.get("label");
            if (index == null
                    || !index.canConvertToInt()
                    || index.asInt() < 0
                    || index.asInt() >= labels.size()
                    || label == null
                    || !label.asText().equals(labels.get(index.asInt()))) {
                throw damaged(log, "line " + (i + 1) + " is not a point of this sweep");
            }
            done.put(index.asInt(), p);
        }
        if (complete < bytes.length) {
            // A line cut short by a kill: drop it from the file, its point runs again.
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
                ch.truncate(complete);
                ch.force(true);
            }
            if (!quiet) {
                pw.printf("dropped the last line of %s, cut short by an interrupted run%n", log);
            }
        }
        if (!done.isEmpty() && !quiet) {
            pw.printf("resuming: %d of %d points already done in %s%n", done.size(), labels.size(), log);
        }
        return done;
    }
}
