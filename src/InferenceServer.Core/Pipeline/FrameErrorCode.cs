namespace InferenceServer.Core.Pipeline;

/// <summary>Why one frame failed (the stream and the server go on).</summary>
public enum FrameErrorCode
{
    /// <summary>The image could not be decoded or is out of limits.</summary>
    InvalidArgument,

    /// <summary>The image declares more pixels than allowed.</summary>
    TooLarge,

    /// <summary>The frame's deadline passed before it was inferred.</summary>
    DeadlineExceeded,

    /// <summary>The requested model is not loaded.</summary>
    NotFound,

    /// <summary>Inference failed for the batch the frame was in.</summary>
    Internal,

    /// <summary>The server is shutting down.</summary>
    Unavailable,
}
