using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Inference;

public sealed class AutoTunerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Load_WithAutoTune_PicksFastestConfigurationUnderTheLatencyBound()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 96, 96, names: ["a", "b"]);
        var settings = TestLoading.CpuSettings();
        settings.AutoTune = true;
        settings.AutoTuneSecondsPerConfig = 0.1;
        settings.AutoTuneLatencyBoundMs = 1000;
        using var model = TestLoading.Load(onnx, _dir, settings: settings);

        var tuning = Assert.IsType<Core.Inference.TuningResult>(model.Tuning);
        Assert.True(tuning.Grid.Count >= 6, "instances × threads × batch were measured");
        Assert.All(tuning.Grid, p => Assert.True(p.FramesPerSecond > 0));
        var eligible = tuning.Grid.Where(p => p.BatchP50Ms <= tuning.LatencyBoundMs).ToArray();
        Assert.Equal(eligible.Max(p => p.FramesPerSecond), tuning.Chosen.FramesPerSecond);
        Assert.Equal(tuning.Chosen.Instances, model.Instances.Count);
        Assert.Equal(tuning.Chosen.MaxBatch, model.Instances.MaxBatch);
    }

    [Fact]
    public void Load_WithTightLatencyBound_NeverChoosesASlowerBatch()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 96, 96, names: ["a", "b"]);
        var settings = TestLoading.CpuSettings();
        settings.AutoTune = true;
        settings.AutoTuneSecondsPerConfig = 0.1;
        settings.AutoTuneLatencyBoundMs = 0.000001; // nothing qualifies: fall back to the lowest latency
        using var model = TestLoading.Load(onnx, _dir, settings: settings);
        Assert.Equal(model.Tuning!.Grid.Min(p => p.BatchP50Ms), model.Tuning.Chosen.BatchP50Ms);
    }

    public void Dispose() => _dir.Dispose();
}
