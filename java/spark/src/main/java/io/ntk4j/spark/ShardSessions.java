package io.ntk4j.spark;

import io.ntk4j.Session;
import io.ntk4j.Tensor;
import java.lang.foreign.Arena;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions an executor holds: one per (distributed session, shard), opened on first use from
 * the shard's inputs and kept for the following applies (the trajectory is the expensive part). A
 * lost executor loses its sessions; the retried task opens them again from the shard, which gives
 * the same trajectory (the unroll is deterministic), so results stay exact.
 */
final class ShardSessions {
    private static final ConcurrentHashMap<String, Session> OPEN = new ConcurrentHashMap<>();

    private ShardSessions() {}

    static Session get(String id, Shard shard, ModelSpec spec) {
        ExecutorSetup.ensure();
        return OPEN.computeIfAbsent(id + "/" + shard.index(), k -> open(shard, spec));
    }

    private static Session open(Shard shard, ModelSpec spec) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.of(arena, shard.inputs(), shard.trials(), shard.steps(), shard.inputSize());
            return Session.open(spec.model(), x); // the inputs are read during the call, not retained
        }
    }

    /** Closes this executor's sessions of {@code id} (the others' are closed by their own executors). */
    static int release(String id) {
        int n = 0;
        for (var e : OPEN.entrySet()) {
            if (e.getKey().startsWith(id + "/") && OPEN.remove(e.getKey(), e.getValue())) {
                e.getValue().close();
                n++;
            }
        }
        return n;
    }

    /**
     * A test's stand-in for a lost executor: called with each shard before its part of an apply;
     * it may drop this JVM's sessions and throw, as a killed task would (null: none).
     */
    static volatile java.util.function.Consumer<Shard> fault;

    static void injectedFault(Shard shard) {
        java.util.function.Consumer<Shard> f = fault;
        if (f != null) {
            f.accept(shard);
        }
    }

    /** Drops every session of this JVM, as an executor's loss does (tests). */
    static void dropAll() {
        for (var e : OPEN.entrySet()) {
            if (OPEN.remove(e.getKey(), e.getValue())) {
                e.getValue().close();
            }
        }
    }

    /** How many sessions this JVM holds (tests). */
    static int count() {
        return OPEN.size();
    }
}
