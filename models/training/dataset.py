"""YOLO-format datasets (images/, labels/*.txt with `class cx cy w h` normalised, data.yaml with names),
letterboxed once into memory at the model's input size with the Ultralytics convention."""
import os
import re

import cv2
import numpy as np


def read_names(directory):
    """Class names from data.yaml (`names:` as a list or as `i: name` lines)."""
    path = os.path.join(directory, "data.yaml")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: a YOLO dataset needs data.yaml with its class names")
    text = open(path, encoding="utf-8").read()
    inline = re.search(r"^names:\s*\[(.*?)\]", text, re.M | re.S)
    if inline:
        return [n.strip().strip("'\"") for n in inline.group(1).split(",") if n.strip()]
    names = {}
    block = False
    for line in text.splitlines():
        if re.match(r"^names:\s*$", line):
            block = True
            continue
        if block:
            m = re.match(r"^\s+(\d+):\s*(.+?)\s*$", line)
            if m:
                names[int(m.group(1))] = m.group(2).strip("'\"")
                continue
            m = re.match(r"^\s+-\s*(.+?)\s*$", line)
            if m:
                names[len(names)] = m.group(1).strip("'\"")
                continue
            if line.strip():
                break
    if not names:
        raise ValueError(f"{path}: no class names found")
    return [names[i] for i in range(len(names))]


def letterbox(image, height, width):
    """Ultralytics LetterBox: keep aspect, centre, pad 114 (Python rounding). Returns image, gain, (left, top)."""
    h, w = image.shape[:2]
    r = min(height / h, width / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (width - nw) / 2, (height - nh) / 2
    if (nw, nh) != (w, h):
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    image = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return image, r, (left, top)


class Dataset:
    """All images as uint8 RGB [N,H,W,3] plus per-image boxes [k,5] = class, x1, y1, x2, y2 in input pixels."""

    def __init__(self, directory, height, width, names=None, class_map=None):
        self.names = read_names(directory) if names is None else names
        image_dir = os.path.join(directory, "images")
        label_dir = os.path.join(directory, "labels")
        files = sorted(f for f in os.listdir(image_dir) if f.lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".webp")))
        if not files:
            raise ValueError(f"{image_dir} holds no images")
        self.images = np.zeros((len(files), height, width, 3), np.uint8)
        self.boxes = []
        for i, f in enumerate(files):
            bgr = cv2.imread(os.path.join(image_dir, f), cv2.IMREAD_COLOR)
            if bgr is None:
                raise ValueError(f"cannot decode {f}")
            h, w = bgr.shape[:2]
            img, r, (left, top) = letterbox(bgr, height, width)
            self.images[i] = img[:, :, ::-1]
            rows = []
            label = os.path.join(label_dir, os.path.splitext(f)[0] + ".txt")
            if os.path.exists(label):
                for line in open(label, encoding="utf-8"):
                    parts = line.split()
                    if len(parts) != 5:
                        continue
                    c = int(parts[0])
                    if class_map is not None:
                        c = class_map[c]
                    cx, cy, bw, bh = (float(v) for v in parts[1:])
                    x1 = (cx - bw / 2) * w * r + left
                    y1 = (cy - bh / 2) * h * r + top
                    x2 = (cx + bw / 2) * w * r + left
                    y2 = (cy + bh / 2) * h * r + top
                    rows.append([c, x1, y1, x2, y2])
            self.boxes.append(np.array(rows, np.float32).reshape(-1, 5))

    def __len__(self):
        return len(self.images)

    def batch(self, indices, rng=None, flip=True):
        """Float tensor data [B,3,H,W] in 0..1 and a list of box arrays (horizontal flips when rng is given)."""
        imgs = self.images[indices].copy()
        boxes = [self.boxes[i].copy() for i in indices]
        if rng is not None and flip:
            width = imgs.shape[2]
            for k in range(len(indices)):
                if rng.random() < 0.5:
                    imgs[k] = imgs[k, :, ::-1]
                    b = boxes[k]
                    x1 = width - b[:, 3]
                    x2 = width - b[:, 1]
                    b[:, 1], b[:, 3] = x1, x2
        data = imgs.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        return data, boxes
