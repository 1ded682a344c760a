package io.ntk4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    /** A .npy file with the given version, header dict and payload. */
    static byte[] npy(int major, String dict, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        int pre = major == 1 ? 10 : 12;
        int len = dict.length() + 1;
        int pad = (64 - (pre + len) % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        out.writeBytes(b.array());
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }

    Path file(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void roundTripsAndReadsAllVersions() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.of(arena, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Path p = dir.resolve("t.npy");
            Npy.write(p, t);
            Tensor back = Npy.read(p, arena);
            assertThat(back.shape()).containsExactly(2, 3);
            assertThat(back.toArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(Files.size(p) % 8).isZero();
            for (int v = 1; v <= 3; v++) {
                Path q = file(
                        "v" + v + ".npy",
                        npy(v, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", doubles(7, 8, 9)));
                assertThat(Npy.read(q, arena).toArray()).containsExactly(7, 8, 9);
            }
            Path scalar =
                    file("s.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", doubles(4.5)));
            assertThat(Npy.read(scalar, arena).toArray()).containsExactly(4.5);
        }
    }

    @Test
    void rejectsWhatItCannotRead() throws Exception {
        String ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
        try (Arena arena = Arena.ofConfined()) {
            assertRefused(arena, file("trunc.npy", npy(1, ok, doubles(1, 2, 3))), "truncated");
            assertRefused(arena, file("long.npy", npy(1, ok, doubles(1, 2, 3, 4, 5))), "unexpected bytes");
            assertRefused(arena, file("f4.npy", npy(1, ok.replace("<f8", "<f4"), new byte[16])), "<f4");
            assertRefused(arena, file("be.npy", npy(1, ok.replace("<f8", ">f8"), doubles(1, 2, 3, 4))), ">f8");
            assertRefused(arena, file("obj.npy", npy(1, ok.replace("<f8", "|O"), doubles(1, 2, 3, 4))), "|O");
            assertRefused(
                    arena, file("fortran.npy", npy(1, ok.replace("False", "True"), doubles(1, 2, 3, 4))), "Fortran");
            assertRefused(arena, file("v4.npy", npy(4, ok, doubles(1, 2, 3, 4))), "version 4.0");
            assertRefused(
                    arena, file("magic.npy", "hello world, not numpy".getBytes(StandardCharsets.US_ASCII)), "magic");
            assertRefused(arena, file("short.npy", new byte[] {(byte) 0x93, 'N'}), "truncated");
            assertRefused(
                    arena,
                    file("shape.npy", npy(1, ok.replace("(2, 2)", "(2, x)"), doubles(1, 2, 3, 4))),
                    "expected a dimension");
            assertRefused(arena, dir.resolve("missing.npy"), "no such file");
        }
    }

    private static void assertRefused(Arena arena, Path p, String fragment) {
        assertThatThrownBy(() -> Npy.read(p, arena))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(p.getFileName().toString())
                .hasMessageContaining(fragment);
    }
}
