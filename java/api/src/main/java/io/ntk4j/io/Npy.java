package io.ntk4j.io;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A small, strict reader and writer of NumPy {@code .npy} files holding little-endian float64 in
 * C order (format versions 1.0, 2.0 and 3.0). Anything else (another dtype, Fortran order,
 * pickles, a truncated or over-long file) is refused with a message naming the file and the
 * problem. Data are read straight into an off-heap {@link Tensor}; writes go to a temporary file
 * renamed into place, so a failed write never leaves a partial file.
 *
 * {@snippet :
 * try (Arena arena = Arena.ofConfined()) {
 *   Tensor x = Npy.read(Path.of("inputs.npy"), arena);   // e.g. [B, T, N]
 *   Npy.write(Path.of("copy.npy"), x);
 * }
 * }
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {}

    /** The header of a .npy file: its shape and where its data start. */
    public record Header(long[] shape, long dataOffset) {}

    /** Reads a float64 array into a new tensor of {@code arena}. */
    public static Tensor read(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            long n = elementCount(file, h.shape());
            long expected = h.dataOffset() + n * Double.BYTES;
            long size = ch.size();
            if (size < expected) {
                throw new NpyFormatException(file + ": truncated .npy file: shape " + shapeText(h.shape()) + " needs "
                        + n * Double.BYTES + " data bytes but only " + (size - h.dataOffset()) + " are present");
            }
            if (size > expected) {
                throw new NpyFormatException(file + ": " + (size - expected)
                        + " unexpected bytes after the data of shape " + shapeText(h.shape()));
            }
            if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                throw new NpyFormatException(file + ": big-endian hosts are not supported");
            }
            Tensor t = Tensor.allocate(arena, h.shape());
            ByteBuffer dst = t.segment().asByteBuffer();
            ch.position(h.dataOffset());
            while (dst.hasRemaining()) {
                if (ch.read(dst) < 0) {
                    throw new NpyFormatException(file + ": file ended while reading data");
                }
            }
            return t;
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), 0, e);
        }
    }

    /** Reads only the header (shape) of a .npy file. */
    public static Header header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), 0, e);
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, pre, "preamble");
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre.get(i) != MAGIC[i]) {
                throw new NpyFormatException(file + ": not a .npy file (bad magic string)");
            }
        }
        int major = pre.get(6) & 0xff, minor = pre.get(7) & 0xff;
        long headerLen;
        int preamble;
        if (major == 1 && minor == 0) {
            headerLen = pre.getShort(8) & 0xffff;
            preamble = 10;
        } else if ((major == 2 || major == 3) && minor == 0) {
            headerLen = pre.getInt(8) & 0xffffffffL;
            preamble = 12;
        } else {
            throw new NpyFormatException(
                    file + ": unsupported .npy format version " + major + "." + minor + " (supported: 1.0, 2.0, 3.0)");
        }
        if (headerLen > (1 << 20)) {
            throw new NpyFormatException(file + ": header length " + headerLen + " is implausible");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        ch.position(preamble);
        readFully(file, ch, hb, "header");
        String header =
                new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        NpyHeader h = NpyHeader.parse(file.toString(), header);
        String descr = h.descr();
        if (!descr.equals("<f8")) {
            throw new NpyFormatException(
                    file + ": dtype " + descr + " is not supported: ntk4j reads little-endian float64 ('<f8') only"
                            + (descr.equals("<f4") ? " (convert with array.astype(numpy.float64))" : ""));
        }
        if (h.fortranOrder()) {
            throw new NpyFormatException(
                    file + ": Fortran-ordered arrays are not supported (save with numpy.ascontiguousarray)");
        }
        return new Header(h.shape(), preamble + headerLen);
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer b, String what) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new NpyFormatException(file + ": truncated .npy file (ended inside the " + what + ")");
            }
        }
    }

    private static long elementCount(Path file, long[] shape) {
        try {
            return Tensor.elementCount(shape);
        } catch (InvalidInputException e) {
            throw new NpyFormatException(file + ": " + e.getMessage());
        }
    }

    /** Writes {@code t} as a version 1.0 .npy file, atomically (temporary file, then rename). */
    public static void write(Path file, Tensor t) {
        StringBuilder dict = new StringBuilder("{'descr': '<f8', 'fortran_order': False, 'shape': ");
        dict.append(shapeText(t.shape())).append(", }");
        // Pad with spaces so that the data start at a multiple of 64 bytes, then end with '\n'.
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        dict.append(" ".repeat(pad)).append('\n');
        byte[] headerBytes = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (headerBytes.length > 0xffff) {
            throw new InvalidInputException(file + ": shape too long for a version 1.0 header");
        }
        ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        pre.put(MAGIC)
                .put((byte) 1)
                .put((byte) 0)
                .putShort((short) headerBytes.length)
                .flip();
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            if (dir != null && !Files.isDirectory(dir)) {
                throw new InvalidInputException(file + ": directory " + dir + " does not exist");
            }
            tmp = TemporaryFiles.createFile(dir, "." + abs.getFileName() + ".", ".tmp");
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, pre);
                writeFully(ch, ByteBuffer.wrap(headerBytes));
                writeFully(ch, t.segment().asByteBuffer());
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            TemporaryFiles.done(tmp);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                TemporaryFiles.done(tmp);
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is hidden and never mistaken for the output
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) {
                sb.append(",");
            }
            if (i < shape.length - 1) {
                sb.append(" ");
            }
        }
        return sb.append(")").toString();
    }
}
