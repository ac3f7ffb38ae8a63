#!/usr/bin/python3
"""Assembles a registry version folder from a training output: copies model.onnx, checkpoint.pt and the parity
files, and writes manifest.json with the provenance (from train.json) and the measured metrics (from eval.json).

usage: make_manifest.py TRAIN_OUT VERSION_DIR [--eval EVAL_JSON] [--command "the command that made it"]
"""
import argparse
import json
import os
import shutil


def main():
    p = argparse.ArgumentParser()
    p.add_argument("train_out")
    p.add_argument("version_dir")
    p.add_argument("--eval", help="eval.json written by `infer eval --json`")
    p.add_argument("--speed", help="speed.json (raw ONNX Runtime throughput) to record")
    p.add_argument("--command", help="the documented command that regenerates this version")
    args = p.parse_args()

    os.makedirs(args.version_dir, exist_ok=True)
    for name in ("model.onnx", "checkpoint.pt", "parity.json", "parity_output.bin", "train.json"):
        shutil.copyfile(os.path.join(args.train_out, name), os.path.join(args.version_dir, name))
    train = json.load(open(os.path.join(args.train_out, "train.json")))
    parity = json.load(open(os.path.join(args.train_out, "parity.json")))
    provenance = {k: train[k] for k in ("command", "seed", "images", "boxes", "epochs", "train_seconds", "torch")}
    if args.command:
        provenance["regenerate"] = args.command
    manifest = {
        "decoder": "yolov8",
        "labels": train["names"],
        "input_width": parity["width"],
        "input_height": parity["height"],
        "preprocess": "ultralytics",
        "confidence_threshold": 0.25,
        "iou_threshold": 0.5,
        "max_detections": 100,
        "provenance": provenance,
    }
    metrics = {}
    if args.eval:
        metrics["heldout"] = json.load(open(args.eval))
    if args.speed:
        metrics["speed"] = json.load(open(args.speed))
    if metrics:
        manifest["metrics"] = metrics
    with open(os.path.join(args.version_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {args.version_dir}")


if __name__ == "__main__":
    main()
