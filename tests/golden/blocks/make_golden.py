#!/usr/bin/python3
"""Golden data of the attention_mlp block (issue 14), from PyTorch itself.

Runs outside CI (it needs Debian's python3-torch, 1.13); its output is committed:

    /usr/bin/python3 tests/golden/blocks/make_golden.py

The block is built from torch modules (nn.Linear, a learned positional table, softmax attention,
F.gelu) with the state-dict names of kpflow's SingleBlockAttnMLP. Its state per token is the stack
z = [h0, q, k, v, a, o, m_1 .. m_{L-1}, y] (DESIGN.md, "Feed-forward blocks"). Two autograd paths
give the operators: the local map z = F(z, theta, x), each block computed from the given z, whose
Jacobians are L = dF/dz (strictly lower block-triangular) and J_theta = dF/dtheta, so that
P = (I - L)^-1, K = J_theta J_theta^T and NTK_S = P K P^T; and the whole block's Jacobian
J = dz/dtheta, an independent path to P J_theta (metrics.json: checks_max_rel_err). Each case
folder holds the products on seeded probes, the dense matrices and every eigenvalue, like the
other golden folders (tests/golden/README.md), plus NTK_y = the y rows of NTK_S (the output NTK).
exports/ holds a float32 safetensors state dict and its exact NTK_S top-5. training/ holds
torch.optim trajectories of the block on MSELoss(y, target), laid out as tests/golden/training.
"""
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cells"))
from make_golden import optimize, pr, rel, safetensors_bytes, save_trajectory  # noqa: E402  (the cells' generator: shared helpers)

CASES = [
    dict(name="attention_mlp", B=2, T=4, d_input=3, d_model=4, heads=2, mlp_hidden=5, mlp_layers=3, d_output=2,
         max_seq_len=6, positional=True, causal=False, seed=1401),
    dict(name="attention_mlp_causal", B=2, T=5, d_input=2, d_model=4, heads=1, mlp_hidden=0, mlp_layers=1,
         d_output=1, max_seq_len=0, positional=False, causal=True, seed=1402),
]


