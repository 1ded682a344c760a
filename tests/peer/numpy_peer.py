#!/usr/bin/env python3
"""Baseline peer for side-by-side benchmarks: the state-space NTK of an RNN in NumPy/SciPy.

It follows the algorithmic choices of the public PyTorch reference (kpflow):
per-step Jacobians J_t stored densely as a [B, T, H, H] array, the propagator P
applied one probe vector at a time by a Python loop over time with batched
matmuls, the parameter operator K applied through the parameter gradient
(J_theta^T then J_theta), and SciPy's ARPACK (eigsh) on a LinearOperator for
the top eigenvalues.  It is what a Python user would write from that reference.

Model directory format: model.json + PyTorch-named float64 .npy weights
(see tests/golden/README.md).  Cells: rnn_leaky, rnn_elman, gru.

  numpy_peer.py make   --cell rnn_leaky --B 32 --T 100 --H 128 --N 3 --seed 0 --dt 1.0 --g 1.0 --out DIR
  numpy_peer.py spectrum --model DIR --inputs DIR/inputs.npy --op NTK --top 10
  numpy_peer.py ranks    --model DIR --inputs DIR/inputs.npy --op NTK --nsamp 21

`ranks` estimates what kpflow's Operator.effdim reports: the effective rank PR(G) of the Gram
G = A A* (keep every axis), and the partial effective dimensions over batch, time and hidden
(G reduced with kpflow's broadcast-reduce PartialTrace, then m * cos(G_avg, I)^2 estimated from
nsamp orthonormalized Gaussian probes, as kpflow's op_alignment does).  Each G apply is two
applies of A; the applies are counted.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh


# ---------------------------------------------------------------- models

def load_model(d):
    with open(os.path.join(d, "model.json")) as f:
        spec = json.load(f)
    w = {}
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        p = os.path.join(d, name + ".npy")
        if os.path.exists(p):
            w[name] = np.load(p).astype(np.float64)
    return spec, w


def make_model(args):
    rng = np.random.default_rng(args.seed)
    H, N = args.H, args.N
    os.makedirs(args.out, exist_ok=True)
    w = {}
    if args.cell == "gru":
        s = 1.0 / np.sqrt(H)
        w["weight_ih"] = rng.uniform(-s, s, (3 * H, N))
        w["weight_hh"] = args.g * rng.uniform(-s, s, (3 * H, H))
        w["bias_ih"] = rng.uniform(-s, s, 3 * H)
        w["bias_hh"] = rng.uniform(-s, s, 3 * H)
        bias = True
    else:
        w["weight_ih"] = rng.standard_normal((H, N)) / np.sqrt(N)
        w["weight_hh"] = args.g * rng.standard_normal((H, H)) / np.sqrt(H)
        bias = args.cell == "rnn_elman"
        if bias:
            w["bias_ih"] = 0.1 * rng.standard_normal(H)
            w["bias_hh"] = 0.1 * rng.standard_normal(H)
    for k, v in w.items():
        np.save(os.path.join(args.out, k + ".npy"), v)
    x = rng.standard_normal((args.B, args.T, N))
    np.save(os.path.join(args.out, "inputs.npy"), x)
    spec = {"cell": args.cell, "hidden_size": H, "input_size": N, "dt": args.dt,
            "bias": bias, "batch": args.B, "time": args.T}
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(spec, f, indent=1)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Cell:
    """One step h' = f(h, x; theta) with its Jacobians."""

    def __init__(self, spec, w):
        self.kind = spec["cell"]
        self.dt = float(spec.get("dt") or 1.0)
        self.w = w
        self.H = w["weight_hh"].shape[1]

    def step(self, h, x):
        w, H = self.w, self.H
        if self.kind == "rnn_leaky":
            return (1 - self.dt) * h + self.dt * (np.tanh(h) @ w["weight_hh"].T + x @ w["weight_ih"].T)
        if self.kind == "rnn_elman":
            return np.tanh(x @ w["weight_ih"].T + w["bias_ih"] + h @ w["weight_hh"].T + w["bias_hh"])
        gi = x @ w["weight_ih"].T + w["bias_ih"]
        gh = h @ w["weight_hh"].T + w["bias_hh"]
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h

    def jac_h(self, h, x):
        """d step / d h, [B, H, H] (row = output unit)."""
        w, H, B = self.w, self.H, h.shape[0]
        if self.kind == "rnn_leaky":
            d = 1 - np.tanh(h) ** 2
            return (1 - self.dt) * np.eye(H)[None] + self.dt * w["weight_hh"][None] * d[:, None, :]
        if self.kind == "rnn_elman":
            hn = self.step(h, x)
            return (1 - hn ** 2)[:, :, None] * w["weight_hh"][None]
        Whh = w["weight_hh"]
        gi = x @ w["weight_ih"].T + w["bias_ih"]
        gh = h @ Whh.T + w["bias_hh"]
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        Wr, Wz, Wn = Whh[:H], Whh[H:2 * H], Whh[2 * H:]
        dr = (r * (1 - r))[:, :, None] * Wr[None]
        dz = (z * (1 - z))[:, :, None] * Wz[None]
        dpre_n = dr * gh[:, 2 * H:][:, :, None] + r[:, :, None] * Wn[None]
        dn = (1 - n ** 2)[:, :, None] * dpre_n
        return (1 - z)[:, :, None] * dn + (h - n)[:, :, None] * dz + z[:, :, None] * np.eye(H)[None]

    def param_names(self):
        return [k for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if k in self.w]


