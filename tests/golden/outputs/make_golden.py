#!/usr/bin/python3
"""Golden data of the output NTK and the cross kernels (issue 15), from PyTorch itself.

Runs outside CI (Debian's python3-torch, 1.13); its output is committed:

    /usr/bin/python3 tests/golden/outputs/make_golden.py

Each case is a torch module (nn.RNNCell + nn.Linear readout, nn.LSTMCell + nn.Linear readout, and
the attention_mlp block of tests/golden/blocks) in float64, unrolled on two input batches x1
(inputs.npy) and x2 (inputs_b.npy), h0 = 0. torch.autograd.functional.jacobian gives the Jacobian
of the outputs y [B, T, O] with respect to every parameter (the cell's, then the readout's
weight and bias) and of the state z [B, T, S] (an LSTM's [h; c] per step, the block's stack)
with respect to the model's own parameters; then

    NTK_y_dense        = J_y(x1) J_y(x1)^T          [B1 T1 O, B1 T1 O]
    cross_y_dense      = J_y(x1) J_y(x2)^T          [B1 T1 O, B2 T2 O]
    cross_state_dense  = J_z(x1) J_z(x2)^T          [B1 T1 S, B2 T2 S]
    eig_NTK_y          = eigenvalues of NTK_y_dense, descending

The model files are a model directory (model.json, one .npy per parameter, readout_*.npy).
"""
import importlib.util
import json
import pathlib
import sys

import numpy as np
import torch
from torch.nn.utils.stateless import functional_call

torch.set_default_dtype(torch.float64)
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cells"))  # the blocks' generator imports the cells' helpers
_spec = importlib.util.spec_from_file_location("blocks_golden", HERE.parent / "blocks" / "make_golden.py")
blocks = importlib.util.module_from_spec(_spec)  # the attention block's modules and forward pass
_spec.loader.exec_module(blocks)

CASES = [
    dict(name="elman_readout", cell="rnn_elman", H=4, N=2, O=2, B=3, T=5, B2=2, T2=4, seed=1501, gain=1.2),
    dict(name="lstm_readout", cell="lstm", H=3, N=2, O=2, B=2, T=4, B2=3, T2=3, seed=1502, gain=1.2),
]
ATTENTION = dict(name="attention_mlp", B=2, T=4, B2=3, T2=3, d_input=2, d_model=4, heads=2, mlp_hidden=3,
                 mlp_layers=2, d_output=2, max_seq_len=5, positional=True, causal=False, seed=1503)


