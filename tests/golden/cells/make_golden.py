#!/usr/bin/python3
"""Golden data of the cells added in issue 14 (rnn_relu, rnn_linear), from PyTorch itself.

Runs outside CI (it needs Debian's python3-torch, 1.13 with functorch); its output is committed:

    /usr/bin/python3 tests/golden/cells/make_golden.py

Each case folder holds the same files as the other golden folders (tests/golden/README.md): the
model, the trajectory, the per-step Jacobians, operator products on seeded probes, dense
matrices, every eigenvalue and metrics.json. Everything is float64 and computed by torch
autograd on the cell written with torch operations (rnn_relu: checked against torch.nn.RNNCell
with nonlinearity='relu'); the full-unroll Jacobian is a second, independent autograd path, and
metrics.json: checks_max_rel_err records how the two agree. exports/ holds a state dict of
torch.nn.RNN(nonlinearity='relu', batch_first=True) and its exact NTK_S top-5 (manifest.json);
training/ a torch.optim trajectory per new cell, laid out as tests/golden/training.
"""
import json
import pathlib
import sys
import time

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
HERE = pathlib.Path(__file__).resolve().parent

CASES = [
    dict(name="rnn_relu", cell="rnn_relu", dt=None, bias=True, B=3, T=6, H=5, N=2, seed=1005, gain=1.2,
         equation="h' = relu(W_ih @ x + b_ih + W_hh @ h + b_hh)   [relu'(0) = 0, as torch]"),
    dict(name="rnn_linear_dt0p2", cell="rnn_linear", dt=0.2, bias=False, B=3, T=6, H=5, N=2, seed=1006, gain=1.1,
         equation="h' = (1-dt)*h + dt*(W_hh @ h + W_ih @ x)   [no bias; kpflow's BasicRNN with linear=True]"),
    dict(name="lstm", cell="lstm", dt=None, bias=True, B=3, T=6, H=4, N=2, seed=1007, gain=1.2,
         equation="torch.nn.LSTMCell, gates i, f, g, o: c' = f c + i g, h' = o tanh(c'); state s = [h; c] (2H)"),
]


def gates(c):
    return 4 if c["cell"] == "lstm" else 1


def width(c):
    """State width per step: H, or 2H for the LSTM's [h; c]."""
    return 2 * c["H"] if c["cell"] == "lstm" else c["H"]


def param_specs(c):
    H, N, G = c["H"], c["N"], gates(c)
    specs = [("weight_ih", (G * H, N)), ("weight_hh", (G * H, H))]
    if c["bias"]:
        specs += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
    return specs


def unflatten(c, theta):
    out, at = {}, 0
    for name, shape in param_specs(c):
        n = int(np.prod(shape))
        out[name] = theta[at:at + n].reshape(shape)
        at += n
    return out


def cell(c, theta, x, h):
    """One step f(x, s; theta) for a batch: x [B, N], s [B, width]."""
    p = unflatten(c, theta)
    if c["cell"] == "lstm":
        H = c["H"]
        hh, cc = h[:, :H], h[:, H:]
        u = x @ p["weight_ih"].T + hh @ p["weight_hh"].T
        if c["bias"]:
            u = u + p["bias_ih"] + p["bias_hh"]
        i, f, g, o = torch.sigmoid(u[:, :H]), torch.sigmoid(u[:, H:2 * H]), torch.tanh(u[:, 2 * H:3 * H]), \
            torch.sigmoid(u[:, 3 * H:])
        cn = f * cc + i * g
        return torch.cat([o * torch.tanh(cn), cn], dim=1)
    u = x @ p["weight_ih"].T + h @ p["weight_hh"].T
    if c["cell"] == "rnn_relu":
        return torch.relu(u + p["bias_ih"] + p["bias_hh"])
    dt = c["dt"]
    return (1 - dt) * h + dt * u


def unroll(c, theta, x):
    """hidden [B, T, width] from x [B, T, N], h0 = 0 (and c0 = 0)."""
    h = torch.zeros(x.shape[0], width(c))
    out = []
    for t in range(c["T"]):
        h = cell(c, theta, x[:, t], h)
        out.append(h)
    return torch.stack(out, dim=1)


