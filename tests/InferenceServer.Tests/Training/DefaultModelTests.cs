using InferenceServer.Core.Detection;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.Core.Training;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Training;

/// <summary>The committed default model (models/repository/shapes/1), checked the way the server runs it.</summary>
public sealed class DefaultModelTests
{
    private static readonly string VersionDir = Path.Combine(RepoPaths.Root, "models", "repository", "shapes", "1");
    private readonly ITestOutputHelper _output;

    public DefaultModelTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Evaluate_FreshHeldOutFrames_Ap50AtLeast085()
    {
        using var model = Load();
        // Seed 4242 is used neither for training (1000) nor for the reported 500-frame figure (9999).
        var generator = new SceneGenerator(new SceneOptions { Width = 1280, Height = 720 }, 4242);
        var result = await SyntheticEvaluation.RunAsync(model, generator, 80, 0, SyntheticEvaluation.ApThresholds(model), CancellationToken.None);
        foreach (var c in result.PerClass)
        {
            _output.WriteLine($"{model.Label(c.ClassId)}: gt {c.GroundTruthCount}, AP50 {c.Ap50:F3}, AP50-95 {c.Ap50To95:F3}");
        }

        Assert.Equal(3, result.PerClass.Count);
        Assert.True(result.MeanAp50 >= 0.85, $"AP@0.5 {result.MeanAp50:F3} < 0.85");
    }

    [Fact]
    public void Load_CommittedModel_FollowsUltralyticsConventionWithProvenance()
    {
        using var model = Load();
        Assert.Equal(DecoderKind.YoloV8, model.Postprocessor.Decoder.Kind);
        Assert.Equal(ShapeCatalog.DefaultCategories, model.Labels);
        Assert.True(model.Signature.DynamicBatch);
        Assert.Equal("detect", model.Signature.Ultralytics.Task);
        Assert.Equal(ShapeCatalog.DefaultCategories, model.Signature.Ultralytics.Names);
        Assert.True(new FileInfo(Path.Combine(VersionDir, "model.onnx")).Length < 5 * 1024 * 1024);

        var manifest = ModelManifest.LoadOptional(VersionDir)!;
        Assert.NotNull(manifest.Provenance);
        Assert.Contains("train.py", manifest.Provenance!["command"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(manifest.Metrics);
        Assert.True(File.Exists(Path.Combine(VersionDir, "checkpoint.pt")), "the checkpoint sits next to the ONNX for fine-tuning");
    }

    [Fact]
    public void Parity_CommittedModel_OnnxRuntimeMatchesPyTorch() => TrainingScriptTests.AssertParity(VersionDir);

    private static DetectionModel Load() =>
        ModelLoader.Load(
            Path.Combine(VersionDir, "model.onnx"), ModelManifest.LoadOptional(VersionDir), TestLoading.CpuSettings(threads: 2), "shapes", "1", NullLogger.Instance);
}