class Attention(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (torch.nn.Linear(d, d, bias=False) for _ in range(4))


class Mlp(torch.nn.Module):
    def __init__(self, d, hidden, layers, d_out):
        super().__init__()
        self.hidden_linears = torch.nn.ModuleList(
            torch.nn.Linear(d if i == 0 else hidden, hidden, bias=False) for i in range(layers - 1))
        self.final_linear = torch.nn.Linear(hidden if layers > 1 else d, d_out, bias=False)


class Block(torch.nn.Module):
    """input_proj (+ pos_embedding) -> multi-head self-attention -> GELU MLP, kpflow's names."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.input_proj = torch.nn.Linear(c["d_input"], c["d_model"])
        if c["positional"]:
            self.pos_embedding = torch.nn.Parameter(0.02 * torch.randn(1, c["max_seq_len"], c["d_model"]))
        self.attn = Attention(c["d_model"], c["heads"])
        self.mlp = Mlp(c["d_model"], c["mlp_hidden"], c["mlp_layers"], c["d_output"])


def attend(c, q, k, v):
    B, T, D = q.shape
    nh = c["heads"]
    dh = D // nh
    split = lambda z: z.reshape(B, T, nh, dh).transpose(1, 2)
    scores = split(q) @ split(k).transpose(-2, -1) / math.sqrt(dh)
    if c["causal"]:
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, float("-inf"))
    return (torch.softmax(scores, dim=-1) @ split(v)).transpose(1, 2).reshape(B, T, D)


def widths(c):
    D, L = c["d_model"], c["mlp_layers"]
    return [D] * 6 + [c["mlp_hidden"]] * (L - 1) + [c["d_output"]]


def local_map(c, p, x, z):
    """F(z, theta, x): every block of the state from the given z (not from its own predecessors)."""
    T = x.shape[1]
    parts = torch.split(z, widths(c), dim=-1)
    h0 = F.linear(x, p["input_proj.weight"], p["input_proj.bias"])
    if c["positional"]:
        h0 = h0 + p["pos_embedding"][:, :T]
    out = [h0] + [F.linear(parts[0], p["attn.%s_proj.weight" % n]) for n in "qkv"]
    out.append(attend(c, parts[1], parts[2], parts[3]))
    out.append(F.linear(parts[4], p["attn.o_proj.weight"]))
    L = c["mlp_layers"]
    for i in range(L - 1):
        out.append(F.linear(F.gelu(parts[5 + i]), p["mlp.hidden_linears.%d.weight" % i]))
    out.append(F.linear(parts[4 + L], p["mlp.final_linear.weight"]))
    return torch.cat(out, dim=-1)


def forward(c, p, x):
    """The block's own forward pass, returning the stack z and checking nothing."""
    T = x.shape[1]
    h0 = F.linear(x, p["input_proj.weight"], p["input_proj.bias"])
    if c["positional"]:
        h0 = h0 + p["pos_embedding"][:, :T]
    q, k, v = (F.linear(h0, p["attn.%s_proj.weight" % n]) for n in "qkv")
    a = attend(c, q, k, v)
    o = F.linear(a, p["attn.o_proj.weight"])
    parts, h = [h0, q, k, v, a, o], o
    for i in range(c["mlp_layers"] - 1):
        h = F.linear(F.gelu(h), p["mlp.hidden_linears.%d.weight" % i])
        parts.append(h)
    parts.append(F.linear(h, p["mlp.final_linear.weight"]))
    return torch.cat(parts, dim=-1)


def named(module):
    return [(n, tuple(t.shape)) for n, t in module.named_parameters()]


def unflatten(specs, theta):
    out, at = {}, 0
    for name, shape in specs:
        size = int(np.prod(shape))
        out[name] = theta[at:at + size].reshape(shape)
        at += size
    return out


def make_case(c):
    t0 = time.time()
    torch.manual_seed(c["seed"])
    module = Block(c)
    specs = named(module)
    rng = np.random.default_rng(c["seed"])
    B, T = c["B"], c["T"]
    S = sum(widths(c))
    x = rng.standard_normal((B, T, c["d_input"]))
    theta = torch.cat([t.detach().reshape(-1) for _, t in module.named_parameters()])
    npar, n = theta.numel(), B * T * S
    q = rng.standard_normal((B, T, S))
    v = rng.standard_normal(npar)
    xt = torch.tensor(x)
    z = forward(c, unflatten(specs, theta), xt).detach()
    checks = {"fixed_point_of_local_map": rel(local_map(c, unflatten(specs, theta), xt, z).detach().numpy(), z.numpy())}
    lower = torch.autograd.functional.jacobian(
        lambda zz: local_map(c, unflatten(specs, theta), xt, zz).reshape(-1), z).reshape(n, n).numpy()
    jtheta = torch.autograd.functional.jacobian(
        lambda th: local_map(c, unflatten(specs, th), xt, z).reshape(-1), theta).numpy()
    jfull = torch.autograd.functional.jacobian(lambda th: forward(c, unflatten(specs, th), xt).reshape(-1),
                                               theta).numpy()
    block = np.repeat(np.arange(len(widths(c))), widths(c))  # block index of each state entry
    later = np.tile(block, B * T)[:, None] > np.tile(block, B * T)[None, :]
    checks["L_outside_strictly_lower_blocks_max_abs"] = float(np.max(np.abs(lower[~later])))
    pinv = np.eye(n) - lower
    p = np.linalg.inv(pinv)
    k = jtheta @ jtheta.T
    ntk = p @ k @ p.T
    qf = q.ravel()
    shape = (B, T, S)
    ysl = np.zeros((B, T, S), dtype=bool)
    ysl[:, :, S - c["d_output"]:] = True
    ntk_y = ntk[np.ix_(ysl.ravel(), ysl.ravel())]
    files = {
        "inputs": x, "hidden": z.numpy(), "q": q, "v": v,
        "P_q": (p @ qf).reshape(shape), "Pt_q": (p.T @ qf).reshape(shape),
        "Pinv_q": (pinv @ qf).reshape(shape), "Pinvt_q": (pinv.T @ qf).reshape(shape),
        "K_q": (k @ qf).reshape(shape), "NTK_q": (ntk @ qf).reshape(shape),
        "JJt_q": (jfull @ (jfull.T @ qf)).reshape(shape),
        "Jtheta_v": (jtheta @ v).reshape(shape), "Jtheta_t_q": jtheta.T @ qf,
        "Jfull_v": (jfull @ v).reshape(shape), "Jfull_t_q": jfull.T @ qf,
        "P_dense": p, "K_dense": k, "NTK_dense": ntk, "Jtheta_dense": jtheta, "Jfull_dense": jfull,
        "NTK_y_dense": ntk_y,
    }
    ppt = p @ p.T
    eig = {name: np.sort(np.linalg.eigvalsh(mat))[::-1] for name, mat in
           (("K", k), ("PPt", ppt), ("NTK", ntk), ("NTK_y", ntk_y))}
    for name in eig:
        files["eig_" + name] = eig[name]
    params = unflatten(specs, theta)
    for name, _ in specs:
        files[name] = params[name].numpy()
    checks.update({
        "dense_P_Jtheta_vs_dense_J": rel(p @ jtheta, jfull),
        "dense_PKPt_vs_dense_JJt": rel(ntk, jfull @ jfull.T),
    })
    g6 = (ntk @ ntk.T).reshape(B, T, S, B, T, S)
    metrics = {
        "n_state": n, "n_params": npar, "rank_bound_K_and_NTK": min(n, npar),
        "trace": {name: float(np.trace(m)) for name, m in (("K", k), ("PPt", ppt), ("NTK", ntk), ("NTK_y", ntk_y))},
        "participation_ratio": {name: pr(m) for name, m in (("K", k), ("PPt", ppt), ("NTK", ntk), ("NTK_y", ntk_y))},
        "frobenius_norm": {name: float(np.linalg.norm(m)) for name, m in (("K", k), ("PPt", ppt), ("NTK", ntk))},
        "effdim_NTK_kpflow_definition": {
            "batch": pr(g6.sum(axis=(1, 2, 4, 5))), "time": pr(g6.sum(axis=(0, 2, 3, 5))),
            "hidden": pr(g6.sum(axis=(0, 1, 3, 4)))},
        "effdim_NTK_textbook_partial_trace": {
            "batch": pr(np.einsum("ithjth->ij", g6)), "time": pr(np.einsum("bihbjh->ij", g6)),
            "hidden": pr(np.einsum("btibtj->ij", g6))},
        "top10": {name: [float(e) for e in eig[name][:10]] for name in eig},
        "checks_max_rel_err": checks,
        "torch": torch.__version__,
        "seconds": {"exact": round(time.time() - t0, 3)},
    }
    for name in ("K", "PPt", "NTK"):
        metrics["effrank_" + name] = metrics["participation_ratio"][name]
    model = {
        "name": c["name"], "cell": "attention_mlp",
        "attention_mlp": {key: c[key] for key in ("d_input", "d_model", "heads", "mlp_hidden", "mlp_layers",
                                                  "d_output", "max_seq_len", "positional", "causal")},
        "state_width": S, "state_blocks": ["h0", "q", "k", "v", "a", "o"] +
        ["m_%d" % (i + 1) for i in range(c["mlp_layers"] - 1)] + ["y"],
        "param_names": [{"name": k_, "shape": list(s)} for k_, s in specs], "n_params": npar,
        "B": B, "T": T, "dtype": "float64", "seed": c["seed"],
        "init": "torch.manual_seed(seed), then the modules' own initialization (pos_embedding 0.02*randn); "
                "numpy.random.default_rng(seed): inputs, q, v",
    }
    out = HERE / c["name"]
    out.mkdir(exist_ok=True)
    for name, arr in files.items():
        np.save(out / (name + ".npy"), np.ascontiguousarray(arr, dtype="<f8"))
    (out / "model.json").write_text(json.dumps(model, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(c["name"], json.dumps(checks))


def make_export():
    """A float32 state dict of the block as users save it, with its exact NTK_S top-5."""
    c = dict(d_input=3, d_model=8, heads=2, mlp_hidden=6, mlp_layers=2, d_output=1, max_seq_len=10,
             positional=True, causal=False)
    torch.manual_seed(2029)
    module = Block(c).float()
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    out = HERE / "exports" / "attention_mlp_safetensors"
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.safetensors").write_bytes(safetensors_bytes(state))
    B, T = 3, 5
    x = np.random.default_rng(8).standard_normal((B, T, c["d_input"]))
    np.save(out / "inputs.npy", x)
    specs = named(module)
    theta = torch.cat([torch.tensor(state[k].astype(np.float64)).reshape(-1) for k, _ in specs])
    xt = torch.tensor(x)
    j = torch.autograd.functional.jacobian(lambda th: forward(c, unflatten(specs, th), xt).reshape(-1), theta).numpy()
    eig = np.sort(np.linalg.eigvalsh(j @ j.T))[::-1]
    manifest = {"attention_mlp_safetensors": {
        "file": "model.safetensors", "dtype": "float32", "cell": "attention_mlp", "heads": c["heads"],
        "config": c, "eig_NTK_top5": [float(e) for e in eig[:5]]}}
    (HERE / "exports" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print("export attention_mlp_safetensors", manifest["attention_mlp_safetensors"]["eig_NTK_top5"])


TRAINING = [
    dict(name="attention_mlp_adam", B=3, T=5, d_input=2, d_model=4, heads=2, mlp_hidden=5, mlp_layers=3,
         d_output=2, max_seq_len=6, positional=True, causal=False, seed=1411, optimizer="adam", lr=0.01, steps=5),
    dict(name="attention_mlp_causal_sgd", B=2, T=6, d_input=3, d_model=4, heads=1, mlp_hidden=0, mlp_layers=1,
         d_output=1, max_seq_len=0, positional=False, causal=True, seed=1412, optimizer="sgd", lr=0.05, steps=5),
]


def make_training(c):
    """A torch.optim trajectory of the block's own forward on MSELoss(y, target), every parameter trained."""
    torch.manual_seed(c["seed"])
    module = Block(c)
    rng = np.random.default_rng(c["seed"])
    B, T = c["B"], c["T"]
    x, y = rng.standard_normal((B, T, c["d_input"])), rng.standard_normal((B, T, c["d_output"]))
    xt, yt = torch.tensor(x), torch.tensor(y)
    tensors = dict(module.named_parameters())
    init = {k: t.detach().numpy().copy() for k, t in tensors.items()}

    def loss_fn():
        return F.mse_loss(forward(c, tensors, xt)[..., -c["d_output"]:], yt)  # y is the stack's last block

    losses, grad0 = optimize(c, tensors, loss_fn)
    out = save_trajectory(HERE / "training" / c["name"], init, grad0, tensors, x, y)
    keys = ("d_input", "d_model", "heads", "mlp_hidden", "mlp_layers", "d_output", "max_seq_len", "positional",
            "causal")
    spec = {
        "cell": "attention_mlp", "attention_mlp": {k: c[k] for k in keys}, "batch": B, "time": T,
        "loss": "mse_mean_on_block_output", "optimizer": c["optimizer"],
        "torch_optim": "SGD(lr)" if c["optimizer"] == "sgd" else "Adam(lr) (betas 0.9, 0.999, eps 1e-8)",
        "lr": c["lr"], "steps": c["steps"], "trained": list(init), "losses": losses, "torch": torch.__version__,
        "init": "torch.manual_seed(seed), then the modules' own initialization (pos_embedding 0.02*randn); "
                "numpy.random.default_rng(seed): inputs, targets",
        "note": "losses[s] is the loss before step s+1; losses[steps] after the last step.",
    }
    (out / "model.json").write_text(json.dumps(spec, indent=1) + "\n")
    print(c["name"], losses[0], losses[-1])


if __name__ == "__main__":
    only = sys.argv[1:]  # e.g. "training": regenerate only that part (the rest is deterministic too)
    if not only or "cases" in only:
        for case in CASES:
            make_case(case)
    if not only or "exports" in only:
        make_export()
    if not only or "training" in only:
        for case in TRAINING:
            make_training(case)
