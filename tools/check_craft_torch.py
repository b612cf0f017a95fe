"""Check textpost's torch-free CRAFT against torch's own forward pass (a maintainer's script).

The stored outputs in tests/expected/craft_torch_*.npz come from this script; the tests
compare textpost.detector with them on every run, without torch.  Three steps:

1. in the workshop's environment, draw the inputs (two small RGB crops of text pages):

       .venv/bin/python tools/check_craft_torch.py inputs

2. in a scratch environment with torch and numpy only (torch is large: it is a check, not
   a dependency of the workshop), run torch's forward pass and store its maps:

       python3 -m venv /tmp/scratch-torch
       /tmp/scratch-torch/bin/pip install numpy torch
       /tmp/scratch-torch/bin/python tools/check_craft_torch.py torch \\
           --weights "$(.venv/bin/python -c 'import textpost.detector as d; print(d.check_weights())')"

3. back in the workshop's environment, compare:

       .venv/bin/python tools/check_craft_torch.py compare

The torch model below is CRAFT's architecture (VGG16-BN slices of torchvision's
``features`` with their in-place ReLUs, fc6/fc7, the U-Net up-path, the classifier),
written out here so that the scratch environment needs neither torchvision nor CRAFT's code.
Pre-processing is CRAFT's ``imgproc`` without the resize (the crops are smaller than the
canvas): zero padding to multiples of 32, then ImageNet mean and variance.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = ROOT / "tests" / "expected"
#: (height, width) of the two inputs: one a multiple of 32, one that needs padding
SIZES = ((64, 96), (120, 150))
MEAN = (0.485, 0.456, 0.406)
VARIANCE = (0.229, 0.224, 0.225)


def npz_path(h: int, w: int) -> Path:
    return EXPECTED / f"craft_torch_{h}x{w}.npz"


def normalise(image: np.ndarray) -> np.ndarray:
    """CRAFT's imgproc on an image no larger than the canvas: pad with zeros to 32, normalise."""
    h, w, _ = image.shape
    h32, w32 = -(-h // 32) * 32, -(-w // 32) * 32
    canvas = np.zeros((h32, w32, 3), np.float32)
    canvas[:h, :w] = image
    canvas -= np.array([m * 255.0 for m in MEAN], np.float32)
    canvas /= np.array([v * 255.0 for v in VARIANCE], np.float32)
    return np.ascontiguousarray(canvas.transpose(2, 0, 1)[None])


# --------------------------------------------------------------------------- step 1: the inputs

def make_inputs() -> None:
    sys.path.insert(0, str(ROOT))
    from textpost.render import render_text_page
    EXPECTED.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2024)
    # 64 x 96: black text on white, a crop of a drawn page
    page = render_text_page(n_words=20, size=(160, 240), font_size=14, seed=5)
    a = page.image[8:72, 10:106].copy()
    # 120 x 150: coloured text on a coloured, noisy background (all three channels differ)
    page = render_text_page(n_words=15, size=(200, 220), font_size=18, seed=6, font="DejaVuSerif.ttf")
    ink = page.image[20:140, 10:160, 0].astype(np.float32) / 255.0
    yy, xx = np.mgrid[0:120, 0:150].astype(np.float32)
    background = np.stack([200 + 40 * np.sin(xx / 17), 180 + 60 * (yy / 120), 230 - 50 * (xx / 150)], axis=2)
    background += rng.normal(0, 12, background.shape)
    text_colour = np.array([30, 60, 140], np.float32)
    b = ink[:, :, None] * background + (1 - ink[:, :, None]) * text_colour
    b = np.clip(np.round(b), 0, 255).astype(np.uint8)
    for img in (a, b):
        h, w, _ = img.shape
        np.savez_compressed(npz_path(h, w), image=img)
        print(f"wrote {npz_path(h, w).relative_to(ROOT)} (image only; run the torch step next)")


# --------------------------------------------------------------------------- step 2: torch

