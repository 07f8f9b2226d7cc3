"""Vision built-ins: greyscale images as pixel columns `px_<row>_<col>` (row-major), plus `target`.

Sources: sklearn's digits, Debian's dataset-fashion-mnist (IDX files under
/usr/share/datasets/fashion-mnist; `apt-get install dataset-fashion-mnist`), and images bundled in
the scikit-image wheel (texture photographs; the LFW face/non-face subset).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot")
FASHION_SEED = 7  # fixed forever: picks the fashion-mnist subset


def pixel_frame(images: np.ndarray, target: np.ndarray) -> pd.DataFrame:
    """(n, h, w) integer images -> px_<r>_<c> columns + target."""
    n, h, w = images.shape
    frame = pd.DataFrame(
        images.reshape(n, h * w).astype("int64"), columns=[f"px_{r}_{c}" for r in range(h) for c in range(w)]
    )
    frame["target"] = target
    return frame


def digits() -> pd.DataFrame:
    # 8x8 greyscale images (values 0-16).
    bunch = datasets.load_digits()
    return pixel_frame(bunch.images.astype("int64"), bunch.target.astype("int64"))


def read_idx(name: str, directory: Path = FASHION_DIR) -> np.ndarray:
    path = directory / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: install Debian's dataset-fashion-mnist package "
            "(apt-get install dataset-fashion-mnist; infra/setup.sh does)"
        )
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def _fashion() -> tuple[np.ndarray, np.ndarray]:
    """All 70000 images, downsampled 28x28 -> 14x14 by 2x2 mean pooling (rounded), and labels."""
    images = np.concatenate([read_idx("train-images-idx3-ubyte.gz"), read_idx("t10k-images-idx3-ubyte.gz")])
    labels = np.concatenate([read_idx("train-labels-idx1-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")])
    pooled = images.reshape(-1, 14, 2, 14, 2).astype(np.int64).sum(axis=(2, 4))
    return (pooled + 2) // 4, labels.astype(np.int64)


def fashion_mnist() -> pd.DataFrame:
    # A seeded 16000-image sample of all ten classes (the full 70000 would make CPU folds slow).
    images, labels = _fashion()
    pick = np.sort(np.random.RandomState(FASHION_SEED).choice(len(labels), 16000, replace=False))
    names = np.array(FASHION_CLASSES)
    return pixel_frame(images[pick], names[labels[pick]])


def fashion_shirts() -> pd.DataFrame:
    # The hardest pair: shirt vs t-shirt (all 14000 images of the two classes).
    images, labels = _fashion()
    pick = np.flatnonzero((labels == 0) | (labels == 6))
    return pixel_frame(images[pick], (labels[pick] == 6).astype(np.int64))


def _skimage_data() -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent


TEXTURES = ("brick", "grass", "gravel")


def textures() -> pd.DataFrame:
    # Non-overlapping 16x16 patches of three 512x512 texture photographs bundled with scikit-image,
    # each patch darkened/brightened by a seeded factor so mean brightness alone does not tell them apart.
    from skimage import io

    rand = np.random.RandomState(11)
    images, target = [], []
    for name in TEXTURES:
        image = io.imread(_skimage_data() / f"{name}.png").astype(np.float64)
        patches = image.reshape(32, 16, 32, 16).transpose(0, 2, 1, 3).reshape(-1, 16, 16)
        factors = rand.uniform(0.6, 1.4, size=len(patches))[:, None, None]
        images.append(np.clip(np.rint(patches * factors), 0, 255).astype(np.int64))
        target += [name] * len(patches)
    return pixel_frame(np.concatenate(images), np.array(target))


def lfw_faces() -> pd.DataFrame:
    # scikit-image's LFW subset: 100 face and 100 non-face 25x25 crops (floats in [0, 1] -> 0-255).
    images = np.load(_skimage_data() / "lfw_subset.npy")
    target = np.array([1] * 100 + [0] * 100, dtype=np.int64)
    return pixel_frame(np.rint(images * 255).astype(np.int64), target)


PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "ihc")
PHOTO_PATCH = 12
PHOTO_SEED = 13  # fixed forever: the brightness factors


def rgb_pixel_frame(images: np.ndarray, target: np.ndarray) -> pd.DataFrame:
    """(n, h, w, c) integer images -> px_<r>_<c>_<ch> columns (row, column, channel order: hwc) + target."""
    n, h, w, c = images.shape
    frame = pd.DataFrame(
        images.reshape(n, h * w * c).astype("int64"),
        columns=[f"px_{r}_{col}_{ch}" for r in range(h) for col in range(w) for ch in range(c)],
    )
    frame["target"] = target
    return frame


def photo_patches() -> pd.DataFrame:
    # Non-overlapping 12x12 RGB patches of five colour photographs bundled with scikit-image (astronaut, a cat,
    # a coffee cup, a rocket launch, an immunohistochemistry slide): which photograph is the patch from? Each patch
    # is scaled by one seeded brightness factor (all channels alike), so colour balance and texture decide, not
    # brightness. Patches of a single flat colour (channel std < 2 everywhere) are dropped: nothing to tell.
    from skimage import io

    rand = np.random.RandomState(PHOTO_SEED)
    images, target = [], []
    for name in PHOTOS:
        image = io.imread(
            _skimage_data() / f"{name}.png"
            if (_skimage_data() / f"{name}.png").exists()
            else _skimage_data() / f"{name}.jpg"
        )[..., :3].astype(np.float64)
        rows, cols = image.shape[0] // PHOTO_PATCH, image.shape[1] // PHOTO_PATCH
        grid = image[: rows * PHOTO_PATCH, : cols * PHOTO_PATCH].reshape(rows, PHOTO_PATCH, cols, PHOTO_PATCH, 3)
        patches = grid.transpose(0, 2, 1, 3, 4).reshape(-1, PHOTO_PATCH, PHOTO_PATCH, 3)
        patches = patches[patches.std(axis=(1, 2)).max(axis=1) >= 2]
        factors = rand.uniform(0.7, 1.3, size=len(patches))[:, None, None, None]
        images.append(np.clip(np.rint(patches * factors), 0, 255).astype(np.int64))
        target += [name] * len(patches)
    return rgb_pixel_frame(np.concatenate(images), np.array(target))


BUILDERS: dict[str, Callable[[], pd.DataFrame]] = {
    "digits": digits,
    "fashion-mnist": fashion_mnist,
    "fashion-shirts": fashion_shirts,
    "textures": textures,
    "lfw-faces": lfw_faces,
    "photo-patches": photo_patches,
}