def pr(m):
    return float(np.trace(m) ** 2 / np.sum(m * m))


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def make_case(c):
    t0 = time.time()
    B, T, N = c["B"], c["T"], c["N"]
    H = width(c)  # the state width: every state array is [B, T, H]
    rng = np.random.default_rng(c["seed"])
    params = {}
    for name, shape in param_specs(c):
        if name == "weight_ih":
            params[name] = rng.standard_normal(shape) / np.sqrt(N)
        elif name == "weight_hh":
            params[name] = c["gain"] * rng.standard_normal(shape) / np.sqrt(c["H"])
        else:
            params[name] = 0.3 * rng.standard_normal(shape)
    x = rng.standard_normal((B, T, N))
    n, npar = B * T * H, sum(int(np.prod(s)) for _, s in param_specs(c))
    q = rng.standard_normal((B, T, H))
    v = rng.standard_normal(npar)
    theta = torch.tensor(np.concatenate([params[k].ravel() for k, _ in param_specs(c)]))
    xt = torch.tensor(x)
    hidden = unroll(c, theta, xt).detach()
    hprev = torch.cat([torch.zeros(B, 1, H), hidden[:, :-1]], dim=1)
    checks = {}
    if c["cell"] == "rnn_relu":  # the equations against torch's own module, values and input gradients
        m = torch.nn.RNNCell(N, H, nonlinearity="relu")
        with torch.no_grad():
            for k in params:
                getattr(m, k).copy_(torch.tensor(params[k]))
        hm = torch.zeros(B, H, requires_grad=True)
        ref, mine = m(xt[:, 0], hm), cell(c, theta, xt[:, 0], hm)
        checks["equations_vs_torch_module"] = rel(mine.detach().numpy(), ref.detach().numpy())
        g_ref = torch.autograd.grad(ref.sum(), hm)[0]
        g_mine = torch.autograd.grad(cell(c, theta, xt[:, 0], hm).sum(), hm)[0]
        checks["equations_vs_torch_module_grad"] = float(np.max(np.abs(g_ref.numpy() - g_mine.numpy())))
        pre = (xt @ torch.tensor(params["weight_ih"]).T + hprev @ torch.tensor(params["weight_hh"]).T
               + torch.tensor(params["bias_ih"] + params["bias_hh"]))
        checks["min_abs_preactivation"] = float(pre.abs().min())  # away from relu's kink
    if c["cell"] == "lstm":  # against torch.nn.LSTMCell itself over the whole unroll
        m = torch.nn.LSTMCell(N, c["H"], bias=c["bias"])
        with torch.no_grad():
            for k in params:
                getattr(m, k).copy_(torch.tensor(params[k]))
            hs, cs, out = torch.zeros(B, c["H"]), torch.zeros(B, c["H"]), []
            for t in range(T):
                hs, cs = m(xt[:, t], (hs, cs))
                out.append(torch.cat([hs, cs], dim=1))
        checks["equations_vs_torch_module"] = rel(hidden.numpy(), torch.stack(out, dim=1).numpy())
    # Per-step Jacobians A[b,t] = df/dh and dense J_theta, by autograd on one step.
    jac_h = np.zeros((B, T, H, H))
    jtheta = np.zeros((n, npar))
    for b in range(B):
        for t in range(T):
            xb, hb = xt[b:b + 1, t], hprev[b:b + 1, t]
            jac_h[b, t] = torch.autograd.functional.jacobian(lambda h: cell(c, theta, xb, h)[0], hb)[:, 0].numpy()
            r = (b * T + t) * H
            jtheta[r:r + H] = torch.autograd.functional.jacobian(lambda th: cell(c, th, xb, hb)[0], theta).numpy()
    # P = (I - L)^-1, L the sub-diagonal blocks A[b,t] (t >= 1); batches do not mix.
    lower = np.zeros((n, n))
    for b in range(B):
        for t in range(1, T):
            r, s = (b * T + t) * H, (b * T + t - 1) * H
            lower[r:r + H, s:s + H] = jac_h[b, t]
    pinv = np.eye(n) - lower
    p = np.linalg.inv(pinv)
    k = jtheta @ jtheta.T
    ntk = p @ k @ p.T
    # The whole unroll's Jacobian by autograd: an independent path to J = P J_theta.
    jfull = torch.autograd.functional.jacobian(lambda th: unroll(c, th, xt).reshape(-1), theta).numpy()
    qf, qt = q.ravel(), torch.tensor(q)
    _, vjp = torch.autograd.functional.vjp(lambda th: unroll(c, th, xt), theta, qt)
    _, jjt = torch.autograd.functional.jvp(lambda th: unroll(c, th, xt), theta, vjp)
    jjt = jjt.numpy().ravel()
    shape = (B, T, H)
    files = {
        "inputs": x, "hidden": hidden.numpy(), "jac_h": jac_h, "q": q, "v": v,
        "P_q": (p @ qf).reshape(shape), "Pt_q": (p.T @ qf).reshape(shape),
        "Pinv_q": (pinv @ qf).reshape(shape), "Pinvt_q": (pinv.T @ qf).reshape(shape),
        "K_q": (k @ qf).reshape(shape), "NTK_q": (ntk @ qf).reshape(shape), "JJt_q": jjt.reshape(shape),
        "Jtheta_v": (jtheta @ v).reshape(shape), "Jtheta_t_q": jtheta.T @ qf,
        "Jfull_v": (jfull @ v).reshape(shape), "Jfull_t_q": jfull.T @ qf,
        "P_dense": p, "K_dense": k, "NTK_dense": ntk, "Jtheta_dense": jtheta, "Jfull_dense": jfull,
    }
    ppt = p @ p.T
    eig = {name: np.sort(np.linalg.eigvalsh(mat))[::-1] for name, mat in (("K", k), ("PPt", ppt), ("NTK", ntk))}
    for name in eig:
        files["eig_" + name] = eig[name]
    files.update(params)
    checks.update({
        "JJt_q_vs_NTK_q": rel(jjt, ntk @ qf),
        "dense_P_Jtheta_vs_dense_J": rel(p @ jtheta, jfull),
        "dense_PKPt_vs_dense_JJt": rel(ntk, jfull @ jfull.T),
    })
    if c["cell"] == "rnn_linear":  # J_t = (1-dt) I + dt W_hh at every step: P is a linear system's
        a = (1 - c["dt"]) * np.eye(H) + c["dt"] * params["weight_hh"]
        checks["jac_h_vs_linear_system"] = rel(jac_h.reshape(-1, H, H), np.broadcast_to(a, (B * T, H, H)))
    g6 = (ntk @ ntk.T).reshape(B, T, H, B, T, H)
    metrics = {
        "n_state": n, "n_params": npar, "rank_bound_K_and_NTK": min(n, npar),
        "trace": {name: float(np.trace(m)) for name, m in (("K", k), ("PPt", ppt), ("NTK", ntk))},
        "frobenius_norm": {name: float(np.linalg.norm(m)) for name, m in (("K", k), ("PPt", ppt), ("NTK", ntk))},
        "participation_ratio": {name: pr(m) for name, m in (("K", k), ("PPt", ppt), ("NTK", ntk))},
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
        "name": c["name"], "cell": c["cell"], "hidden_size": c["H"], "input_size": N, "dt": c["dt"],
        "bias": c["bias"], "state_width": H,
        "param_names": [{"name": k_, "shape": list(s)} for k_, s in param_specs(c)], "n_params": npar,
        "B": B, "T": T, "h0": "zeros", "equation": c["equation"], "dtype": "float64", "seed": c["seed"],
        "init": {"weight_ih": "N(0,1)/sqrt(input_size)",
                 "weight_hh": "g*N(0,1)/sqrt(hidden_size), g=%g" % c["gain"],  # hidden_size, not the state width
                 "biases": "0.3*N(0,1)" if c["bias"] else None, "inputs": "1.0*N(0,1)",
                 "draw_order": "numpy.random.default_rng(seed): parameters in param_names order, then inputs, q, v"},
    }
    out = HERE / c["name"]
    out.mkdir(exist_ok=True)
    for name, arr in files.items():
        np.save(out / (name + ".npy"), np.ascontiguousarray(arr, dtype="<f8"))
    (out / "model.json").write_text(json.dumps(model, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(c["name"], json.dumps(checks))


def safetensors_bytes(tensors):
    """The safetensors layout (8-byte header length, JSON header, raw little-endian data)."""
    header, data, at = {}, b"", 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        data += raw
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + data


def export_case(name, module, cell, fmt, manifest):
    """A state dict as users save it (safetensors float32 or numpy.savez float64) and the exact
    NTK_S top-5 of those weights (upcast to float64) on seeded inputs, as J J^T of the unroll."""
    B, T, N = 3, 5, module.input_size
    H = module.hidden_size
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    x = np.random.default_rng(7).standard_normal((B, T, N))
    out = HERE / "exports" / name
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "safetensors":
        (out / "model.safetensors").write_bytes(safetensors_bytes(state))
    else:
        np.savez(out / "model.npz", **{k: v.astype(np.float64) for k, v in state.items()})
    np.save(out / "inputs.npy", x)
    c = dict(cell=cell, dt=None, bias=True, B=B, T=T, H=H, N=N)
    suffix = "_l0" if any(k.endswith("_l0") for k in state) else ""
    theta = torch.tensor(np.concatenate([state[k + suffix].astype(np.float64).ravel()
                                         for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]))
    xt = torch.tensor(x)
    j = torch.autograd.functional.jacobian(lambda th: unroll(c, th, xt).reshape(-1), theta).numpy()
    mine = unroll(c, theta, xt).detach().numpy()
    m64 = module.double()
    with torch.no_grad():  # the module's own forward gives the same trajectory (h; c for an LSTM)
        if isinstance(m64, torch.nn.LSTMCell):
            hs, cs, steps = torch.zeros(B, H), torch.zeros(B, H), []
            for t in range(T):
                hs, cs = m64(xt[:, t], (hs, cs))
                steps.append(hs)
            ref = torch.stack(steps, dim=1).numpy()
        else:
            ref = m64(xt)[0].numpy()
    eig = np.sort(np.linalg.eigvalsh(j @ j.T))[::-1]
    manifest[name] = {
        "file": "model." + ("safetensors" if fmt == "safetensors" else "npz"), "layout": repr(module),
        "dtype": "float32" if fmt == "safetensors" else "float64", "cell": cell,
        "eig_NTK_top5": [float(e) for e in eig[:5]],
        "unroll_h_vs_torch_module_max_abs": float(np.max(np.abs(mine[:, :, :H] - ref)))}
    print("export", name, manifest[name]["unroll_h_vs_torch_module_max_abs"])


def make_export():
    """torch.nn.RNN(nonlinearity='relu'), torch.nn.LSTM and torch.nn.LSTMCell state dicts."""
    manifest = {}
    torch.manual_seed(2026)
    export_case("rnn_relu_l0_safetensors",
                torch.nn.RNN(2, 4, nonlinearity="relu", batch_first=True).float(), "rnn_relu", "safetensors",
                manifest)
    torch.manual_seed(2027)
    export_case("lstm_l0_safetensors", torch.nn.LSTM(2, 3, batch_first=True).float(), "lstm", "safetensors",
                manifest)
    torch.manual_seed(2028)
    export_case("lstmcell_npz", torch.nn.LSTMCell(2, 3).double(), "lstm", "npz", manifest)
    (HERE / "exports" / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


TRAINING = [
    dict(name="relu_output_sgd", cell="rnn_relu", dt=None, bias=True, H=6, N=2, O=2, B=4, T=8, seed=2001,
         gain=1.1, optimizer="sgd", lr=0.05, steps=5),
    dict(name="linear_output_adam", cell="rnn_linear", dt=0.2, bias=False, H=5, N=2, O=2, B=3, T=7, seed=2002,
         gain=1.1, optimizer="adam", lr=0.01, steps=5),
    dict(name="lstm_output_adam", cell="lstm", dt=None, bias=True, H=4, N=2, O=2, B=3, T=7, seed=2003,
         gain=1.1, optimizer="adam", lr=0.01, steps=5),
]


def optimize(c, tensors, loss_fn):
    """c["steps"] steps of torch.optim SGD or Adam (c["optimizer"], c["lr"]) on every tensor.

    Returns the loss before each step and after the last, and the gradients at step 0.
    """
    params = list(tensors.values())
    opt = torch.optim.SGD(params, lr=c["lr"]) if c["optimizer"] == "sgd" else torch.optim.Adam(params, lr=c["lr"])
    losses, grad0 = [], None
    for step in range(c["steps"] + 1):
        opt.zero_grad()
        loss = loss_fn()
        losses.append(float(loss))
        if step == c["steps"]:
            break
        loss.backward()
        if grad0 is None:
            grad0 = {k: t.grad.detach().numpy().copy() for k, t in tensors.items()}
        opt.step()
    return losses, grad0


def save_trajectory(out, init, grad0, tensors, x, y):
    """A training folder's arrays (tests/golden/training/README.md): <name>, grad0_<name>, final_<name>."""
    out.mkdir(parents=True, exist_ok=True)
    for k in init:
        np.save(out / (k + ".npy"), np.ascontiguousarray(init[k], dtype="<f8"))
        np.save(out / ("grad0_" + k + ".npy"), np.ascontiguousarray(grad0[k], dtype="<f8"))
        np.save(out / ("final_" + k + ".npy"), np.ascontiguousarray(tensors[k].detach().numpy(), dtype="<f8"))
    np.save(out / "inputs.npy", x)
    np.save(out / "targets.npy", y)
    return out


def make_training(c):
    """A torch.optim trajectory on ((W_out h + b_out - y)^2).mean(), every parameter trained."""
    B, T, H, N, O = c["B"], c["T"], c["H"], c["N"], c["O"]
    rng = np.random.default_rng(c["seed"])
    init = {}
    for name, shape in param_specs(c):
        scale = {"weight_ih": 1 / np.sqrt(N), "weight_hh": c["gain"] / np.sqrt(H)}.get(name, 0.3)
        init[name] = scale * rng.standard_normal(shape)
    init["readout_weight"] = rng.standard_normal((O, H)) / np.sqrt(H)
    init["readout_bias"] = 0.1 * rng.standard_normal(O)
    x, y = rng.standard_normal((B, T, N)), rng.standard_normal((B, T, O))
    cell_names = [k for k, _ in param_specs(c)]
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    xt, yt = torch.tensor(x), torch.tensor(y)

    def loss_fn():
        theta = torch.cat([tensors[k].reshape(-1) for k in cell_names])
        h = unroll(c, theta, xt)[:, :, :H]  # the readout sees h (an LSTM's state is [h; c])
        out = h @ tensors["readout_weight"].T + tensors["readout_bias"]
        return torch.nn.functional.mse_loss(out, yt)

    losses, grad0 = optimize(c, tensors, loss_fn)
    out = save_trajectory(HERE / "training" / c["name"], init, grad0, tensors, x, y)
    spec = {
        "cell": c["cell"], "hidden_size": H, "input_size": N, "output_size": O, "bias": c["bias"], "dt": c["dt"],
        "batch": B, "time": T, "loss": "mse_mean_on_readout_output", "optimizer": c["optimizer"],
        "torch_optim": "SGD(lr)" if c["optimizer"] == "sgd" else "Adam(lr) (betas 0.9, 0.999, eps 1e-8)",
        "lr": c["lr"], "steps": c["steps"], "trained": cell_names + ["readout"], "losses": losses,
        "torch": torch.__version__,
        "note": "losses[s] is the loss before step s+1; losses[steps] after the last step. h0 = 0.",
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