def torch_craft():
    import torch
    from torch import nn
    import torch.nn.functional as F

    def features():
        layers, c = [], 3
        for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                c = v
        return layers

    class Vgg(nn.Module):
        def __init__(self):
            super().__init__()
            f = features()
            for n, (a, b) in enumerate(((0, 12), (12, 19), (19, 29), (29, 39)), start=1):
                s = nn.Sequential()
                for i in range(a, b):
                    s.add_module(str(i), f[i])
                setattr(self, f"slice{n}", s)
            self.slice5 = nn.Sequential(nn.MaxPool2d(3, 1, 1),
                                        nn.Conv2d(512, 1024, 3, padding=6, dilation=6),
                                        nn.Conv2d(1024, 1024, 1))

        def forward(self, x):
            # the ReLU(inplace=True) opening slices 2-4 rectifies the tensor saved before it
            h = self.slice1(x); s2 = h
            h = self.slice2(h); s3 = h
            h = self.slice3(h); s4 = h
            h = self.slice4(h); s5 = h
            h = self.slice5(h)
            return h, s5, s4, s3, s2

    def double_conv(i, m, o):
        return nn.Sequential(nn.Conv2d(i + m, m, 1), nn.BatchNorm2d(m), nn.ReLU(inplace=True),
                             nn.Conv2d(m, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

    class DoubleConv(nn.Module):
        def __init__(self, i, m, o):
            super().__init__()
            self.conv = double_conv(i, m, o)

        def forward(self, x):
            return self.conv(x)

    class Craft(nn.Module):
        def __init__(self):
            super().__init__()
            self.basenet = Vgg()
            self.upconv1 = DoubleConv(1024, 512, 256)
            self.upconv2 = DoubleConv(512, 256, 128)
            self.upconv3 = DoubleConv(256, 128, 64)
            self.upconv4 = DoubleConv(128, 64, 32)
            self.conv_cls = nn.Sequential(
                nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(16, 16, 1), nn.ReLU(inplace=True),
                nn.Conv2d(16, 2, 1))

        def forward(self, x):
            s = self.basenet(x)
            y = self.upconv1(torch.cat([s[0], s[1]], 1))
            for up, skip in ((self.upconv2, s[2]), (self.upconv3, s[3]), (self.upconv4, s[4])):
                y = F.interpolate(y, size=skip.shape[2:], mode="bilinear", align_corners=False)
                y = up(torch.cat([y, skip], 1))
            return self.conv_cls(y).permute(0, 2, 3, 1)

    return Craft()


def run_torch(weights: Path) -> None:
    import torch
    state = torch.load(str(weights), map_location="cpu", weights_only=True)
    state = {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}
    net = torch_craft()
    net.load_state_dict(state, strict=True)
    net.eval()
    torch.set_num_threads(1)
    for h, w in SIZES:
        path = npz_path(h, w)
        image = np.load(path)["image"]
        with torch.no_grad():
            y = net(torch.from_numpy(normalise(image)))[0].numpy()
        np.savez_compressed(path, image=image, textmap=y[:, :, 0].copy(), linkmap=y[:, :, 1].copy(),
                            torch_version=np.array(torch.__version__))
        print(f"{path.name}: torch {torch.__version__} maps {y.shape[:2]}, "
              f"region max {y[:, :, 0].max():.3f}, affinity max {y[:, :, 1].max():.3f}")


# --------------------------------------------------------------------------- step 3: compare

def compare() -> float:
    sys.path.insert(0, str(ROOT))
    from textpost.detector import run_craft
    worst = 0.0
    for h, w in SIZES:
        ref = np.load(npz_path(h, w))
        textmap, linkmap, scale = run_craft(ref["image"], canvas_size=max(h, w))
        d = max(float(np.abs(textmap - ref["textmap"]).max()), float(np.abs(linkmap - ref["linkmap"]).max()))
        worst = max(worst, d)
        print(f"{h} x {w}: max |textpost - torch {ref['torch_version']}| = {d:.2e} "
              f"(maps {textmap.shape}, scale {scale})")
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("inputs", "torch", "compare"))
    parser.add_argument("--weights", type=Path, help="craft_mlt_25k.pth (the torch step)")
    args = parser.parse_args(argv)
    if args.step == "inputs":
        make_inputs()
    elif args.step == "torch":
        if args.weights is None:
            parser.error("the torch step needs --weights PATH")
        run_torch(args.weights)
    else:
        return 0 if compare() <= 1e-4 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
