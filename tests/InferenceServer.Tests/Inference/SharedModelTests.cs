using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Inference;

/// <summary>
/// Public COCO models from ../shared on bus.jpg (810x1080: a bus and four people, one cut by the left edge).
/// Reference boxes (original pixels) come from an independent pipeline: YOLOX's own demo algorithm
/// (demo/ONNXRuntime/onnx_inference.py: top-left letterbox pad 114, BGR 0..255, grid decode, obj×cls, class-wise
/// NMS 0.45, score 0.25) re-implemented in NumPy and run with OpenCV DNN 4.6 (Debian's python3-opencv) on the same
/// yolox_nano.onnx. No engine here other than ONNX Runtime runs yolov8n_int8's ConvInteger nodes, so that model is
/// checked against the same physical objects from the YOLOX reference by overlap.
/// </summary>
public sealed class SharedModelTests : IDisposable
{
    private static readonly (string Label, float[] Box)[] YoloxReference =
    [
        ("bus", [13.1f, 231.1f, 801.3f, 735.1f]),
        ("person", [50.4f, 394.2f, 214.5f, 898.4f]),
        ("person", [219.3f, 402.6f, 347.1f, 855.5f]),
        ("person", [685.8f, 450.6f, 810.3f, 874.2f]),
    ];

    private readonly ITestOutputHelper _output;
    private readonly List<IDisposable> _owned = [];

    public SharedModelTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [SkippableFact]
    public async Task YoloxNano_BusJpg_MatchesYoloxReferenceWithinTwoPixels()
    {
        var (model, image) = LoadOrSkip("models/yolox_nano.onnx");
        var result = await model.DetectAsync(image, ImageLimits.Default, model.Defaults, CancellationToken.None);
        Print(result);
        Assert.Equal(Core.Detection.DecoderKind.Yolox, model.Postprocessor.Decoder.Kind);
        foreach (var (label, box) in YoloxReference)
        {
            var match = result.Detections.Where(d => d.Label == label).OrderByDescending(d => IoU(d, box)).First();
            Assert.InRange(match.X1, box[0] - 2, box[0] + 2);
            Assert.InRange(match.Y1, box[1] - 2, box[1] + 2);
            Assert.InRange(match.X2, box[2] - 2, box[2] + 2);
            Assert.InRange(match.Y2, box[3] - 2, box[3] + 2);
        }

        Assert.True(result.Detections.Count(d => d.Label == "person" && d.Score > 0.5f) >= 3);
        Assert.Contains(result.Detections, d => d.Label == "bus" && d.Score > 0.5f);
    }

    [SkippableFact]
    public async Task YoloV8nInt8_BusJpg_FindsBusAndThreePeopleOverlappingReference()
    {
        var (model, image) = LoadOrSkip("models/yolov8n_int8.onnx");
        var result = await model.DetectAsync(image, ImageLimits.Default, model.Defaults, CancellationToken.None);
        Print(result);
        Assert.Equal(Core.Detection.DecoderKind.YoloV8, model.Postprocessor.Decoder.Kind);
        Assert.Equal(80, model.Labels.Count); // from the Ultralytics metadata
        Assert.Contains(result.Detections, d => d.Label == "bus" && d.Score > 0.5f && IoU(d, YoloxReference[0].Box) > 0.85);
        int people = YoloxReference.Skip(1).Count(r => result.Detections.Any(d => d.Label == "person" && d.Score > 0.5f && IoU(d, r.Box) > 0.7));
        Assert.Equal(3, people);
    }

    public void Dispose()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }

    private static double IoU(LabeledDetection d, float[] b)
    {
        var a = new Core.Detection.Detection(d.X1, d.Y1, d.X2, d.Y2, 1, 0);
        return Core.Detection.Detection.IoU(a, new Core.Detection.Detection(b[0], b[1], b[2], b[3], 1, 0));
    }

    private (DetectionModel Model, byte[] Image) LoadOrSkip(string modelFile)
    {
        string? modelPath = RepoPaths.SharedFile(modelFile);
        string? imagePath = RepoPaths.SharedFile("images/bus.jpg");
        Skip.If(modelPath is null || imagePath is null, $"../shared/{modelFile} or ../shared/images/bus.jpg is absent in this checkout.");

        // coco.names sits beside the models and labels yolox_nano, which has no metadata.
        var model = ModelLoader.Load(modelPath!, null, TestLoading.CpuSettings(threads: 2), Path.GetFileNameWithoutExtension(modelPath), "1", NullLogger.Instance);
        _owned.Add(model);
        return (model, File.ReadAllBytes(imagePath!));
    }

    private void Print(DetectionResult result)
    {
        foreach (var d in result.Detections)
        {
            _output.WriteLine($"{d.Label} {d.Score:F3} [{d.X1:F1}, {d.Y1:F1}, {d.X2:F1}, {d.Y2:F1}]");
        }
    }
}
