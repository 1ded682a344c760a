package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The native model handle of a {@link Model}, freed when {@code arena} closes. */
public final class NativeModel {
    private NativeModel() {}

    public static MemorySegment create(Model model, Arena arena) {
        NativeLibrary.ensureLoaded();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment out = tmp.allocate(ValueLayout.ADDRESS);
            MemorySegment wih = tmp.allocateFrom(ValueLayout.JAVA_DOUBLE, model.parameter("weight_ih"));
            MemorySegment whh = tmp.allocateFrom(ValueLayout.JAVA_DOUBLE, model.parameter("weight_hh"));
            MemorySegment bih = model.bias()
                    ? tmp.allocateFrom(ValueLayout.JAVA_DOUBLE, model.parameter("bias_ih"))
                    : MemorySegment.NULL;
            MemorySegment bhh = model.bias()
                    ? tmp.allocateFrom(ValueLayout.JAVA_DOUBLE, model.parameter("bias_hh"))
                    : MemorySegment.NULL;
            NativeLibrary.check(
                    Ntk4jNative.ntk4j_model_create(
                            model.cell().code(),
                            model.hiddenSize(),
                            model.inputSize(),
                            model.dt(),
                            model.bias() ? 1 : 0,
                            wih,
                            whh,
                            bih,
                            bhh,
                            out),
                    "model");
            return out.get(ValueLayout.ADDRESS, 0).reinterpret(arena, Ntk4jNative::ntk4j_model_destroy);
        }
    }
}
