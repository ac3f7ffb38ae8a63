namespace InferenceServer.Core.Feeds;

/// <summary>Why a feeds API request was refused (mapped to HTTP and gRPC statuses by the host).</summary>
internal enum FeedErrorKind
{
    Invalid,
    NotFound,
    AlreadyExists,
    Exhausted,
}
