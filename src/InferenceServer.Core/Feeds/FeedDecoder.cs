namespace InferenceServer.Core.Feeds;

/// <summary>What decodes a feed (resolved from <see cref="FeedSpec.Decoder"/> when the feed connects).</summary>
internal enum FeedDecoder
{
    /// <summary>Debian's ffmpeg as a child process: every network URL, and hardware decoding through -hwaccel.</summary>
    Ffmpeg,

    /// <summary>GStreamer's gst-launch-1.0 as a child process (rtsp:// and rtsps://): one frame less latency on H.264.</summary>
    Gstreamer,

    /// <summary>OpenCV's VideoCapture in-process (local files).</summary>
    OpenCv,
}