class Recurrent(torch.nn.Module):
    """A torch cell unrolled from h0 = 0, with a linear readout of h; returns (state, y)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        cls = torch.nn.LSTMCell if c["cell"] == "lstm" else torch.nn.RNNCell
        self.cell = cls(c["N"], c["H"])
        self.readout = torch.nn.Linear(c["H"], c["O"])

    def forward(self, x):
        B, T, _ = x.shape
        h = torch.zeros(B, self.c["H"])
        cc = torch.zeros(B, self.c["H"])
        states = []
        for t in range(T):
            if self.c["cell"] == "lstm":
                h, cc = self.cell(x[:, t], (h, cc))
                states.append(torch.cat([h, cc], dim=-1))
            else:
                h = self.cell(x[:, t], h)
                states.append(h)
        z = torch.stack(states, dim=1)
        return z, self.readout(z[..., :self.c["H"]])


def jacobians(module, names, x, which):
    """d(state or y)/d(params named), flattened: rows over the output, columns over the parameters."""
    params = dict(module.named_parameters())
    shapes = [params[n].shape for n in names]
    theta = torch.cat([params[n].detach().reshape(-1) for n in names])

    def f(th):
        p, at = dict(params), 0
        for n, s in zip(names, shapes):
            size = int(np.prod(s))
            p[n] = th[at:at + size].reshape(s)
            at += size
        return which(functional_call(module, p, (x,))).reshape(-1)

    return torch.autograd.functional.jacobian(f, theta).numpy()


def save(out, c, jz, jy, x1, x2, model):
    """The kernels from the state and output Jacobians at x1 and x2 (jz, jy: pairs)."""
    ntk_y = jy[0] @ jy[0].T
    arrays = {"inputs": x1.numpy(), "inputs_b": x2.numpy(), "NTK_y_dense": ntk_y, "cross_y_dense": jy[0] @ jy[1].T,
              "cross_state_dense": jz[0] @ jz[1].T, "eig_NTK_y": np.sort(np.linalg.eigvalsh(ntk_y))[::-1].copy()}
    for k, v in arrays.items():
        np.save(out / (k + ".npy"), np.ascontiguousarray(v, dtype="<f8"))
    (out / "model.json").write_text(json.dumps(model, indent=1) + "\n")
    print(c["name"], "NTK_y top", arrays["eig_NTK_y"][:3])


def make_recurrent(c):
    torch.manual_seed(c["seed"])
    module = Recurrent(c)
    with torch.no_grad():  # a recurrence with some memory (torch's default init is contracting)
        module.cell.weight_hh.copy_(c["gain"] * torch.randn_like(module.cell.weight_hh) / np.sqrt(c["H"]))
    rng = np.random.default_rng(c["seed"])
    x1 = torch.tensor(rng.standard_normal((c["B"], c["T"], c["N"])))
    x2 = torch.tensor(rng.standard_normal((c["B2"], c["T2"], c["N"])))
    out = HERE / c["name"]
    out.mkdir(parents=True, exist_ok=True)
    cell_names = ["cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh"]
    for n in cell_names:
        np.save(out / (n.split(".")[1] + ".npy"), module.get_parameter(n).detach().numpy().astype("<f8"))
    np.save(out / "readout_weight.npy", module.readout.weight.detach().numpy().astype("<f8"))
    np.save(out / "readout_bias.npy", module.readout.bias.detach().numpy().astype("<f8"))
    model = {"name": c["name"], "cell": c["cell"], "hidden_size": c["H"], "input_size": c["N"], "dt": None,
             "bias": True, "h0": "zeros", "output_size": c["O"], "torch_module": type(module.cell).__name__
             + " unrolled from h0 = 0, readout nn.Linear(H, O) of h", "seed": c["seed"], "torch": torch.__version__,
             "parameters_of_J_y": "weight_ih, weight_hh, bias_ih, bias_hh, readout_weight, readout_bias"}
    all_names = cell_names + ["readout.weight", "readout.bias"]
    save(out, c, [jacobians(module, cell_names, x, lambda r: r[0]) for x in (x1, x2)],
         [jacobians(module, all_names, x, lambda r: r[1]) for x in (x1, x2)], x1, x2, model)


def make_attention(c):
    torch.manual_seed(c["seed"])
    module = blocks.Block(c)
    specs = blocks.named(module)
    rng = np.random.default_rng(c["seed"])
    x1 = torch.tensor(rng.standard_normal((c["B"], c["T"], c["d_input"])))
    x2 = torch.tensor(rng.standard_normal((c["B2"], c["T2"], c["d_input"])))
    out = HERE / c["name"]
    out.mkdir(parents=True, exist_ok=True)
    for n, t in module.named_parameters():
        np.save(out / (n + ".npy"), t.detach().numpy().astype("<f8"))
    keys = ("d_input", "d_model", "heads", "mlp_hidden", "mlp_layers", "d_output", "max_seq_len", "positional",
            "causal")
    model = {"name": c["name"], "cell": "attention_mlp", "attention_mlp": {k: c[k] for k in keys},
             "seed": c["seed"], "torch": torch.__version__}
    theta = torch.cat([t.detach().reshape(-1) for _, t in module.named_parameters()])
    O = c["d_output"]

    def jac(x, which):  # the block's own forward pass on unflattened parameters, as blocks/ does
        f = lambda th: which(blocks.forward(c, blocks.unflatten(specs, th), x)).reshape(-1)  # noqa: E731
        return torch.autograd.functional.jacobian(f, theta).numpy()

    save(out, c, [jac(x, lambda z: z) for x in (x1, x2)], [jac(x, lambda z: z[..., -O:]) for x in (x1, x2)],
         x1, x2, model)


if __name__ == "__main__":
    for case in CASES:
        make_recurrent(case)
    make_attention(ATTENTION)
