package io.ntk4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A dense, row-major (C order) float64 array living off-heap in a {@link MemorySegment}. This is
 * what crosses into the native core: the segment's address is handed to native code as is, so
 * results are written straight into it and big arrays are never copied.
 *
 * <p>A tensor does not own its memory: the {@link Arena} it was allocated in does. Heap arrays
 * appear only in the convenience methods {@link #of} and {@link #toArray}.
 *
 * {@snippet :
 * try (Arena arena = Arena.ofConfined()) {
 *   Tensor q = Tensor.allocate(arena, 4, 3, 10, 32);   // k=4 probes of [B=3, T=10, H=32]
 *   q.set(1.0, 0, 0, 0, 0);
 *   double v = q.get(0, 0, 0, 0);
 * }
 * }
 */
public final class Tensor {
    /** Layout of one element: native-order double (the core is little-endian x86-64/aarch64). */
    public static final ValueLayout.OfDouble ELEMENT = ValueLayout.JAVA_DOUBLE;

    private final MemorySegment segment;
    private final long[] shape;
    private final long[] strides;
    private final long size;

    private Tensor(MemorySegment segment, long[] shape) {
        this.shape = shape.clone();
        this.size = elementCount(shape);
        if (segment.byteSize() != size * Double.BYTES) {
            throw new IllegalArgumentException("segment holds " + segment.byteSize() + " bytes but shape "
                    + Arrays.toString(shape) + " needs " + size * Double.BYTES);
        }
        this.segment = segment;
        this.strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
    }

    /** Number of elements of a shape; rejects negative extents and overflow. */
    public static long elementCount(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new InvalidInputException("shape " + Arrays.toString(shape) + " overflows 64-bit sizes");
            }
        }
        if (n > Long.MAX_VALUE / Double.BYTES) {
            throw new InvalidInputException("shape " + Arrays.toString(shape) + " is too large to address");
        }
        return n;
    }

    /** A zero-filled tensor of the given shape allocated in {@code arena}. */
    public static Tensor allocate(Arena arena, long... shape) {
        long n = elementCount(shape);
        if (n >= (1L << 24)) { // only large tensors are checked
            Ntk4j.requireMemory((double) n * Double.BYTES, "a tensor of shape " + Arrays.toString(shape));
        }
        return new Tensor(arena.allocate(n * Double.BYTES, Double.BYTES), shape);
    }

    /**
     * Views an existing native segment as a tensor (no copy). The segment must be native
     * (off-heap) and exactly as large as the shape requires.
     */
    public static Tensor wrap(MemorySegment segment, long... shape) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException(
                    "ntk4j tensors must be off-heap: allocate the segment in an Arena (got a heap segment)");
        }
        return new Tensor(segment, shape);
    }

    /** Copies a heap array into a new off-heap tensor (convenience at the edges). */
    public static Tensor of(Arena arena, double[] values, long... shape) {
        if (values.length != elementCount(shape)) {
            throw new InvalidInputException(values.length + " values do not fill shape " + Arrays.toString(shape));
        }
        Tensor t = allocate(arena, shape);
        MemorySegment.copy(values, 0, t.segment, ELEMENT, 0, values.length);
        return t;
    }

    /**
     * A tensor of independent N(0, scale^2) values from a seeded generator (reproducible: the same
     * seed gives the same values).
     */
    public static Tensor gaussian(Arena arena, long seed, double scale, long... shape) {
        Tensor t = allocate(arena, shape);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (long i = 0; i < t.size; i++) {
            t.setFlat(i, scale * rng.nextGaussian());
        }
        return t;
    }

    /** The off-heap memory (native order doubles, C order). */
    public MemorySegment segment() {
        return segment;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public long size() {
        return size;
    }

    /** Same memory, another shape with the same number of elements. */
    public Tensor reshape(long... newShape) {
        if (elementCount(newShape) != size) {
            throw new InvalidInputException(
                    "cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(segment, newShape);
    }

    public double get(long... index) {
        return segment.getAtIndex(ELEMENT, offset(index));
    }

    public void set(double value, long... index) {
        segment.setAtIndex(ELEMENT, offset(index), value);
    }

    /** Element at a flat (C-order) index. */
    public double getFlat(long i) {
        return segment.getAtIndex(ELEMENT, i);
    }

    public void setFlat(long i, double value) {
        segment.setAtIndex(ELEMENT, i, value);
    }

    /** Copies the elements to a heap array (convenience at the edges; size must fit an array). */
    public double[] toArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + size + " elements does not fit a Java array");
        }
        if (size >= (1L << 24)) { // large copies onto the heap are checked against it
            Ntk4j.requireHeap((double) size * Double.BYTES, "a Java array of " + size + " values");
        }
        return segment.toArray(ELEMENT);
    }

    /** Copies this tensor's elements into {@code dst} (same element count). */
    public void copyTo(Tensor dst) {
        if (dst.size != size) {
            throw new InvalidInputException(
                    "cannot copy " + Arrays.toString(shape) + " into " + Arrays.toString(dst.shape));
        }
        MemorySegment.copy(segment, 0, dst.segment, 0, size * Double.BYTES);
    }

    /**
     * max|actual - reference| / max|reference| over all elements (the golden data's error measure);
     * NaN if either holds a NaN, infinity if the reference is zero and the tensors differ.
     */
    public static double relativeError(Tensor actual, Tensor reference) {
        if (actual.size != reference.size) {
            throw new InvalidInputException(
                    "cannot compare " + Arrays.toString(actual.shape) + " with " + Arrays.toString(reference.shape));
        }
        double diff = 0, scale = 0;
        for (long i = 0; i < actual.size; i++) {
            double r = reference.getFlat(i);
            double d = Math.abs(actual.getFlat(i) - r);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            diff = Math.max(diff, d);
            scale = Math.max(scale, Math.abs(r));
        }
        return scale == 0 ? (diff == 0 ? 0 : Double.POSITIVE_INFINITY) : diff / scale;
    }

    private long offset(long[] index) {
        if (index.length != shape.length) {
            throw new IndexOutOfBoundsException(
                    "index of rank " + index.length + " for tensor of shape " + Arrays.toString(shape));
        }
        long off = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException(
                        "index " + Arrays.toString(index) + " out of shape " + Arrays.toString(shape));
            }
            off += index[i] * strides[i];
        }
        return off;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
