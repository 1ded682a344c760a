package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import java.util.ServiceLoader;
import java.util.function.Function;

/** The optional ntk4j-spark module's services, found on the class path (the CLI itself does not need Spark). */
final class SparkModule {
    private SparkModule() {}

    /** The {@code spark} implementation of {@code type}, or a clear refusal when the module is absent. */
    static <T> T find(Class<T> type, Function<T, String> name) {
        for (T s : ServiceLoader.load(type)) {
            if (name.apply(s).equals("spark")) {
                return s;
            }
        }
        throw new InvalidInputException("--spark needs the ntk4j-spark module and Apache Spark on the class path:"
                + " ./ntk4j builds and adds them when it sees --spark; elsewhere, spark-submit the ntk4j-spark jar"
                + " (README, \"On Apache Spark\")");
    }
}
