#!/usr/bin/python3
"""Writes the measured tables into docs/performance.md between <!-- tables:begin --> and <!-- tables:end -->.
usage: make_report.py RESULTS_DIR docs/performance.md MODEL..."""
import json
import os
import platform
import sys


def load(path):
    return json.load(open(path)) if os.path.exists(path) else None


def main():
    out, doc, models = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines = [f"Measured {os.popen('date -u +%Y-%m-%d').read().strip()} on {os.cpu_count()} cores ({platform.machine()}), "
             "1280x720 JPEG frames (q90), server and clients on the same machine.", ""]
    lines += ["### Throughput against the baselines", "",
              "| model | server, best of 1/4/8 streams (fps) | (a) raw ORT, best config (fps) | server / (a) | (b) naive server at 8 (fps) | server at 8 / (b) | (c) OpenCV DNN (fps) |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    details = []
    for m in models:
        server = load(f"{out}/server-{m}.json")
        raw = load(f"{out}/raw-{m}.json")
        naive = load(f"{out}/naive-{m}.json")
        cv = load(f"{out}/cv-{m}.json")
        rows = {r["Streams"]: r for r in server["rows"]} if server else {}
        best = max((r["Throughput"] for r in rows.values()), default=0)
        raw_best = raw["best"]["FramesPerSecond"] if raw else 0
        naive8 = next((r["Throughput"] for r in naive["rows"] if r["Streams"] == 8), 0) if naive else 0
        s8 = rows.get(8, {}).get("Throughput", 0)
        cv_text = f"{cv['frames_per_second']:.1f}" if cv and cv.get("loaded") else ("cannot load: " + cv["reason"][:60] if cv else "n/a")
        lines.append(f"| {m} | {best:.1f} | {raw_best:.1f} ({raw['best']['Instances']} inst × {raw['best']['Threads']} thr × batch {raw['best']['Batch']}) | "
                     f"{best / raw_best if raw_best else 0:.2f} | {naive8:.1f} | {s8 / naive8 if naive8 else 0:.2f} | {cv_text} |")
        if server:
            details.append(f"#### {m}")
            details.append("")
            details.append("| streams | throughput (fps) | p50 | p90 | p95 | p99 (ms) | server: queue | decode | preprocess | inference | postprocess | total (ms) | dropped | stable |")
            details.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
            for r in server["rows"]:
                details.append(f"| {r['Streams']} | {r['Throughput']:.1f} | {r['P50']:.1f} | {r['P90']:.1f} | {r['P95']:.1f} | {r['P99']:.1f} | {r['QueueMs']:.1f} | "
                               f"{r['DecodeMs']:.1f} | {r['PreprocessMs']:.1f} | {r['InferenceMs']:.1f} | {r['PostprocessMs']:.1f} | {r['ServerTotalMs']:.1f} | {r['Dropped']} | {r['Stable']} |")
            if raw and 1 in rows:
                overhead = rows[1]["P50"] - raw["single_frame_p50_ms"]
                details.append("")
                details.append(f"Pipeline overhead at one stream: server p50 {rows[1]['P50']:.1f} ms − raw inference p50 {raw['single_frame_p50_ms']:.1f} ms = **{overhead:.1f} ms** "
                               "(includes JPEG decode and letterbox, which raw inference skips).")
            if naive:
                details.append("")
                details.append("Naive server (b): " + ", ".join(f"{r['Streams']} callers {r['Throughput']:.1f} fps (p50 {r['P50']:.1f} ms, p99 {r['P99']:.1f} ms)" for r in naive["rows"]))
            details.append("")
    lines += ["", "### Auto-tuning (Session:AutoTune) against the full sweep", "",
              "| model | chosen: instances × threads × batch | chosen, tuner's measurement (fps) | best of its grid (fps) | best of the raw sweep (a) (fps) | chosen / sweep best | the chosen configuration in the sweep (fps) | that / sweep best |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for m in models:
        tune = load(f"{out}/tune-{m}.json")
        raw = load(f"{out}/raw-{m}.json")
        if tune and raw:
            c = tune["Chosen"]
            sweep = raw["best"]["FramesPerSecond"]
            same = next((g["FramesPerSecond"] for g in raw["grid"]
                         if (g["Instances"], g["Threads"], g["Batch"]) == (c["Instances"], c["Threads"], c["MaxBatch"])), None)
            in_sweep = f"{same:.1f} | {same / sweep:.2f}" if same else "not in the sweep | –"
            lines.append(f"| {m} | {c['Instances']} × {c['Threads']} × {c['MaxBatch']} | {c['FramesPerSecond']:.1f} | {tune['BestOverall']['FramesPerSecond']:.1f} | {sweep:.1f} | {c['FramesPerSecond'] / sweep:.2f} | {in_sweep} |")
    lines += [""] + details
    text = open(doc).read()
    begin, end = "<!-- tables:begin -->", "<!-- tables:end -->"
    if begin in text and end in text:
        text = text[:text.index(begin) + len(begin)] + "\n" + "\n".join(lines) + "\n" + text[text.index(end):]
    else:
        text += f"\n## Server vs baselines\n\n{begin}\n" + "\n".join(lines) + f"\n{end}\n"
    open(doc, "w").write(text)


if __name__ == "__main__":
    main()
