package io.ntk4j;

import io.ntk4j.internal.ffi.Ntk4jNative;
import io.ntk4j.internal.ffi.ntk4j_attention_mlp_config;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The native model handle of a {@link Model}, freed when {@code arena} closes. */
public final class NativeModel {
    private NativeModel() {}

    public static MemorySegment create(Model model, Arena arena) {
        NativeLibrary.ensureLoaded();
        if (model.attentionConfig() != null) {
            return createAttention(model, arena);
        }
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

    private static MemorySegment createAttention(Model model, Arena arena) {
        AttentionMlpConfig c = model.attentionConfig();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment cfg = ntk4j_attention_mlp_config.allocate(tmp);
            ntk4j_attention_mlp_config.d_input(cfg, c.dInput());
            ntk4j_attention_mlp_config.d_model(cfg, c.dModel());
            ntk4j_attention_mlp_config.heads(cfg, c.heads());
            ntk4j_attention_mlp_config.mlp_hidden(cfg, c.mlpHidden());
            ntk4j_attention_mlp_config.mlp_layers(cfg, c.mlpLayers());
            ntk4j_attention_mlp_config.d_output(cfg, c.dOutput());
            ntk4j_attention_mlp_config.max_seq_len(cfg, c.maxSeqLen());
            ntk4j_attention_mlp_config.positional(cfg, c.positional() ? 1 : 0);
            ntk4j_attention_mlp_config.causal(cfg, c.causal() ? 1 : 0);
            double[] theta = model.parameterVector();
            MemorySegment params = tmp.allocateFrom(ValueLayout.JAVA_DOUBLE, theta);
            MemorySegment out = tmp.allocate(ValueLayout.ADDRESS);
            NativeLibrary.check(
                    Ntk4jNative.ntk4j_attention_mlp_create(cfg, params, theta.length, out), "attention_mlp model");
            return out.get(ValueLayout.ADDRESS, 0).reinterpret(arena, Ntk4jNative::ntk4j_model_destroy);
        }
    }
}
