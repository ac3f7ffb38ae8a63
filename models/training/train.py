#!/usr/bin/python3
"""Train the anchor-free detector on a YOLO-format dataset and export ONNX (Ultralytics YOLOv8 detect convention).

Contract (also used by the server's retraining hook):
  inputs : --data DIR (YOLO dataset), optional --weights CHECKPOINT (fine-tune; classes are matched by name and new
           ones added), --out DIR, hyper-parameters
  outputs: DIR/model.onnx, DIR/checkpoint.pt, DIR/train.json (command, seed, data size, time, losses),
           DIR/parity.json + DIR/parity_output.bin (PyTorch output on a fixed input, to check the ONNX export)
  stdout : one line per epoch: `progress {"epoch": e, "epochs": E, "loss": ..., "eta_s": ...}`
Run with Debian's python3 (python3-torch, python3-numpy, python3-opencv, python3-onnx); no pip needed.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dataset import Dataset, read_names  # noqa: E402
from detector import STRIDES, Detector, ExportWrapper, anchor_points, flatten  # noqa: E402
from loss import detection_loss  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="YOLO dataset directory (images/, labels/, data.yaml)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--weights", help="checkpoint to start from (fine-tuning; new class names are added)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--imgsz", default="288,512", help="input height,width (multiples of 32)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-iters", type=int, default=0, help="stop after this many iterations (smoke tests)")
    p.add_argument("--freeze", choices=["none", "backbone"], default="none",
                   help="fine-tuning: keep the backbone (stem and stages) and its BatchNorm statistics fixed, "
                        "train neck and head only (less forgetting of the base classes, faster)")
    return p.parse_args(argv)


class Ema:
    """Exponential moving average of the weights, ramped up early in training (as Ultralytics' ModelEMA)."""

    def __init__(self, model, decay=0.9995, tau=1000):
        self.model = Detector(model.num_classes)
        self.model.load_state_dict(model.state_dict())
        self.model.eval()
        self.updates = 0
        self.decay = lambda n: decay * (1 - math.exp(-n / tau))
        for p in self.model.parameters():
            p.requires_grad_(False)

    def update(self, model):
        self.updates += 1
        d = self.decay(self.updates)
        with torch.no_grad():
            msd = model.state_dict()
            for k, v in self.model.state_dict().items():
                if v.dtype.is_floating_point:
                    v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
                else:
                    v.copy_(msd[k])


def parity_input(height, width):
    """A fixed, smooth test pattern in [0,1], reproducible in any language."""
    c = np.arange(3, dtype=np.float64)[:, None, None]
    y = np.arange(height, dtype=np.float64)[None, :, None]
    x = np.arange(width, dtype=np.float64)[None, None, :]
    v = 0.5 + 0.5 * np.sin(0.05 * x * (c + 1) + 0.07 * y) * np.cos(0.03 * (x + y))
    return v.astype(np.float32)[None]


def export(model, names, height, width, out_dir, provenance):
    import onnx

    wrapper = ExportWrapper(model, height, width).eval()
    path = os.path.join(out_dir, "model.onnx")
    dummy = torch.zeros(1, 3, height, width)
    torch.onnx.export(
        wrapper, dummy, path, opset_version=17, input_names=["images"], output_names=["output0"],
        dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}}, do_constant_folding=True)
    proto = onnx.load(path)
    meta = {
        "names": "{" + ", ".join(f"{i}: '{n}'" for i, n in enumerate(names)) + "}",
        "imgsz": f"[{height}, {width}]",
        "stride": str(max(STRIDES)),
        "task": "detect",
        "end2end": "False",
        "batch": "1",
        "description": "InferenceServer shapes detector (models/training)",
        "author": "InferenceServer",
    }
    del proto.metadata_props[:]
    for k, v in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(proto)
    onnx.save(proto, path)

    with torch.no_grad():
        out = wrapper(torch.from_numpy(parity_input(height, width))).numpy().astype("<f4")
    out.tofile(os.path.join(out_dir, "parity_output.bin"))
    with open(os.path.join(out_dir, "parity.json"), "w") as f:
        json.dump({"input": "0.5 + 0.5*sin(0.05*x*(c+1) + 0.07*y)*cos(0.03*(x+y)), float64 then float32, [1,3,H,W]",
                   "height": height, "width": width, "output_shape": list(out.shape), **provenance}, f, indent=2)
    return path


