#!/usr/bin/python3
"""A real RTSP server for the feed tests (GStreamer's gst-rtsp-server, over TCP and UDP).

Serves a folder of JPEG frames (sorted by name) in a loop, at a fixed wall-clock rate, as RTP/JPEG on every
mount given. Frame i is the (i mod N)-th file. When a frame is handed to GStreamer for at least one connected
client, the server prints `frame <i> <file index> <unix time ns>` so a test can measure the latency from the
moment the source showed a frame to the moment its result arrived. Prints `ready <port>` once listening.
"""
import argparse
import glob
import os
import sys
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
    args = parser.parse_args()
    mounts = args.mount or ["/cam"]

    Gst.init(None)
    files = sorted(glob.glob(os.path.join(args.frames, "*.jpg")))
    if not files:
        sys.exit(f"no .jpg frames in {args.frames}")
    frames = [open(f, "rb").read() for f in files]

    sources = []  # appsrc elements of the currently prepared media
    lock = threading.Lock()

    def on_configure(_factory, media):
        src = media.get_element().get_child_by_name("src")
        with lock:
            sources.append(src)

        def on_unprepared(_media):
            with lock:
                if src in sources:
                    sources.remove(src)

        media.connect("unprepared", on_unprepared)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    for mount in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        # A live source: clients see what is pushed now, never a backlog.
        factory.set_launch(
            "( appsrc name=src is-live=true do-timestamp=true format=time "
            "caps=image/jpeg,framerate=0/1 ! jpegparse ! rtpjpegpay name=pay0 pt=26 )")
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
            with lock:
                targets = list(sources)
            if targets:
                data = frames[i % len(frames)]
                for src in targets:
                    src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
                print(f"frame {i} {i % len(frames)} {time.time_ns()}", flush=True)
            i += 1

    threading.Thread(target=push_forever, daemon=True).start()
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
