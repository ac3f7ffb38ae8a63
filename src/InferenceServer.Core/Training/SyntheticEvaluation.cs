using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Training.Synthetic;

namespace InferenceServer.Core.Training;

/// <summary>
/// Measures a model's AP on freshly generated frames, through the same path the server uses for a request
/// (JPEG bytes → header check → decode → letterbox → ONNX Runtime → decoder → NMS → original pixels).
/// </summary>
internal static class SyntheticEvaluation
{
    /// <summary>Thresholds for measuring AP: a low confidence floor so the whole precision/recall curve counts.</summary>
    public static PostprocessOptions ApThresholds(DetectionModel model) =>
        model.Defaults with { ConfidenceThreshold = 0.01f, MaxDetections = 300 };

    /// <returns>AP per class (class ids are the model's) over frames <paramref name="first"/>..first+count-1.</returns>
    public static async Task<EvaluationResult> RunAsync(
        DetectionModel model, SceneGenerator generator, int count, int first, PostprocessOptions options, CancellationToken cancellationToken)
    {
        // Generator categories are matched to the model's labels by name.
        var categories = generator.Options.Categories;
        var map = new int[categories.Count];
        for (int c = 0; c < categories.Count; c++)
        {
            map[c] = model.LabelIndex(categories[c]);
            if (map[c] < 0)
            {
                throw new ArgumentException($"Model '{model.Name}' has no label '{categories[c]}' (labels: {string.Join(", ", model.Labels)}).");
            }
        }

        var evaluator = new DetectionEvaluator();
        for (int i = 0; i < count; i++)
        {
            var (jpeg, objects) = generator.GenerateJpeg(first + i);
            var result = await model.DetectAsync(jpeg, ImageLimits.Default, options, cancellationToken).ConfigureAwait(false);
            evaluator.Add(
                result.Detections.Select(d => new Detection.Detection(d.X1, d.Y1, d.X2, d.Y2, d.Score, d.ClassId)),
                objects.Select(o => new GroundTruthBox(o.X1, o.Y1, o.X2, o.Y2, map[o.ClassId])));
        }

        return evaluator.Compute();
    }

}
