namespace InferenceServer.Core.Pipeline;

/// <summary>What a stream does when the server cannot keep up.</summary>
public enum BackpressureMode
{
    /// <summary>Keep only the newest unprocessed frame; older ones are dropped and counted (live cameras).</summary>
    Latest,

    /// <summary>Every frame is processed; the producer waits.</summary>
    Block,
}
