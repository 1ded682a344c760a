package io.ntk4j.spark;

import io.ntk4j.LinearOperator;
import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;

/**
 * What one shard computes on its executor for {@link DistributedSession}'s applies, with
 * J_s = P_s J_theta,s its trials' part of P J_theta (DESIGN.md, "Operators").
 */
final class ShardOps {
    private ShardOps() {}

    static Shard withoutInputs(Shard s) {
        return new Shard(s.index(), s.first(), s.trials(), s.steps(), s.inputSize(), new double[0]);
    }

    /** J_s^T x_s for one shard: x [k, B T W] of the whole batch, the shard's rows read in place. */
    static double[] adjoint(Session s, Shard shard, double[] x, int k, int n, int p) {
        int len = Math.toIntExact(s.batch() * s.steps() * s.hiddenSize());
        long offset = (long) shard.first() * s.steps() * s.hiddenSize();
        double[] mine = new double[k * len];
        for (int i = 0; i < k; i++) {
            System.arraycopy(x, Math.toIntExact(i * (long) n + offset), mine, i * len, len);
        }
        try (Arena arena = Arena.ofConfined();
                LinearOperator j = s.P().compose(s.jtheta())) {
            Tensor z = Tensor.allocate(arena, k, p);
            j.applyAdjoint(Tensor.of(arena, mine, k, len), z);
            return z.toArray();
        }
    }

    /** P_s J_s a for one shard's session: a [k, n_params], the shard's rows [k, B_s T W] back. */
    static double[] forward(Session s, double[] a, int k, int p) {
        try (Arena arena = Arena.ofConfined();
                LinearOperator j = s.P().compose(s.jtheta())) {
            return j.apply(Tensor.of(arena, a, k, p), arena).toArray();
        }
    }

    /** J_s^T (J_s x) for one shard's session, J_s = P_s J_theta,s; x is [k, n_params]. */
    static double[] gram(Session s, double[] x, int k, int p) {
        try (Arena arena = Arena.ofConfined();
                LinearOperator j = s.P().compose(s.jtheta())) {
            Tensor in = Tensor.of(arena, x, k, p);
            Tensor y = j.apply(in, arena);
            Tensor z = Tensor.allocate(arena, k, p);
            j.applyAdjoint(y, z);
            return z.toArray();
        }
    }
}
