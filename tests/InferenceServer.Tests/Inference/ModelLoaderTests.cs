using InferenceServer.Core.Detection;
using InferenceServer.Core.Inference;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Inference;

public sealed class ModelLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Load_RandomBytes_ThrowsModelLoadException()
    {
        var bytes = new byte[10_000];
        new Random(3).NextBytes(bytes);
        var ex = Assert.Throws<ModelLoadException>(() => TestLoading.Load(bytes, _dir));
        Assert.Contains("not a loadable ONNX model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedOnnx_ThrowsModelLoadException()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]);
        Assert.Throws<ModelLoadException>(() => TestLoading.Load(onnx[..(onnx.Length / 2)], _dir));
    }

    [Fact]
    public void Load_UltralyticsMetadata_ReadsNamesImgszAndDynamicBatch()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 96, 64, names: ["cat", "dog's"], classCount: 2);
        using var model = TestLoading.Load(onnx, _dir);
        Assert.Equal(["cat", "dog's"], model.Labels);
        Assert.True(model.Signature.DynamicBatch);
        Assert.Equal(96, model.Signature.InputWidth);
        Assert.Equal(64, model.Signature.InputHeight);
        Assert.Equal("detect", model.Signature.Ultralytics.Task);
        Assert.Equal(32, model.Signature.Ultralytics.Stride);
        Assert.Equal(4, model.Instances.MaxBatch);
    }

    [Fact]
    public void Load_FixedBatchOne_UsesBatchOneAndParallelInstances()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, dynamicBatch: false, names: ["a", "b"]);
        using var model = TestLoading.Load(onnx, _dir, settings: TestLoading.CpuSettings(instances: 2, maxBatch: 8));
        Assert.False(model.Signature.DynamicBatch);
        Assert.Equal(1, model.Instances.MaxBatch);
        Assert.Equal(2, model.Instances.Count);
    }

    [Fact]
    public void Load_ManifestOverridesDecoderLabelsAndThresholds()
    {
        // A YOLOv5-layout model without metadata: the manifest names the decoder and the labels.
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV5, 64, 64, names: null, classCount: 2);
        const string Manifest = """{"decoder": "yolov5", "labels": ["x", "y"], "confidence_threshold": 0.5, "iou_threshold": 0.6, "max_detections": 10}""";
        using var model = TestLoading.Load(onnx, _dir, Manifest);
        Assert.Equal(DecoderKind.YoloV5, model.Postprocessor.Decoder.Kind);
        Assert.Equal(["x", "y"], model.Labels);
        Assert.Equal(0.5f, model.Defaults.ConfidenceThreshold);
        Assert.Equal(0.6f, model.Defaults.IouThreshold);
        Assert.Equal(10, model.Defaults.MaxDetections);
    }

    [Fact]
    public void Load_LabelCountDisagreesWithOutput_Throws()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: null, classCount: 2);
        var ex = Assert.Throws<ModelLoadException>(() => TestLoading.Load(onnx, _dir, """{"labels": ["only-one"], "decoder": "yolov8"}"""));
        Assert.Contains("1 labels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownDecoderName_Throws()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]);
        var ex = Assert.Throws<ModelLoadException>(() => TestLoading.Load(onnx, _dir, """{"decoder": "yolo-magic"}"""));
        Assert.Contains("yolo-magic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelsTxtBesideModel_IsUsed()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: null, classCount: 2);
        File.WriteAllLines(_dir.File("labels.txt"), ["left", "right"]);
        using var model = TestLoading.Load(onnx, _dir);
        Assert.Equal(["left", "right"], model.Labels);
    }

    [Fact]
    public void Load_AutoProviderWithoutCuda_FallsBackToCpu()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]);
        var settings = TestLoading.CpuSettings();
        settings.Provider = ExecutionProvider.Auto;
        using var model = TestLoading.Load(onnx, _dir, settings: settings);
        // This machine has no GPU; on a CUDA host the same call picks CUDA.
        Assert.True(model.Provider is ExecutionProvider.Cpu or ExecutionProvider.Cuda);
    }

    [Theory]
    [InlineData("{0: 'person', 1: 'bicycle'}", new[] { "person", "bicycle" })]
    [InlineData("{0: \"it's\", 1: 'b'}", new[] { "it's", "b" })]
    public void ParseNames_PythonDict_ReturnsNamesInIndexOrder(string text, string[] expected)
    {
        Assert.Equal(expected, UltralyticsMetadata.ParseNames(text));
    }

    [Fact]
    public void ParseNames_SparseIndices_ReturnsNull()
    {
        Assert.Null(UltralyticsMetadata.ParseNames("{0: 'a', 2: 'c'}"));
    }

    public void Dispose() => _dir.Dispose();
}
