namespace InferenceServer.Core.Pipeline;

/// <summary>Pipeline settings (the <c>InferenceServer:Pipeline</c> configuration section).</summary>
public sealed class PipelineOptions
{
    /// <summary>Decode/preprocess workers; 0 means one per core.</summary>
    public int DecodeWorkers { get; set; }

    /// <summary>How long a batch may wait for more frames after its first one, in microseconds (Triton's max_queue_delay).</summary>
    public int MaxQueueDelayMicroseconds { get; set; } = 2000;

    /// <summary>
    /// Decode JPEG frames at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) when the result is still at least the
    /// model's input size: the letterbox shrinks them anyway, and the scaled IDCT is several times cheaper.
    /// </summary>
    public bool ReducedJpegDecode { get; set; } = true;

    /// <summary>Concurrent streams the server accepts; more are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxStreams { get; set; } = 64;

    public string? Validate()
    {
        if (DecodeWorkers < 0 || DecodeWorkers > 256)
        {
            return $"DecodeWorkers must be within [0, 256] (got {DecodeWorkers}).";
        }

        if (MaxQueueDelayMicroseconds < 0 || MaxQueueDelayMicroseconds > 1_000_000)
        {
            return $"MaxQueueDelayMicroseconds must be within [0, 1000000] (got {MaxQueueDelayMicroseconds}).";
        }

        if (MaxStreams < 1 || MaxStreams > 10_000)
        {
            return $"MaxStreams must be within [1, 10000] (got {MaxStreams}).";
        }

        return null;
    }
}