def unroll(cell, x):
    B, T, _ = x.shape
    h = np.zeros((B, cell.H))
    prev, hs = [], []
    for t in range(T):
        prev.append(h)
        h = cell.step(h, x[:, t])
        hs.append(h)
    return np.stack(prev, 1), np.stack(hs, 1)


# ---------------------------------------------------------------- operators (kpflow-style)

class Peer:
    def __init__(self, spec, w, x):
        self.cell = Cell(spec, w)
        self.x = x
        self.B, self.T, _ = x.shape
        self.H = self.cell.H
        self.prev, self.hidden = unroll(self.cell, x)
        # kpflow stores every per-step Jacobian: [B, T, H, H]
        self.jacs = np.stack([self.cell.jac_h(self.prev[:, t], x[:, t]) for t in range(self.T)], 1)
        self.names = self.cell.param_names()
        self.shapes = [w[k].shape for k in self.names]

    def P(self, q):
        q = q.reshape(self.B, self.T, self.H)
        out = np.empty_like(q)
        z = np.zeros((self.B, self.H))
        for t in range(self.T):
            z = q[:, t] + np.einsum("bij,bj->bi", self.jacs[:, t], z)
            out[:, t] = z
        return out

    def Pt(self, q):
        q = q.reshape(self.B, self.T, self.H)
        out = np.empty_like(q)
        z = q[:, -1].copy()
        out[:, -1] = z
        for t in range(self.T - 2, -1, -1):
            z = q[:, t] + np.einsum("bji,bj->bi", self.jacs[:, t + 1], z)
            out[:, t] = z
        return out

    def Jtheta(self, v):
        """Immediate parameter Jacobian times v (dict of parameter perturbations): [B,T,H]."""
        xs = self.x.reshape(-1, self.x.shape[-1])
        hs = self.prev.reshape(-1, self.H)
        w, H, dt = self.cell.w, self.H, self.cell.dt
        kind = self.cell.kind
        if kind == "rnn_leaky":
            d = dt * (np.tanh(hs) @ v["weight_hh"].T + xs @ v["weight_ih"].T)
        elif kind == "rnn_elman":
            hn = self.cell.step(hs, xs)
            d = (1 - hn ** 2) * (xs @ v["weight_ih"].T + v["bias_ih"] + hs @ v["weight_hh"].T + v["bias_hh"])
        else:
            gi = xs @ w["weight_ih"].T + w["bias_ih"]
            gh = hs @ w["weight_hh"].T + w["bias_hh"]
            r = sigmoid(gi[:, :H] + gh[:, :H])
            z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            di = xs @ v["weight_ih"].T + v["bias_ih"]
            dh = hs @ v["weight_hh"].T + v["bias_hh"]
            c_r = (1 - z) * (1 - n ** 2) * gh[:, 2 * H:] * r * (1 - r)
            c_z = (hs - n) * z * (1 - z)
            c_n = (1 - z) * (1 - n ** 2)
            d = (c_r * (di[:, :H] + dh[:, :H]) + c_z * (di[:, H:2 * H] + dh[:, H:2 * H])
                 + c_n * (di[:, 2 * H:] + r * dh[:, 2 * H:]))
        return d.reshape(self.B, self.T, self.H)

    def Jtheta_t(self, q):
        """Adjoint: sum over (b,t) of q_bt^T d step / d theta, as a dict of parameter gradients."""
        q = q.reshape(-1, self.H)
        xs = self.x.reshape(-1, self.x.shape[-1])
        hs = self.prev.reshape(-1, self.H)
        w, H, dt = self.cell.w, self.H, self.cell.dt
        kind = self.cell.kind
        if kind == "rnn_leaky":
            return {"weight_hh": dt * q.T @ np.tanh(hs), "weight_ih": dt * q.T @ xs}
        if kind == "rnn_elman":
            hn = self.cell.step(hs, xs)
            g = q * (1 - hn ** 2)
            return {"weight_hh": g.T @ hs, "weight_ih": g.T @ xs, "bias_ih": g.sum(0), "bias_hh": g.sum(0)}
        gi = xs @ w["weight_ih"].T + w["bias_ih"]
        gh = hs @ w["weight_hh"].T + w["bias_hh"]
        r = sigmoid(gi[:, :H] + gh[:, :H])
        z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        gz = q * (hs - n) * z * (1 - z)
        gn = q * (1 - z) * (1 - n ** 2)
        gr = gn * gh[:, 2 * H:] * r * (1 - r)
        g_i = np.concatenate([gr, gz, gn], 1)
        g_h = np.concatenate([gr, gz, gn * r], 1)
        return {"weight_ih": g_i.T @ xs, "weight_hh": g_h.T @ hs, "bias_ih": g_i.sum(0), "bias_hh": g_h.sum(0)}

    def K(self, q):
        return self.Jtheta(self.Jtheta_t(q))

    def NTK(self, q):
        return self.P(self.K(self.Pt(q)))

    def PPt(self, q):
        return self.P(self.Pt(q))


