"""Vision templates. Pixel columns `px_<row>_<col>` also suit the tabular `logistic_regression`,
`mlp` and gradient-boosting templates; this module adds a small convolutional network in PyTorch.

torch is optional (runner/requirements-gpu.txt; not in the CPU requirements, its default Linux
wheels pull ~2.5 GB of CUDA libraries). It is imported lazily: without it `cnn` fails with a
solution error, and the offline engineer leaves it out of its portfolio (`torch_available()`).
The CNN uses the GPU when one is visible (CUDA_VISIBLE_DEVICES), else the CPU.
"""

from __future__ import annotations

import importlib.util
import io
from typing import Any

import numpy as np

from ..errors import SolutionError
from .base import CLASSIFICATION, Template, float_range, int_range, param


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise SolutionError("template 'cnn' needs PyTorch, which is not installed on this worker; install "
                            "runner/requirements-gpu.txt (GPU hosts) or pick logistic_regression / mlp / "
                            "hist_gradient_boosting for pixel columns") from None
    return torch


def _image_side(n_features: int) -> int:
    side = int(round(n_features ** 0.5))
    if side * side != n_features:
        raise SolutionError(f"template 'cnn' needs square greyscale images as px_<row>_<col> columns; got "
                            f"{n_features} pixel features")
    return side


class SmallCNN:
    """Two conv blocks + a linear head, trained one epoch (one pass of mini-batches) at a time.

    The live network and optimiser stay on their device between epochs; pickling (a checkpoint)
    stores their state as bytes (torch.save), so the object unpickles without torch being imported
    by other templates, and a resumed run continues exactly where the checkpoint stopped.
    """

    def __init__(self, p: dict, seed: int) -> None:
        self.p = dict(p)
        self.seed = seed
        self.classes_: np.ndarray | None = None
        self.state: bytes | None = None
        self._live: tuple[Any, Any, Any, int] | None = None

    def __getstate__(self) -> dict:
        fields = dict(self.__dict__)
        live = fields.pop("_live")
        if live is not None:
            torch, (net, opt, _, _) = _torch(), live
            buffer = io.BytesIO()
            torch.save({"net": net.state_dict(), "opt": opt.state_dict()}, buffer)
            fields["state"] = buffer.getvalue()
        return fields

    def __setstate__(self, fields: dict) -> None:
        self.__dict__.update(fields, _live=None)

    def _net(self, torch: Any, n_classes: int, side: int) -> Any:
        nn = torch.nn
        c = self.p["channels"]
        return nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(self.p["dropout"]), nn.Linear(2 * c * (side // 4) ** 2, n_classes),
        )

    def _load(self, torch: Any, n_features: int) -> tuple[Any, Any, Any, int]:
        if self._live is not None:
            return self._live
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        side = _image_side(n_features)
        torch.manual_seed(self.seed)
        net = self._net(torch, len(self.classes_), side).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.p["learning_rate"], weight_decay=self.p["weight_decay"])
        if self.state is not None:
            saved = torch.load(io.BytesIO(self.state), map_location=device)
            net.load_state_dict(saved["net"])
            opt.load_state_dict(saved["opt"])
        self._live = (net, opt, device, side)
        return self._live

    def train_epoch(self, X: np.ndarray, y: np.ndarray, epoch: int) -> None:
        torch = _torch()
        if self.classes_ is None:
            self.classes_ = np.unique(y)
        net, opt, device, side = self._load(torch, X.shape[1])
        # Dropout draws from the global generators: seeding them per epoch makes a resumed epoch
        # draw the same masks as the uninterrupted run.
        torch.manual_seed(self.seed * 1000 + epoch)
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        # The whole fold goes to the device once per epoch, not batch by batch.
        xs = torch.as_tensor(X, dtype=torch.float32).reshape(-1, 1, side, side).to(device)
        ys = torch.as_tensor(np.searchsorted(self.classes_, y), dtype=torch.long).to(device)
        order = torch.randperm(len(xs), generator=generator).to(device)
        net.train()
        for start in range(0, len(xs), self.p["batch_size"]):
            idx = order[start:start + self.p["batch_size"]]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xs[idx]), ys[idx])
            loss.backward()
            opt.step()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        torch = _torch()
        net, _, device, side = self._load(torch, X.shape[1])
        net.eval()
        out = []
        with torch.no_grad():
            xs = torch.as_tensor(X, dtype=torch.float32).reshape(-1, 1, side, side)
            for start in range(0, len(xs), 1024):
                out.append(torch.softmax(net(xs[start:start + 1024].to(device)), dim=1).cpu().numpy())
        return np.concatenate(out).astype(np.float64)


def _setup(p: dict) -> None:
    _torch()  # fail fast, before any data is read, when torch is missing


def _build_cnn(p: dict, task: str, seed: int) -> Any:
    return SmallCNN(p, seed % (2**31))


def _cnn_epoch(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.train_epoch(X, y, epoch)


TEMPLATES: list[Template] = [
    Template(
        "cnn", CLASSIFICATION, "scaled",
        {
            "epochs": param(int_range(1, 200), 10),
            "channels": param(int_range(4, 128), 16),
            "learning_rate": param(float_range(0.0, 1.0, lo_open=True), 1e-3),
            "weight_decay": param(float_range(0.0), 0.0),
            "dropout": param(float_range(0.0, 0.9), 0.2),
            "batch_size": param(int_range(8, 4096), 128),
        },
        _build_cnn, _cnn_epoch, setup=_setup, available=torch_available,
    ),
]
