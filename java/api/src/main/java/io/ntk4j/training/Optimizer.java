package io.ntk4j.training;

import io.ntk4j.InvalidInputException;

/**
 * torch.optim's update rules on a flat parameter vector, exactly:
 * <ul>
 *   <li>SGD: theta -= lr g;</li>
 *   <li>SGD with momentum mu: v = g on the first step, then v = mu v + g; theta -= lr v;</li>
 *   <li>Adam (betas 0.9, 0.999, eps 1e-8): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 *       theta -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).</li>
 * </ul>
 *
 * {@snippet :
 * Optimizer adam = new Optimizer(Optimizer.Kind.ADAM, 1e-3, 0);
 * double[] theta = {1, 2}, grad = {0.5, -0.5};
 * adam.step(theta, grad);   // theta is updated in place, as torch.optim.Adam would
 * }
 */
public final class Optimizer {
    /** The optimizer kinds and their command-line names. */
    public enum Kind {
        SGD("sgd"),
        SGD_MOMENTUM("sgd_momentum"),
        ADAM("adam");

        private final String id;

        Kind(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Kind fromId(String id) {
            for (Kind k : values()) {
                if (k.id.equals(id)) {
                    return k;
                }
            }
            throw new InvalidInputException("unknown optimizer \"" + id + "\" (supported: sgd, sgd_momentum, adam)");
        }
    }

    private static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

    private final Kind kind;
    private final double lr;
    private final double momentum;
    private double[] m;
    private double[] v;
    private long t;

    public Optimizer(Kind kind, double lr, double momentum) {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new InvalidInputException("learning rate must be a finite number > 0, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new InvalidInputException("momentum must be in [0, 1), got " + momentum);
        }
        this.kind = kind;
        this.lr = lr;
        this.momentum = momentum;
    }

    public Kind kind() {
        return kind;
    }

    public double lr() {
        return lr;
    }

    public double momentum() {
        return momentum;
    }

    /**
     * The optimizer's state after {@code step} updates: the first and second moments (null before
     * the first step; {@code v} is unused by SGD with momentum), enough to continue a run exactly.
     */
    public record State(long step, double[] m, double[] v) {}

    /** A copy of the current state (for a checkpoint). */
    public State state() {
        return new State(t, m == null ? null : m.clone(), v == null ? null : v.clone());
    }

    /** Continues from {@code s} (a checkpoint's state), as if its steps had been taken here. */
    public void restore(State s) {
        if (s.step() < 0
                || (s.step() > 0) != (s.m() != null)
                || (s.m() == null) != (s.v() == null)
                || (s.m() != null && s.m().length != s.v().length)) {
            throw new InvalidInputException("inconsistent optimizer state: step " + s.step() + " with moments of "
                    + (s.m() == null ? "none" : s.m().length + " and " + s.v().length) + " values");
        }
        t = s.step();
        m = s.m() == null ? null : s.m().clone();
        v = s.v() == null ? null : s.v().clone();
    }

    /** Updates {@code theta} in place from the gradient {@code g} (same length every call). */
    public void step(double[] theta, double[] g) {
        if (m != null && m.length != theta.length) {
            throw new InvalidInputException("the optimizer's state has " + m.length + " values but the parameters "
                    + theta.length + " (a checkpoint of another run?)");
        }
        if (m == null) {
            m = new double[theta.length];
            v = new double[theta.length];
        }
        t++;
        switch (kind) {
            case SGD -> {
                for (int i = 0; i < theta.length; i++) {
                    theta[i] -= lr * g[i];
                }
            }
            case SGD_MOMENTUM -> {
                for (int i = 0; i < theta.length; i++) {
                    m[i] = t == 1 ? g[i] : momentum * m[i] + g[i];
                    theta[i] -= lr * m[i];
                }
            }
            case ADAM -> {
                double bc1 = 1 - Math.pow(BETA1, t), bc2 = 1 - Math.pow(BETA2, t);
                double stepSize = lr / bc1, sqrtBc2 = Math.sqrt(bc2);
                for (int i = 0; i < theta.length; i++) {
                    m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
                    v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
                    theta[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / sqrtBc2 + EPS);
                }
            }
        }
    }
}
