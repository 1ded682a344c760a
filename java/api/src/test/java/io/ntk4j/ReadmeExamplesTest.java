package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every ```java block of README.md compiles against the current API. A block that starts with
 * imports is a program of its own; the others are fragments that use the variables the README
 * introduces before them (model, session, arena, readout, inputs, targets), given here as
 * parameters of the method they are compiled in. (They are compiled, not run: some name files a
 * reader has, like model.safetensors.)
 */
class ReadmeExamplesTest {
    private static final String IMPORTS = String.join(
            "\n",
            "import io.ntk4j.*;",
            "import io.ntk4j.dynamics.*;",
            "import io.ntk4j.experiments.*;",
            "import io.ntk4j.io.*;",
            "import io.ntk4j.spectral.*;",
            "import io.ntk4j.tasks.*;",
            "import io.ntk4j.training.*;",
            "import java.lang.foreign.Arena;",
            "import java.nio.file.Path;",
            "import java.util.*;",
            "");
    private static final String CONTEXT =
            "Model model, Session session, Arena arena, Readout readout, Tensor inputs, " + "Tensor targets";

    @Test
    void everyJavaBlockOfTheReadmeCompiles() throws Exception {
        String readme = Files.readString(TestPaths.root().resolve("README.md"));
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        List<JavaFileObject> units = new ArrayList<>();
        int n = 0;
        while (m.find()) {
            n++;
            String block = m.group(1);
            boolean standalone = block.strip().startsWith("import ");
            // A standalone program must compile with its own imports only, as a reader copies it.
            StringBuilder imports = new StringBuilder(standalone ? "" : IMPORTS), body = new StringBuilder();
            for (String line : block.split("\n")) {
                (line.startsWith("import ") ? imports : body).append(line).append('\n');
            }
            String name = "ReadmeBlock" + n;
            String source = imports + "class " + name + " {\n  @SuppressWarnings(\"unused\")\n  static void run("
                    + (standalone ? "" : CONTEXT) + ") throws Exception {\n" + body + "  }\n}\n";
            units.add(new SimpleJavaFileObject(URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            });
        }
        assertThat(n).as("java blocks in README.md").isGreaterThanOrEqualTo(4);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        java.nio.file.Path out = Files.createTempDirectory("ntk4j-readme");
        try {
            boolean ok = javac.getTask(
                            new StringWriter(),
                            null,
                            diagnostics,
                            List.of("-proc:none", "-d", out.toString(), "-cp", System.getProperty("java.class.path")),
                            null,
                            units)
                    .call();
            StringBuilder errors = new StringBuilder();
            diagnostics
                    .getDiagnostics()
                    .forEach(d -> errors.append(
                                    d.getSource() == null ? "" : d.getSource().getName())
                            .append(':')
                            .append(d.getLineNumber())
                            .append(": ")
                            .append(d.getMessage(null))
                            .append('\n'));
            assertThat(ok).as("README's Java examples compile:\n" + errors).isTrue();
        } finally {
            try (var files = Files.walk(out)) {
                for (var f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }
}
