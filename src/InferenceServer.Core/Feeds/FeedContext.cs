using InferenceServer.Core.Pipeline;
using InferenceServer.Core.Registry;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Feeds;

/// <summary>What every feed shares: where models and the pipeline are, how to start the decoders, limits.</summary>
internal sealed record FeedContext(
    ModelRegistry Registry, DetectionPipeline Pipeline, HttpClient Http, ILogger Logger, string FfmpegPath, string GstLaunchPath, long MaxPixels);
