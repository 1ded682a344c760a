package io.ntk4j.io;

import io.ntk4j.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The seed files of the reader fuzzing (ReaderFuzzTest, ReaderFuzzCampaign): valid files of the
 * golden GRU as each reader takes them (a .npy, an .npz and a safetensors state dict, model.json),
 * and the mutations applied to them.
 */
record ReaderSeeds(byte[] npy, byte[] npz, byte[] safetensors, byte[] modelJson) {
    /** Builds the seeds, using {@code scratch} for the files it writes on the way. */
    ReaderSeeds(Path scratch) throws IOException {
        this(seedFiles(scratch));
    }

    private ReaderSeeds(byte[][] b) {
        this(b[0], b[1], b[2], b[3]);
    }

    private static byte[][] seedFiles(Path scratch) throws IOException {
        Path gru = TestPaths.golden("gru");
        byte[] npy = Files.readAllBytes(gru.resolve("weight_hh.npy"));
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(zipped)) {
            for (String name : List.of("weight_ih", "weight_hh", "bias_ih", "bias_hh")) {
                zip.putNextEntry(new ZipEntry(name + ".npy"));
                zip.write(Files.readAllBytes(gru.resolve(name + ".npy")));
                zip.closeEntry();
            }
        }
        byte[] npz = zipped.toByteArray();
        Path z = scratch.resolve("seed.npz");
        Files.write(z, npz);
        Map<String, StateDict.Array> arrays =
                new LinkedHashMap<>(StateDict.read(z).arrays());
        Path st = scratch.resolve("seed.safetensors");
        StateDict.writeSafetensors(st, arrays, Map.of("ntk4j.cell", "gru"));
        return new byte[][] {npy, npz, Files.readAllBytes(st), Files.readAllBytes(gru.resolve("model.json"))};
    }

    /** 1 to 8 random mutations of {@code seed} drawn from {@code rng}. */
    static byte[] mutate(byte[] seed, Random rng) {
        byte[] b = seed.clone();
        int n = 1 + rng.nextInt(8);
        byte[] interesting = {
            0,
            (byte) 0xff,
            (byte) 0x7f,
            (byte) 0x80,
            '9',
            ',',
            '"',
            '\'',
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            ':',
            '-',
            'L',
            ' ',
            '\n'
        };
        for (int m = 0; m < n && b.length > 0; m++) {
            int at = rng.nextInt(b.length);
            switch (rng.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << rng.nextInt(8));
                case 1 -> b[at] = interesting[rng.nextInt(interesting.length)];
                case 2 -> b[at] = (byte) rng.nextInt(256);
                case 3 -> { // delete a short range
                    int len = Math.min(1 + rng.nextInt(16), b.length - at);
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                }
                case 4 -> { // duplicate a short range
                    int len = Math.min(1 + rng.nextInt(16), b.length - at);
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
                default -> b = java.util.Arrays.copyOf(b, at); // truncate
            }
        }
        return b;
    }
}
