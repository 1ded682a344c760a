package io.ntk4j.training;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NativeLibrary;
import io.ntk4j.NumericalException;
import io.ntk4j.Readout;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import io.ntk4j.internal.ffi.Ntk4jNative;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gradient-descent training of a model through its exact operators (DESIGN.md, "Learning
 * dynamics"): with e = dL/dz the explicit error on the state, the gradient of the model's
 * parameters is J_theta^T P* e (P* e is exactly BPTT's adjoint, or backpropagation through the
 * attention block's stack; no second backward pass is written), and a recurrent model's readout
 * gradient is the usual outer product. attention_mlp trains on its own output y (the state's last
 * block) with the mse loss and has no separate readout. Optimizers follow torch.optim exactly ({@link Optimizer}).
 *
 * {@snippet :
 * Trainer tr = new Trainer(model, readout, inputs, targets, Loss.MSE,
 *     new Optimizer(Optimizer.Kind.ADAM, 0.01, 0), Set.of("weight_hh", "readout"));
 * for (int s = 0; s < 100; s++) {
 *   tr.step();
 * }
 * Model trained = tr.model();
 * }
 */
public final class Trainer {
    /** Loss, and gradients by parameter name (PyTorch names plus readout_weight, readout_bias). */
    public record Evaluation(double loss, Map<String, double[]> gradients) {
        /** The cell parameters' gradient as one flat vector in {@code model}'s (PyTorch) order. */
        public double[] cellGradient(Model model) {
            double[] flat = new double[Math.toIntExact(model.numParams())];
            int o = 0;
            for (String name : model.parameterNames()) {
                double[] gv = gradients.get(name);
                System.arraycopy(gv, 0, flat, o, gv.length);
                o += gv.length;
            }
            return flat;
        }
    }

    private Model model;
    private Readout readout;
    private final Tensor inputs;
    private final Tensor targets;
    private final Loss loss;
    private final Optimizer optimizer;
    private final Set<String> trained;
    private final List<Double> losses = new ArrayList<>();
    private NaturalGradient naturalGradient;
    /** The trained parameters in the optimizer's order: the cell's (model order), then the readout's. */
    private final List<String> stepped = new ArrayList<>();
    /** Their current values, flat in that order (the optimizer's vector; kept between steps). */
    private double[] theta;

    /**
     * @param readout required for {@link Loss#MSE}, ignored (may be null) for {@link Loss#STATE}
     * @param trained names to update: any of weight_ih, weight_hh, bias_ih, bias_hh, readout
     */
    public Trainer(
            Model model,
            Readout readout,
            Tensor inputs,
            Tensor targets,
            Loss loss,
            Optimizer optimizer,
            Set<String> trained) {
        this.model = model;
        this.readout = readout;
        this.inputs = inputs;
        this.targets = targets;
        this.loss = loss;
        this.optimizer = optimizer;
        this.trained = Set.copyOf(trained);
        long b = inputs.dim(0), t = inputs.dim(1);
        io.ntk4j.AttentionMlpConfig attention = model.attentionConfig();
        if (attention != null) {
            // The block's output y is part of its state (its own final linear layer is the readout).
            if (loss != Loss.MSE) {
                throw new InvalidInputException("attention_mlp trains on its output y with the mse loss; the state "
                        + "loss applies to recurrent cells (their hidden state h)");
            }
            if (readout != null) {
                throw new InvalidInputException(
                        "attention_mlp has its output layer inside (mlp.final_linear): " + "no separate readout");
            }
            expectShape(targets, new long[] {b, t, attention.dOutput()}, "targets [B, T, d_output]");
        } else if (loss == Loss.MSE) {
            if (readout == null) {
                throw new InvalidInputException("the mse loss needs a readout (readout_weight.npy, readout_bias.npy)");
            }
            if (readout.hiddenSize() != model.hiddenSize()) {
                throw new InvalidInputException(
                        "readout has H=" + readout.hiddenSize() + " but the model " + model.hiddenSize());
            }
            expectShape(targets, new long[] {b, t, readout.outputSize()}, "targets [B, T, O]");
        } else {
            expectShape(targets, new long[] {b, t, model.hiddenSize()}, "targets [B, T, H]");
        }
        for (String name : trained) {
            if (!name.equals("readout") && !model.parameterNames().contains(name)) {
                throw new InvalidInputException("cannot train \"" + name + "\": the model has " + model.parameterNames()
                        + (loss == Loss.MSE ? " and readout" : ""));
            }
            if (name.equals("readout") && attention != null) {
                throw new InvalidInputException("cannot train \"readout\": attention_mlp's output layer is "
                        + "mlp.final_linear.weight, one of its own parameters");
            }
            if (name.equals("readout") && loss != Loss.MSE) {
                throw new InvalidInputException(
                        "cannot train the readout with the state loss (it does not enter the loss)");
            }
        }
        if (trained.isEmpty()) {
            throw new InvalidInputException("nothing to train: name at least one of " + model.parameterNames());
        }
        for (long i = 0; i < targets.size(); i++) {
            if (!Double.isFinite(targets.getFlat(i))) {
                throw new InvalidInputException("targets contain a non-finite value at flat index " + i);
            }
        }
        for (String name : model.parameterNames()) {
            if (trained.contains(name)) {
                stepped.add(name);
            }
        }
        if (trained.contains("readout")) {
            stepped.add("readout_weight");
            stepped.add("readout_bias");
        }
        theta = flatten(model, readout);
    }

    private static void expectShape(Tensor t, long[] want, String what) {
        if (!Arrays.equals(t.shape(), want)) {
            throw new InvalidInputException(
                    what + " must have shape " + Arrays.toString(want) + ", got " + Arrays.toString(t.shape()));
        }
    }

    /**
     * Preconditions the cell parameters' gradient with the low-rank natural gradient before the
     * optimizer sees it (the readout's gradient is left as is). Returns this trainer.
     */
    public Trainer withNaturalGradient(NaturalGradient ng) {
        this.naturalGradient = ng;
        return this;
    }

    public Model model() {
        return model;
    }

    public Readout readout() {
        return readout;
    }

    /** The loss before each step taken so far (and after the last, once {@link #evaluate} ran). */
    public List<Double> losses() {
        return List.copyOf(losses);
    }

    /** Loss and gradients at the current parameters. */
    public Evaluation evaluate() {
        try (Session s = Session.open(model, inputs)) {
            return evaluate(s);
        }
    }

    /** The loss and its gradients in flat form: the cell's in model order, the readout's (MSE only). */
    private record Gradient(double loss, double[] cell, double[] readoutWeight, double[] readoutBias) {}

    /** Loss and gradients by name (the public form of {@link #gradient}). */
    private Evaluation evaluate(Session s) {
        Gradient g = gradient(s);
        Map<String, double[]> grads = new LinkedHashMap<>();
        if (g.readoutWeight() != null) {
            grads.put("readout_weight", g.readoutWeight());
            grads.put("readout_bias", g.readoutBias());
        }
        int off = 0;
        for (String name : model.parameterNames()) {
            int len = model.parameterSize(name);
            grads.put(name, Arrays.copyOfRange(g.cell(), off, off + len));
            off += len;
        }
        return new Evaluation(g.loss(), grads);
    }

    /** Loss and gradients from a session of the current model on the inputs (one unroll serves both). */
    private Gradient gradient(Session s) {
        long b = inputs.dim(0), t = inputs.dim(1), sw = s.hiddenSize();
        // The slice of each step's state the loss sees: h for a recurrent cell (an LSTM's state is
        // [h; c]: its first H entries), the output block y for attention_mlp (DESIGN.md, "Feed-forward
        // blocks"). The error signal is zero outside it.
        io.ntk4j.AttentionMlpConfig attention = model.attentionConfig();
        long at = attention != null ? attention.outputOffset() : 0;
        long h = attention != null ? attention.dOutput() : model.hiddenSize(), n = b * t * h;
        try (Arena arena = Arena.ofConfined()) {
            Tensor state = s.hidden(arena);
            Tensor observed = sw == h ? state : copySteps(state, at, Tensor.allocate(arena, b, t, h), 0, h);
            Tensor e = Tensor.allocate(arena, b, t, h);
            double[] rw = null, rb = null;
            double value = 0;
            if (loss == Loss.STATE) {
                for (long i = 0; i < n; i++) {
                    double d = observed.getFlat(i) - targets.getFlat(i);
                    value += 0.5 * d * d;
                    e.setFlat(i, d);
                }
            } else if (attention != null) {
                // torch's MSELoss on y itself: mean over B*T*O, so e = 2 (y - target) / (B*T*O).
                for (long i = 0; i < n; i++) {
                    double d = observed.getFlat(i) - targets.getFlat(i);
                    value += d * d;
                    e.setFlat(i, 2 * d / n);
                }
                value /= n;
            } else {
                // The loss, e = W_out^T dL/dy and the readout's gradients as three GEMMs, natively.
                int o = readout.outputSize();
                MemorySegment gw = arena.allocate(ValueLayout.JAVA_DOUBLE, (long) o * h);
                MemorySegment gbs = arena.allocate(ValueLayout.JAVA_DOUBLE, o);
                MemorySegment lossOut = arena.allocate(ValueLayout.JAVA_DOUBLE);
                NativeLibrary.check(
                        Ntk4jNative.ntk4j_readout_mse(
                                observed.segment(),
                                b * t,
                                h,
                                arena.allocateFrom(ValueLayout.JAVA_DOUBLE, readout.weight()),
                                arena.allocateFrom(ValueLayout.JAVA_DOUBLE, readout.bias()),
                                o,
                                targets.segment(),
                                lossOut,
                                e.segment(),
                                gw,
                                gbs),
                        "readout loss");
                value = lossOut.get(ValueLayout.JAVA_DOUBLE, 0);
                rw = gw.toArray(ValueLayout.JAVA_DOUBLE);
                rb = gbs.toArray(ValueLayout.JAVA_DOUBLE);
            }
            if (!Double.isFinite(value)) {
                throw new NumericalException("the loss is not finite (" + value + "): training diverged", 0);
            }
            // dL/dtheta = J_theta^T P* e (DESIGN.md): the exact adjoint, no separate BPTT.
            Tensor es = sw == h ? e : copySteps(e, 0, Tensor.allocate(arena, b, t, sw), at, h);
            Tensor g = s.jthetaT().apply(s.Pt().apply(es, arena), arena);
            return new Gradient(value, g.segment().toArray(ValueLayout.JAVA_DOUBLE), rw, rb);
        }
    }

    /**
     * Copies {@code width} entries of each of the B*T steps, from offset {@code from} of {@code
     * src}'s rows to offset {@code to} of {@code dst}'s (the rest of {@code dst} stays as it is).
     */
    private static Tensor copySteps(Tensor src, long from, Tensor dst, long to, long width) {
        long rows = src.dim(0) * src.dim(1), ws = src.dim(2) * Double.BYTES, wd = dst.dim(2) * Double.BYTES;
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(
                    src.segment(),
                    r * ws + from * Double.BYTES,
                    dst.segment(),
                    r * wd + to * Double.BYTES,
                    width * Double.BYTES);
        }
        return dst;
    }

    /** One optimizer step on the trained parameters; returns the loss before the step. */
    public double step() {
        Gradient g;
        double[] cell;
        try (Session s = Session.open(model, inputs)) {
            g = gradient(s);
            losses.add(g.loss());
            // (U Lambda U^T + rho I)^-1 g over all cell parameters.
            cell = naturalGradient != null ? naturalGradient.precondition(s, g.cell()) : g.cell();
        }
        // The trained parameters' gradient in the optimizer's order, then one step on a copy of
        // theta, so that a diverged step keeps the last good parameters.
        double[] grad = new double[theta.length];
        int off = 0;
        for (String name : stepped) {
            double[] part = switch (name) {
                case "readout_weight" -> g.readoutWeight();
                case "readout_bias" -> g.readoutBias();
                default -> null;
            };
            int len = part != null ? part.length : model.parameterSize(name);
            if (part != null) {
                System.arraycopy(part, 0, grad, off, len);
            } else {
                System.arraycopy(cell, model.parameterOffset(name), grad, off, len);
            }
            off += len;
        }
        double[] next = theta.clone();
        optimizer.step(next, grad);
        for (double x : next) {
            if (!Double.isFinite(x)) {
                throw new NumericalException(
                        "a parameter became non-finite: training diverged (last good parameters kept)", 0);
            }
        }
        theta = next;
        Map<String, double[]> params = new LinkedHashMap<>();
        double[] rw = null, rb = null;
        off = 0;
        for (String name : model.parameterNames()) {
            params.put(name, stepped.contains(name) ? null : model.parameter(name));
        }
        for (String name : stepped) {
            int len = switch (name) {
                case "readout_weight" -> readout.outputSize() * readout.hiddenSize();
                case "readout_bias" -> readout.outputSize();
                default -> model.parameterSize(name);
            };
            double[] v = Arrays.copyOfRange(theta, off, off + len);
            off += len;
            switch (name) {
                case "readout_weight" -> rw = v;
                case "readout_bias" -> rb = v;
                default -> params.put(name, v);
            }
        }
        model = model.withParameters(params);
        if (rw != null) {
            readout = new Readout(readout.outputSize(), readout.hiddenSize(), rw, rb);
        }
        return g.loss();
    }

    /** The trained parameters' current values, flat in {@link #stepped} order. */
    private double[] flatten(Model m, Readout r) {
        int total = 0;
        List<double[]> parts = new ArrayList<>();
        for (String name : stepped) {
            double[] v = switch (name) {
                case "readout_weight" -> r.weight();
                case "readout_bias" -> r.bias();
                default -> m.parameter(name);
            };
            parts.add(v);
            total += v.length;
        }
        double[] out = new double[total];
        int off = 0;
        for (double[] v : parts) {
            System.arraycopy(v, 0, out, off, v.length);
            off += v.length;
        }
        return out;
    }

    /** The optimizer this trainer steps (its state goes into checkpoints). */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Continues a run from a checkpoint: {@code lossesSoFar} are the losses of the steps already
     * taken (the model, readout and optimizer state are the checkpoint's, given to the constructor
     * and {@link Optimizer#restore}). Returns this trainer.
     */
    public Trainer resumedAfter(List<Double> lossesSoFar) {
        if (!losses.isEmpty()) {
            throw new IllegalStateException("resumedAfter must come before the first step");
        }
        losses.addAll(lossesSoFar);
        return this;
    }

    /** The loss at the current parameters (records it as the loss after the last step). */
    public double finish() {
        double value = evaluate().loss();
        losses.add(value);
        return value;
    }
}
