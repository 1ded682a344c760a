package io.ntk4j.spark;

import io.ntk4j.CellKind;
import io.ntk4j.InvalidInputException;
import io.ntk4j.Model;
import java.io.Serial;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A recurrent model in the form Spark ships to executors: the cell, its sizes and its parameters
 * by PyTorch name. {@link #model()} rebuilds the same {@link Model} (checked like {@link Model#of}).
 */
record ModelSpec(
        String cell, int hidden, int input, double dt, boolean bias, LinkedHashMap<String, double[]> parameters)
        implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    static ModelSpec of(Model m) {
        if (m.attentionConfig() != null) {
            throw new InvalidInputException("the batch-sharded NTK_S covers recurrent cells; attention_mlp is not "
                    + "sharded (its trials are coupled only through its parameters too, but it is not built yet)");
        }
        LinkedHashMap<String, double[]> p = new LinkedHashMap<>();
        for (String name : m.parameterNames()) {
            p.put(name, m.parameter(name));
        }
        return new ModelSpec(m.cell().id(), m.hiddenSize(), m.inputSize(), m.dt(), m.bias(), p);
    }

    Model model() {
        return Model.of(CellKind.fromId(cell), hidden, input, dt, bias, Map.copyOf(parameters));
    }
}
