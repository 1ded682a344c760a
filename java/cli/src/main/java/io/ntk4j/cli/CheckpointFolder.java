package io.ntk4j.cli;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.io.ModelDirectory;
import io.ntk4j.io.PyTorchModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A folder of training checkpoints (model directories or .safetensors/.npz state dicts), in the
 * order of the last number in each name (its step), for the commands that walk along training.
 */
final class CheckpointFolder {
    private CheckpointFolder() {}

    private static final Pattern NUMBER = Pattern.compile("(\\d+)(?!.*\\d)");

    /** The checkpoints of {@code dir} in step order; a clear error when there are none. */
    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException(dir + ": not a directory");
        }
        List<Path> entries;
        try (var s = Files.list(dir)) {
            entries = s.filter(p -> Files.isRegularFile(p.resolve("model.json")) || PyTorchModel.isStateDictFile(p))
                    .sorted(Comparator.comparingLong(CheckpointFolder::number).thenComparing(Path::toString))
                    .toList();
        }
        if (entries.isEmpty()) {
            throw new InvalidInputException(dir + ": no checkpoints (model directories or .safetensors/.npz files)");
        }
        return entries;
    }

    /** The last number in a checkpoint's name (its step), or -1. */
    static long number(Path p) {
        Matcher mt = NUMBER.matcher(p.getFileName().toString());
        return mt.find() ? Long.parseLong(mt.group(1)) : -1;
    }

    /** A checkpoint or model directory, read. */
    static Model load(Path p) {
        return PyTorchModel.isStateDictFile(p)
                ? PyTorchModel.load(p, PyTorchModel.Options.inferred()).model()
                : ModelDirectory.read(p);
    }
}
