"""Vision templates. Pixel columns also suit the tabular `logistic_regression`, `mlp` and gradient-boosting
templates; this module adds a small convolutional network in PyTorch. It reads the image's shape from
competition.yaml `image` (height, width, channels, layout, pixel_pattern; square greyscale `px_<row>_<col>`
columns when it is absent): its preprocessor hands it (n, channels, height, width) arrays.

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
from ..preprocess import FeatureSchema, build_image_preprocessor
from .base import CLASSIFICATION, Template, float_range, int_range, param


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise SolutionError(
            "template 'cnn' needs PyTorch, which is not installed on this worker; install "
            "runner/requirements-gpu.txt (GPU hosts) or pick logistic_regression / mlp / "
            "hist_gradient_boosting for pixel columns"
        ) from None
    return torch


def _image_preprocessor(schema: FeatureSchema, p: dict) -> Any:
    if schema.image is None:
        raise SolutionError(
            "template 'cnn' needs the image shape: add image: {height, width, channels} to "
            "competition.yaml (pixel columns px_{r}_{c}, or name yours with image.pixel_pattern)"
        )
    if schema.image.height < 4 or schema.image.width < 4:
        raise SolutionError(
            f"template 'cnn' needs images of at least 4x4 pixels, got {schema.image.height}x{schema.image.width}"
        )
    return build_image_preprocessor(schema)


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
        self._live: tuple[Any, Any, Any] | None = None

    def __getstate__(self) -> dict:
        fields = dict(self.__dict__)
        live = fields.pop("_live")
        if live is not None:
            torch, (net, opt, _) = _torch(), live
            buffer = io.BytesIO()
            torch.save({"net": net.state_dict(), "opt": opt.state_dict()}, buffer)
            fields["state"] = buffer.getvalue()
        return fields

    def __setstate__(self, fields: dict) -> None:
        self.__dict__.update(fields, _live=None)

    def _net(self, torch: Any, n_classes: int, shape: tuple[int, int, int]) -> Any:
        nn = torch.nn
        c = self.p["channels"]
        channels, height, width = shape
        return nn.Sequential(
            nn.Conv2d(channels, c, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(self.p["dropout"]),
            nn.Linear(2 * c * (height // 4) * (width // 4), n_classes),
        )

    def _load(self, torch: Any, shape: tuple[int, int, int]) -> tuple[Any, Any, Any]:
        if self._live is not None:
            return self._live
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.manual_seed(self.seed)
        net = self._net(torch, len(self.classes_), shape).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.p["learning_rate"], weight_decay=self.p["weight_decay"])
        if self.state is not None:
            saved = torch.load(io.BytesIO(self.state), map_location=device)
            net.load_state_dict(saved["net"])
            opt.load_state_dict(saved["opt"])
        self._live = (net, opt, device)
        return self._live

    def train_epoch(self, X: np.ndarray, y: np.ndarray, epoch: int) -> None:
        torch = _torch()
        if self.classes_ is None:
            self.classes_ = np.unique(y)
        net, opt, device = self._load(torch, X.shape[1:])
        # Dropout draws from the global generators: seeding them per epoch makes a resumed epoch
        # draw the same masks as the uninterrupted run.
        torch.manual_seed(self.seed * 1000 + epoch)
        generator = torch.Generator().manual_seed(self.seed * 1000 + epoch)
        # The whole fold goes to the device once per epoch, not batch by batch.
        xs = torch.as_tensor(X, dtype=torch.float32).to(device)
        ys = torch.as_tensor(np.searchsorted(self.classes_, y), dtype=torch.long).to(device)
        order = torch.randperm(len(xs), generator=generator).to(device)
        net.train()
        for start in range(0, len(xs), self.p["batch_size"]):
            idx = order[start : start + self.p["batch_size"]]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xs[idx]), ys[idx])
            loss.backward()
            opt.step()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        torch = _torch()
        net, _, device = self._load(torch, X.shape[1:])
        net.eval()
        out = []
        with torch.no_grad():
            xs = torch.as_tensor(X, dtype=torch.float32)
            for start in range(0, len(xs), 1024):
                out.append(torch.softmax(net(xs[start : start + 1024].to(device)), dim=1).cpu().numpy())
        return np.concatenate(out).astype(np.float64)


def _setup(p: dict) -> None:
    _torch()  # fail fast, before any data is read, when torch is missing


def _build_cnn(p: dict, task: str, seed: int) -> Any:
    return SmallCNN(p, seed % (2**31))


def _cnn_epoch(model: Any, X: np.ndarray, y: np.ndarray, epoch: int, p: dict, classes: np.ndarray | None) -> None:
    model.train_epoch(X, y, epoch)


TEMPLATES: list[Template] = [
    Template(
        "cnn",
        CLASSIFICATION,
        "scaled",
        {
            "epochs": param(int_range(1, 200), 10),
            "channels": param(int_range(4, 128), 16),
            "learning_rate": param(float_range(0.0, 1.0, lo_open=True), 1e-3),
            "weight_decay": param(float_range(0.0), 0.0),
            "dropout": param(float_range(0.0, 0.9), 0.2),
            "batch_size": param(int_range(8, 4096), 128),
        },
        _build_cnn,
        _cnn_epoch,
        setup=_setup,
        make_preprocessor=_image_preprocessor,
        available=torch_available,
    ),
]