def spectrum(args):
    spec, w = load_model(args.model)
    x = np.load(args.inputs).astype(np.float64)
    t0 = time.perf_counter()
    peer = Peer(spec, w, x)
    t_setup = time.perf_counter() - t0
    op = {"NTK": peer.NTK, "K": peer.K, "PPt": peer.PPt}[args.op]
    n = peer.B * peer.T * peer.H
    count = [0]

    def mv(v):
        count[0] += 1
        return op(v).ravel()

    lin = LinearOperator((n, n), matvec=mv, dtype=np.float64)
    t1 = time.perf_counter()
    vals = eigsh(lin, k=args.top, which="LA", tol=args.tol, return_eigenvectors=False)
    t_eig = time.perf_counter() - t1
    vals = np.sort(vals)[::-1]
    out = {"op": args.op, "top": args.top, "eigenvalues": vals.tolist(), "matvecs": count[0],
           "seconds_setup": t_setup, "seconds_eig": t_eig, "seconds_total": t_setup + t_eig,
           "jacobian_bytes": int(peer.jacs.nbytes), "B": peer.B, "T": peer.T, "H": peer.H}
    print(json.dumps(out))


def ranks(args):
    """kpflow's effdim (op_alignment estimator) for the whole operator and each axis."""
    spec, w = load_model(args.model)
    x = np.load(args.inputs).astype(np.float64)
    t0 = time.perf_counter()
    peer = Peer(spec, w, x)
    t_setup = time.perf_counter() - t0
    op = {"NTK": peer.NTK, "K": peer.K, "PPt": peer.PPt}[args.op]
    shape = (peer.B, peer.T, peer.H)
    rng = np.random.default_rng(args.seed)
    count = [0]

    def gram(q):  # A symmetric here, so G = A A* = A A
        count[0] += 2
        return op(op(q.reshape(shape))).reshape(shape)

    def effdim(keep):
        # kpflow PartialTrace(G, traced axes, 'sum'): broadcast the kept-axis probe over the
        # traced axes, apply G, sum over the traced axes.
        traced = tuple(a for a in range(3) if a not in keep)
        small = tuple(shape[a] if a in keep else 1 for a in range(3))
        d = int(np.prod(small))
        Q, _ = np.linalg.qr(rng.standard_normal((d, args.nsamp)))
        S = np.sqrt(d / args.nsamp) * Q
        num = den_a = den_b = 0.0
        for j in range(S.shape[1]):
            s = S[:, j].reshape(small)
            g = gram(np.broadcast_to(s, shape).copy())
            g = g.sum(axis=traced, keepdims=True) if traced else g
            num += float((g * s).sum()); den_a += float((g * g).sum()); den_b += float((s * s).sum())
        cos = num / np.sqrt(den_a * den_b)
        return d * cos * cos

    t1 = time.perf_counter()
    out = {"op": args.op, "nsamp": args.nsamp, "estimator": "kpflow effdim (op_alignment)"}
    out["effective_rank_gram"] = effdim((0, 1, 2))
    out["partial_effective_dims_kpflow"] = {"batch": effdim((0,)), "time": effdim((1,)),
                                             "hidden": effdim((2,))}
    t_ranks = time.perf_counter() - t1
    out.update({"applies": count[0], "seconds_setup": t_setup, "seconds_ranks": t_ranks,
                "seconds_total": t_setup + t_ranks, "B": peer.B, "T": peer.T, "H": peer.H})
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--cell", default="rnn_leaky", choices=["rnn_leaky", "rnn_elman", "gru"])
    for k, v in (("B", 32), ("T", 100), ("H", 128), ("N", 3), ("seed", 0)):
        m.add_argument("--" + k, type=int, default=v)
    m.add_argument("--dt", type=float, default=1.0)
    m.add_argument("--g", type=float, default=1.0)
    m.add_argument("--out", required=True)
    s = sub.add_parser("spectrum")
    s.add_argument("--model", required=True)
    s.add_argument("--inputs", required=True)
    s.add_argument("--op", default="NTK", choices=["NTK", "K", "PPt"])
    s.add_argument("--top", type=int, default=10)
    s.add_argument("--tol", type=float, default=1e-10)
    r = sub.add_parser("ranks")
    r.add_argument("--model", required=True)
    r.add_argument("--inputs", required=True)
    r.add_argument("--op", default="NTK", choices=["NTK", "K", "PPt"])
    r.add_argument("--nsamp", type=int, default=21)
    r.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    {"make": make_model, "spectrum": spectrum, "ranks": ranks}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
