#!/usr/bin/python3
"""A real RTSP server for the feed tests (GStreamer's gst-rtsp-server, over TCP and UDP).

Serves a folder of JPEG frames (sorted by name) in a loop, at a fixed wall-clock rate, on every mount given,
as RTP/JPEG or (--codec h264|h265) as H.264/H.265 the way IP cameras send it: encoded once up front by Debian's
ffmpeg (libx264/libx265, a key frame every --gop frames, no B-frames), one access unit per frame; a client that joins gets
its first frame at the next key frame. Frame i is the (i mod N)-th file. When a frame is handed to GStreamer for at least one connected
client, the server prints `frame <i> <file index> <unix time ns>` so a test can measure the latency from the
moment the source showed a frame to the moment its result arrived. Prints `ready <port>` once listening.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frames", required=True, help="folder of .jpg frames")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--mount", action="append", default=[], help="mount path, e.g. /cam0 (repeatable)")
    parser.add_argument("--codec", choices=["jpeg", "h264", "h265"], default="jpeg")
    parser.add_argument("--gop", type=int, default=15, help="h264: frames per key frame (must divide the frame count)")
    args = parser.parse_args()
    mounts = args.mount or ["/cam"]

    Gst.init(None)
    files = sorted(glob.glob(os.path.join(args.frames, "*.jpg")))
    if not files:
        sys.exit(f"no .jpg frames in {args.frames}")
    if args.codec in ("h264", "h265"):
        if len(files) % args.gop != 0:
            sys.exit(f"--gop {args.gop} must divide the {len(files)} frames (the loop restarts on a key frame)")
        frames = encode(files, args.fps, args.gop, args.codec)
        launch = ("( appsrc name=src is-live=true do-timestamp=true format=time "
                  f"caps=video/x-{args.codec},stream-format=byte-stream,alignment=au "
                  f"! rtp{args.codec}pay name=pay0 pt=96 )")
        gop = args.gop
    else:
        frames = [open(f, "rb").read() for f in files]
        launch = ("( appsrc name=src is-live=true do-timestamp=true format=time "
                  "caps=image/jpeg,framerate=0/1 ! jpegparse ! rtpjpegpay name=pay0 pt=26 )")
        gop = 1

    sources = []  # appsrc elements of the currently prepared media
    waiting = set()  # sources that have not had a key frame yet
    lock = threading.Lock()

    def on_configure(_factory, media):
        src = media.get_element().get_child_by_name("src")
        with lock:
            sources.append(src)
            waiting.add(src)

        def on_unprepared(_media):
            with lock:
                if src in sources:
                    sources.remove(src)
                waiting.discard(src)

        media.connect("unprepared", on_unprepared)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    for mount in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        # A live source: clients see what is pushed now, never a backlog.
        factory.set_launch(launch)
        factory.set_shared(True)
        factory.connect("media-configure", on_configure)
        server.get_mount_points().add_factory(mount, factory)

    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}")
    print(f"ready {args.port}", flush=True)

    def push_forever():
        period = 1.0 / args.fps
        start = time.monotonic()
        i = 0
        while True:
            delay = start + (i * period) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            index = i % len(frames)
            with lock:
                if index % gop == 0:
                    waiting.clear()
                targets = [s for s in sources if s not in waiting]
            if targets:
                data = frames[index]
                for src in targets:
                    src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
                print(f"frame {i} {index} {time.time_ns()}", flush=True)
            i += 1

    threading.Thread(target=push_forever, daemon=True).start()
    GLib.MainLoop().run()


def encode(files, fps, gop, codec):
    """The frames as H.264/H.265 access units, one per frame (split at the access unit delimiters written)."""
    if codec == "h264":
        params = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-bf", "0", "-g", str(gop),
                  "-keyint_min", str(gop), "-sc_threshold", "0", "-x264-params", "aud=1:repeat-headers=1", "-f", "h264"]
        delimiter = b"\x00\x00\x00\x01\x09"  # NAL type 9
    else:
        params = ["-c:v", "libx265", "-preset", "veryfast", "-tune", "zerolatency", "-x265-params",
                  f"aud=1:repeat-headers=1:keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:log-level=error", "-f", "hevc"]
        delimiter = b"\x00\x00\x00\x01\x46\x01"  # NAL type 35
    with tempfile.TemporaryDirectory() as tmp:
        # Numbered links keep the order of `files` whatever their names.
        for n, name in enumerate(files):
            os.symlink(os.path.abspath(name), os.path.join(tmp, f"{n:06d}.jpg"))
        out = os.path.join(tmp, "video.bin")
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-framerate", str(fps), "-i", os.path.join(tmp, "%06d.jpg")]
            + params[:-2] + ["-crf", "18", "-pix_fmt", "yuv420p"] + params[-2:] + [out],
            check=True)
        data = open(out, "rb").read()
    starts = []
    at = data.find(delimiter)
    while at >= 0:
        starts.append(at)
        at = data.find(delimiter, at + 1)
    units = [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]
    if len(units) != len(files):
        sys.exit(f"{codec}: {len(units)} access units for {len(files)} frames")
    return units


if __name__ == "__main__":
    main()
