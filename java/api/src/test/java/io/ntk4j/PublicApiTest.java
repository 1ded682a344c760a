package io.ntk4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API has one operator type (issue 12): no public class but {@link LinearOperator}
 * itself implements it, and no public method outside the generated bindings hands out any other
 * operator class. Read from the compiled library classes, so a new public operator type fails here.
 */
class PublicApiTest {
    private static List<Class<?>> libraryClasses() throws IOException {
        Path classes = Path.of(
                Model.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classes.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .filter(n -> !n.startsWith("io.ntk4j.internal.") && !n.endsWith("package-info"))
                    .map(PublicApiTest::load)
                    .toList();
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, PublicApiTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void linearOperatorIsTheOnlyPublicOperatorType() throws IOException {
        TreeSet<String> publicOperators = new TreeSet<>(), leaking = new TreeSet<>();
        List<Class<?>> all = libraryClasses();
        assertThat(all).as("library classes found").hasSizeGreaterThan(50);
        for (Class<?> c : all) {
            boolean exported = Modifier.isPublic(c.getModifiers())
                    && (c.getEnclosingClass() == null
                            || Modifier.isPublic(c.getEnclosingClass().getModifiers()));
            if (exported && c != LinearOperator.class && LinearOperator.class.isAssignableFrom(c)) {
                publicOperators.add(c.getName());
            }
            if (!exported) {
                continue;
            }
            for (Method m : c.getDeclaredMethods()) {
                Class<?> r = m.getReturnType();
                if (Modifier.isPublic(m.getModifiers())
                        && r != LinearOperator.class
                        && LinearOperator.class.isAssignableFrom(r)) {
                    leaking.add(c.getSimpleName() + "." + m.getName() + " -> " + r.getSimpleName());
                }
            }
        }
        assertThat(publicOperators)
                .as("public classes implementing LinearOperator")
                .isEmpty();
        assertThat(leaking)
                .as("public methods returning an operator class other than LinearOperator")
                .isEmpty();
    }
}
