package io.ntk4j.training;

import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import io.ntk4j.NumericalException;
import io.ntk4j.Readout;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gradient-descent training of a recurrent model through its exact operators (DESIGN.md,
 * "Learning dynamics"): with e = dL/dh the explicit error, the gradient of the cell's parameters
 * is J_theta^T P* e (P* e is exactly BPTT's adjoint; no second BPTT is written), and the readout's
 * gradient is the usual outer product. Optimizers follow torch.optim exactly ({@link Optimizer}).
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
        if (loss == Loss.MSE) {
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

    /** Loss and gradients from a session of the current model on the inputs (one unroll serves both). */
    private Evaluation evaluate(Session s) {
        long b = inputs.dim(0), t = inputs.dim(1), h = model.hiddenSize(), n = b * t * h;
        try (Arena arena = Arena.ofConfined()) {
            Tensor hidden = s.hidden(arena);
            Tensor e = Tensor.allocate(arena, b, t, h);
            Map<String, double[]> grads = new LinkedHashMap<>();
            double value = 0;
            if (loss == Loss.STATE) {
                for (long i = 0; i < n; i++) {
                    double d = hidden.getFlat(i) - targets.getFlat(i);
                    value += 0.5 * d * d;
                    e.setFlat(i, d);
                }
            } else {
                int o = readout.outputSize();
                double[] w = readout.weight(), bias = readout.bias();
                double[] gw = new double[w.length], gb = new double[o];
                double scale = 2.0 / (b * t * o); // d mean((y - target)^2) / dy
                double[] dy = new double[o];
                for (long bt = 0; bt < b * t; bt++) {
                    for (int r = 0; r < o; r++) {
                        double y = bias[r];
                        for (long i = 0; i < h; i++) {
                            y += w[(int) (r * h + i)] * hidden.getFlat(bt * h + i);
                        }
                        double d = y - targets.getFlat(bt * o + r);
                        value += d * d / (b * t * o);
                        dy[r] = scale * d;
                        gb[r] += dy[r];
                    }
                    for (long i = 0; i < h; i++) {
                        double acc = 0, hi = hidden.getFlat(bt * h + i);
                        for (int r = 0; r < o; r++) {
                            acc += dy[r] * w[(int) (r * h + i)];
                            gw[(int) (r * h + i)] += dy[r] * hi;
                        }
                        e.setFlat(bt * h + i, acc); // e = W_out^T dL/dy
                    }
                }
                grads.put("readout_weight", gw);
                grads.put("readout_bias", gb);
            }
            if (!Double.isFinite(value)) {
                throw new NumericalException("the loss is not finite (" + value + "): training diverged", 0);
            }
            // dL/dtheta = J_theta^T P* e (DESIGN.md): the exact adjoint, no separate BPTT.
            Tensor g = s.jthetaT().apply(s.Pt().apply(e, arena), arena);
            int off = 0;
            for (String name : model.parameterNames()) {
                int len = model.parameter(name).length;
                double[] part = new double[len];
                for (int i = 0; i < len; i++) {
                    part[i] = g.getFlat(off + i);
                }
                grads.put(name, part);
                off += len;
            }
            return new Evaluation(value, grads);
        }
    }

    /** One optimizer step on the trained parameters; returns the loss before the step. */
    public double step() {
        Evaluation ev;
        try (Session s = Session.open(model, inputs)) {
            ev = evaluate(s);
            losses.add(ev.loss());
            if (naturalGradient != null) {
                // (U Lambda U^T + rho I)^-1 g over all cell parameters, then split back by name.
                double[] pre = naturalGradient.precondition(s, ev.cellGradient(model));
                Map<String, double[]> grads = new LinkedHashMap<>(ev.gradients());
                int o = 0;
                for (String name : model.parameterNames()) {
                    int len = grads.get(name).length;
                    grads.put(name, Arrays.copyOfRange(pre, o, o + len));
                    o += len;
                }
                ev = new Evaluation(ev.loss(), grads);
            }
        }
        // Flatten the trained parameters in a fixed order, step, and write them back.
        List<String> names = new ArrayList<>();
        for (String name : model.parameterNames()) {
            if (trained.contains(name)) {
                names.add(name);
            }
        }
        if (trained.contains("readout")) {
            names.add("readout_weight");
            names.add("readout_bias");
        }
        Map<String, double[]> current = new LinkedHashMap<>();
        int total = 0;
        for (String name : names) {
            double[] v = switch (name) {
                case "readout_weight" -> readout.weight();
                case "readout_bias" -> readout.bias();
                default -> model.parameter(name);
            };
            current.put(name, v);
            total += v.length;
        }
        double[] theta = new double[total], grad = new double[total];
        int off = 0;
        for (String name : names) {
            double[] v = current.get(name), gv = ev.gradients().get(name);
            System.arraycopy(v, 0, theta, off, v.length);
            System.arraycopy(gv, 0, grad, off, gv.length);
            off += v.length;
        }
        optimizer.step(theta, grad);
        for (double x : theta) {
            if (!Double.isFinite(x)) {
                throw new NumericalException(
                        "a parameter became non-finite: training diverged (last good parameters kept)", 0);
            }
        }
        off = 0;
        Map<String, double[]> params = new LinkedHashMap<>();
        for (String name : model.parameterNames()) {
            params.put(name, model.parameter(name));
        }
        double[] rw = readout == null ? null : readout.weight(), rb = readout == null ? null : readout.bias();
        for (String name : names) {
            double[] v = Arrays.copyOfRange(theta, off, off + current.get(name).length);
            off += v.length;
            switch (name) {
                case "readout_weight" -> rw = v;
                case "readout_bias" -> rb = v;
                default -> params.put(name, v);
            }
        }
        model = model.withParameters(params);
        if (readout != null) {
            readout = new Readout(readout.outputSize(), readout.hiddenSize(), rw, rb);
        }
        return ev.loss();
    }

    /** The loss at the current parameters (records it as the loss after the last step). */
    public double finish() {
        double value = evaluate().loss();
        losses.add(value);
        return value;
    }
}
