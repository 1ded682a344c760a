package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The library's packages import each other without circles (issue 12): read from the compiled
 * classes by the JDK's jdeps, checked with Tarjan's strongly connected components.
 */
class PackageCyclesTest {
    @Test
    void theLibrarysPackageGraphHasNoCycles() {
        Path classes = Path.of(
                Model.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        assertThat(Files.isDirectory(classes.resolve("io/ntk4j")))
                .as(classes + " holds the library's classes")
                .isTrue();
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int rc = jdeps.run(
                new PrintWriter(out),
                new PrintWriter(new StringWriter()),
                "--multi-release",
                "25",
                "-verbose:package",
                "-cp",
                System.getProperty("java.class.path"),
                classes.toString());
        assertThat(rc).as(out.toString()).isZero();
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3
                    && f[1].equals("->")
                    && f[0].startsWith("io.ntk4j")
                    && f[2].startsWith("io.ntk4j")
                    && !f[0].equals(f[2])) {
                graph.computeIfAbsent(f[0], k -> new TreeSet<>()).add(f[2]);
            }
        }
        assertThat(graph).as("jdeps found the packages").containsKey("io.ntk4j.spectral");
        assertThat(cycles(graph)).as("package cycles in " + graph).isEmpty();
    }

    /** Strongly connected components with more than one package. */
    static List<List<String>> cycles(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> on = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : g.keySet()) {
            if (!index.containsKey(v)) {
                strong(v, g, index, low, stack, on, out, counter);
            }
        }
        return out;
    }

    private static void strong(
            String v,
            Map<String, Set<String>> g,
            Map<String, Integer> index,
            Map<String, Integer> low,
            Deque<String> stack,
            Set<String> on,
            List<List<String>> out,
            int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.push(v);
        on.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                strong(w, g, index, low, stack, on, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (on.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> comp = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                on.remove(w);
                comp.add(w);
            } while (!w.equals(v));
            if (comp.size() > 1) {
                out.add(comp);
            }
        }
    }

    @Test
    void theCycleFinderFindsACycle() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertThat(cycles(new TreeMap<>(g))).hasSize(1);
        assertThat(cycles(new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of()))))
                .isEmpty();
    }
}