def main(argv):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    height, width = (int(v) for v in args.imgsz.split(","))
    if height % 32 or width % 32:
        sys.exit(f"error: --imgsz {args.imgsz}: height and width must be multiples of 32")
    os.makedirs(args.out, exist_ok=True)

    names = read_names(args.data)
    model = None
    if args.weights:
        ckpt = torch.load(args.weights, map_location="cpu")
        base_names = ckpt["names"]
        # Keep the base model's classes in their order and append new ones, so old ids stay valid.
        merged = list(base_names) + [n for n in names if n not in base_names]
        model = Detector(len(base_names))
        model.load_state_dict(ckpt["model"])
        if merged != list(base_names):
            model.replace_classes(len(merged), [i if i < len(base_names) else None for i in range(len(merged))])
        class_map = {i: merged.index(n) for i, n in enumerate(names)}
        names = merged
    else:
        class_map = None
        model = Detector(len(names))

    t0 = time.time()
    data = Dataset(args.data, height, width, names=None, class_map=class_map)
    print(f"loaded {len(data)} images, {sum(len(b) for b in data.boxes)} boxes, classes {names} "
          f"in {time.time() - t0:.1f}s", flush=True)

    points, strides = anchor_points(height, width)
    level_index = torch.cat([torch.full((math.ceil(height / s) * math.ceil(width / s),), i, dtype=torch.long)
                             for i, s in enumerate(STRIDES)])
    frozen = [model.stem, model.s8, model.s16, model.s32] if args.freeze == "backbone" else []
    for m in frozen:
        for p in m.parameters():
            p.requires_grad_(False)
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 else decay).append(p)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = max(1, len(data) // args.batch)
    total = steps_per_epoch * args.epochs
    warmup = min(300, total // 10)

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup))))

    ema = Ema(model)
    rng = np.random.default_rng(args.seed)
    step = 0
    history = []
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        for m in frozen:
            m.eval()  # frozen BatchNorm keeps the base model's statistics
        order = rng.permutation(len(data))
        sums = np.zeros(3)
        for b in range(steps_per_epoch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            images, boxes = data.batch(idx, rng)
            for g in optimizer.param_groups:
                g["lr"] = lr_at(step)
            logits, dist = flatten(model(torch.from_numpy(images)))
            loss, cls_l, box_l = detection_loss(logits, dist, points, strides, level_index,
                                                [torch.from_numpy(x) for x in boxes])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 10.0)
            optimizer.step()
            ema.update(model)
            sums += [loss.item(), cls_l.item(), box_l.item()]
            step += 1
            if args.max_iters and step >= args.max_iters:
                break
        n = b + 1
        elapsed = time.time() - start
        eta = elapsed / (epoch + 1) * (args.epochs - epoch - 1)
        record = {"epoch": epoch + 1, "epochs": args.epochs, "loss": round(sums[0] / n, 4), "cls": round(sums[1] / n, 4),
                  "box": round(sums[2] / n, 4), "lr": round(lr_at(step), 6), "elapsed_s": round(elapsed, 1),
                  "eta_s": round(eta, 1)}
        history.append(record)
        print("progress " + json.dumps(record), flush=True)
        if args.max_iters and step >= args.max_iters:
            break

    final = ema.model
    torch.save({"model": final.state_dict(), "names": names, "imgsz": [height, width]},
               os.path.join(args.out, "checkpoint.pt"))
    provenance = {
        "command": "/usr/bin/python3 models/training/train.py " + " ".join(argv),
        "seed": args.seed, "images": len(data), "boxes": int(sum(len(b) for b in data.boxes)),
        "epochs": len(history), "train_seconds": round(time.time() - start, 1), "names": names,
        "torch": torch.__version__,
    }
    path = export(final, names, height, width, args.out, provenance)
    with open(os.path.join(args.out, "train.json"), "w") as f:
        json.dump({**provenance, "history": history}, f, indent=2)
    print(f"exported {path} ({os.path.getsize(path)} bytes) classes={names} imgsz=[{height}, {width}]", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
