package io.ntk4j;

import static io.ntk4j.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The native side writes straight into the caller's MemorySegment, with no heap copy. */
class ZeroCopyTest {
    static final int B = 8, T = 50, H = 32, N = 3, K = 8;
    static final double SENTINEL = -12345.678;

    @Test
    void resultLandsInTheCallersSegmentAndNowhereElse() {
        try (Arena arena = Arena.ofConfined();
                Session s =
                        Session.open(RandomModels.model(CellKind.GRU, true, H, N, 1), gaussian(arena, 2, B, T, N))) {
            Tensor q = gaussian(arena, 3, K, B, T, H);
            long n = q.size(), pad = 16;
            // The output is a window inside a larger caller-owned segment, fenced by sentinels.
            MemorySegment whole = arena.allocate((n + 2 * pad) * Double.BYTES, Double.BYTES);
            for (long i = 0; i < n + 2 * pad; i++) {
                whole.setAtIndex(Tensor.ELEMENT, i, SENTINEL);
            }
            MemorySegment window = whole.asSlice(pad * Double.BYTES, n * Double.BYTES);
            Tensor out = Tensor.wrap(window, K, B, T, H);
            s.ntk().apply(q, out);

            Tensor reference = s.ntk().apply(q, arena); // separately allocated output
            // Read the result back through a raw view of the caller's address: it is there.
            MemorySegment raw = MemorySegment.ofAddress(window.address()).reinterpret(n * Double.BYTES);
            for (long i = 0; i < n; i++) {
                assertThat(raw.getAtIndex(Tensor.ELEMENT, i)).isEqualTo(reference.getFlat(i));
            }
            for (long i = 0; i < pad; i++) {
                assertThat(whole.getAtIndex(Tensor.ELEMENT, i)).isEqualTo(SENTINEL);
                assertThat(whole.getAtIndex(Tensor.ELEMENT, n + pad + i)).isEqualTo(SENTINEL);
            }
        }
    }

    @Test
    void applyDoesNotCopyBlocksThroughTheHeap() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined();
                Session s = Session.open(
                        RandomModels.model(CellKind.RNN_LEAKY, false, H, N, 4), gaussian(arena, 5, B, T, N))) {
            Tensor q = gaussian(arena, 6, K, B, T, H);
            Tensor out = Tensor.allocate(arena, q.shape());
            for (int i = 0; i < 50; i++) {
                s.ntk().apply(q, out); // warm up (class init, JIT)
            }
            long blockBytes = q.size() * Double.BYTES; // 819,200 bytes in and again out
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10; i++) {
                s.ntk().apply(q, out);
            }
            long perCall = (threads.getCurrentThreadAllocatedBytes() - before) / 10;
            // A heap copy of either block would allocate at least blockBytes per call.
            assertThat(perCall).as("Java heap bytes allocated per apply").isLessThan(blockBytes / 100);
        }
    }
}
