package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import io.ntk4j.NativeLibrary;
import io.ntk4j.Ntk4j;
import io.ntk4j.Ntk4jException;
import io.ntk4j.NumericalException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ntk4j} command line. Exit codes: 0 ok, 1 usage error, 2 bad input (files, shapes,
 * values), 3 numerical failure, 4 internal error, 5 arrays differ ({@code compare}).
 */
@Command(
        name = "ntk4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Exact tangent operators (P, K, NTK_S) of recurrent networks, matrix-free.",
        subcommands = {
            DemoCommand.class,
            BifurcationCommand.class,
            FixedPointsCommand.class,
            ChannelMapCommand.class,
            SweepCommand.class,
            AttentionRankCommand.class,
            TaskCommand.class,
            ApplyCommand.class,
            SpectrumCommand.class,
            AlignCommand.class,
            PartialDimsCommand.class,
            DensityCommand.class,
            CrossKernelCommand.class,
            ActivityModesCommand.class,
            MultiTaskCommand.class,
            InitBiasCommand.class,
            BenchCommand.class,
            CompareCommand.class,
            TrainCommand.class,
            InitModelCommand.class,
            RandnCommand.class
        },
        exitCodeOnInvalidInput = Main.EXIT_USAGE,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:usage error",
            "2:bad input (files, shapes, values)",
            "3:numerical failure",
            "4:internal error",
            "5:arrays differ (compare)"
        })
public final class Main implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_USAGE = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_NUMERICAL = 3;
    public static final int EXIT_INTERNAL = 4;
    public static final int EXIT_DIFFER = 5;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code --threads n} on any command: bounds the native core's threads (default: all cores). */
    @CommandLine.Option(
            names = "--threads",
            paramLabel = "n",
            scope = CommandLine.ScopeType.INHERIT,
            description = "threads of the native core (default: one per core)")
    void setThreads(int n) {
        if (n < 1 || n > 1024) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be in [1, 1024], got " + n);
        }
        io.ntk4j.Ntk4j.setThreads(n);
    }

    /** {@code --max-memory SIZE} on any command: the native core's memory budget (e.g. 4G, 512M). */
    @CommandLine.Option(
            names = "--max-memory",
            paramLabel = "SIZE",
            scope = CommandLine.ScopeType.INHERIT,
            description = "memory budget of the process, e.g. 4G or 512M: larger requests are refused before"
                    + " allocating (default: what the system has available)")
    void setMaxMemory(String size) {
        io.ntk4j.Ntk4j.setMemoryBudget(parseSize(spec, size));
    }

    /** Bytes of "4G", "512M", "1.5G", "100000" (K, M, G, T: powers of 1024). */
    static long parseSize(CommandLine.Model.CommandSpec spec, String size) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)([KMGT]?)B?")
                .matcher(size.trim().toUpperCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--max-memory must be a size like 4G, 512M or 1000000 (bytes), got " + size);
        }
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        double bytes = Double.parseDouble(m.group(1)) * Math.pow(2, shift);
        if (!(bytes >= 1 << 20) || bytes > 9e18) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--max-memory must be at least 1M, got " + size);
        }
        return (long) bytes;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try --help)");
    }

    /** Runs the CLI and returns its exit code (used by tests; {@link #main} exits with it). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        // --seed without a default of its own takes the header's NTK4J_DEFAULT_SEED: one place.
        cl.setDefaultValueProvider(arg -> arg instanceof CommandLine.Model.OptionSpec o
                        && o.longestName().equals("--seed")
                        && o.defaultValue() == null
                ? Long.toString(io.ntk4j.spectral.EigsOptions.DEFAULT_SEED)
                : null);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, badArgs) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("ntk4j: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, e);
            e.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            e.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            int code;
            if (ex instanceof InvalidInputException) {
                code = EXIT_BAD_INPUT;
            } else if (ex instanceof NumericalException) {
                code = EXIT_NUMERICAL;
            } else if (ex instanceof java.io.UncheckedIOException) {
                code = EXIT_BAD_INPUT;
            } else if (ex instanceof Ntk4jException) {
                code = EXIT_INTERNAL;
            } else {
                commandLine.getErr().println("ntk4j: internal error: " + ex);
                ex.printStackTrace(commandLine.getErr());
                commandLine.getErr().flush();
                return EXIT_INTERNAL;
            }
            commandLine.getErr().println("ntk4j: " + ex.getMessage());
            commandLine.getErr().flush();
            return code;
        });
        // --threads and --max-memory set process-wide native state: scoped to this run, so that
        // one in-process run (tests, an embedding program) does not change the next one's.
        long budget = -1;
        int threads = -1;
        try {
            budget = io.ntk4j.Ntk4j.memoryBudget();
            threads = io.ntk4j.Ntk4j.threads();
        } catch (RuntimeException | LinkageError e) {
            // no native library: nothing to restore (a command that needs it says why it is missing)
        }
        try {
            return cl.execute(args);
        } finally {
            if (budget >= 0) {
                io.ntk4j.Ntk4j.setMemoryBudget(budget);
                io.ntk4j.Ntk4j.setThreads(threads);
            }
            out.flush();
            err.flush();
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Version of the Java API and of the native library it loads. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String nativeVersion;
            String blas;
            try {
                nativeVersion = NativeLibrary.version() + " (ABI "
                        + io.ntk4j.internal.ffi.Ntk4jNative.ntk4j_abi_version() + ")\n  " + NativeLibrary.source();
                Ntk4j.BlasInfo b = Ntk4j.blas();
                blas = b + "\n  " + b.decision();
            } catch (Ntk4jException e) {
                nativeVersion = "unavailable (" + e.getMessage() + ")";
                blas = "unavailable";
            }
            return new String[] {
                "ntk4j " + Main.class.getPackage().getImplementationVersion(),
                "native core " + nativeVersion,
                "BLAS " + blas,
                "JVM " + Runtime.version()
            };
        }
    }
}
