package io.ntk4j.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long work: a bar with rate and ETA on stderr when it is an interactive terminal, and
 * nothing otherwise (output redirected, {@code CI} set, or {@code --json}), so logs and machine
 * output stay clean.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** Whether bars are shown: a console, not under CI, and not asked to be quiet. */
    static boolean interactive(boolean quiet) {
        return !quiet
                && System.console() != null
                && System.getenv("CI") == null
                && System.getenv("NTK4J_NO_PROGRESS") == null;
    }

    static Progress start(String task, long total, String unit, boolean quiet) {
        if (!interactive(quiet)) {
            return new Progress(null);
        }
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII)
                .showSpeed()
                .continuousUpdate()
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build();
        return new Progress(bar);
    }

    /**
     * Shows the progress the native core reports (Lanczos, Hutch++, SVD, partial traces) as bars, one
     * per phase, until closed; nothing when not {@link #interactive}.
     */
    static AutoCloseable attachNative(boolean quiet) {
        if (!interactive(quiet)) {
            return () -> {};
        }
        final Progress[] current = {null};
        final String[] phase = {null};
        io.ntk4j.Ntk4j.setProgress((done, total, what) -> {
            if (!what.equals(phase[0])) {
                if (current[0] != null) {
                    current[0].close();
                }
                current[0] = start(what, total, "", false);
                phase[0] = what;
            }
            if (current[0].bar != null) {
                current[0].bar.maxHint(total);
                current[0].bar.stepTo(done);
            }
        });
        return () -> {
            io.ntk4j.Ntk4j.setProgress(null);
            if (current[0] != null) {
                current[0].close();
            }
        };
    }

    void step() {
        if (bar != null) {
            bar.step();
        }
    }

    void extra(String message) {
        if (bar != null) {
            bar.setExtraMessage(message);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
