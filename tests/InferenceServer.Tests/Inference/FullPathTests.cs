using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Inference;

/// <summary>
/// Image → letterbox → ONNX Runtime → decoder → NMS → original coordinates, with a real ONNX model that reports the
/// bounding box of the bright pixels it sees, in each supported output layout.
/// </summary>
public sealed class FullPathTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public static TheoryData<OutputLayout, int, int> Cases()
    {
        var data = new TheoryData<OutputLayout, int, int>();
        foreach (var layout in Enum.GetValues<OutputLayout>())
        {
            data.Add(layout, 517, 333);  // landscape
            data.Add(layout, 333, 517);  // portrait
            data.Add(layout, 401, 401);  // square
            data.Add(layout, 1001, 701); // larger than the input: downscaled
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DetectAsync_BrightBox_ReturnsBoxInOriginalPixelsWithinOnePixel(OutputLayout layout, int width, int height)
    {
        const int Size = 320;
        bool raw255 = layout == OutputLayout.Yolox;
        var onnx = BrightBoxModel.Build(layout, Size, Size, threshold: raw255 ? 127.5f : 0.5f, names: ["a", "b"], classCount: 2, hitClass: 1);
        using var model = TestLoading.Load(onnx, _dir);
        Assert.Equal(ExpectedKind(layout), model.Postprocessor.Decoder.Kind);

        int bx = width / 5, by = height / 3, bw = width / 3, bh = height / 4;
        var (image, box) = TestImages.WhiteBox(width, height, bx, by, bw, bh);
        using (image)
        {
            var result = await model.DetectAsync(image, model.Defaults, 0, CancellationToken.None);
            var d = Assert.Single(result.Detections);
            Assert.Equal("b", d.Label);
            Assert.Equal(1, d.ClassId);
            Assert.Equal(0.9f, d.Score, 3);

            // The model reports whole input pixels, so when the frame is downscaled one input pixel spans 1/r original
            // pixels; otherwise the bound is one original pixel.
            double r = Math.Min((double)Size / width, (double)Size / height);
            double tol = Math.Max(1.0, 1.0 / r);
            Assert.InRange(d.X1, box[0] - tol, box[0] + tol);
            Assert.InRange(d.Y1, box[1] - tol, box[1] + tol);
            Assert.InRange(d.X2, box[2] - tol, box[2] + tol);
            Assert.InRange(d.Y2, box[3] - tol, box[3] + tol);
            Assert.Equal("test", result.Model);
            Assert.Equal("1", result.Version);
        }
    }

    [Fact]
    public async Task DetectAsync_EncodedJpeg_DecodesAndDetects()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 320, 320, names: ["a", "b"], classCount: 2);
        using var model = TestLoading.Load(onnx, _dir);
        var (image, box) = TestImages.WhiteBox(640, 360, 100, 50, 200, 100);
        using (image)
        {
            var result = await model.DetectAsync(TestImages.Encode(image, ".jpg"), ImageLimits.Default, model.Defaults, CancellationToken.None);
            var d = Assert.Single(result.Detections);
            Assert.InRange(d.X1, box[0] - 2, box[0] + 2);
            Assert.InRange(d.X2, box[2] - 2, box[2] + 2);
            Assert.True(result.Timings.DecodeMs > 0);
            Assert.True(result.Timings.TotalMs >= result.Timings.InferenceMs);
        }
    }

    [Fact]
    public async Task Run_FullBatch_EachSlotGetsItsOwnResult()
    {
        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 320, 320, names: ["a", "b"], classCount: 2);
        using var model = TestLoading.Load(onnx, _dir, settings: TestLoading.CpuSettings(maxBatch: 3));
        var instance = await model.Instances.RentAsync(CancellationToken.None);
        try
        {
            var transforms = new LetterboxTransform[3];
            var boxes = new float[3][];
            for (int i = 0; i < 3; i++)
            {
                var (image, box) = TestImages.WhiteBox(400 + (i * 50), 300, 20 + (i * 60), 40, 80, 60 + (i * 10));
                using (image)
                {
                    transforms[i] = TensorPacker.Pack(image, model.Preprocess, 320, 320, instance.InputSlot(i), instance.Scratch);
                }

                boxes[i] = box;
            }

            instance.Run(3);
            for (int i = 0; i < 3; i++)
            {
                var results = new List<Core.Detection.Detection>();
                model.Postprocessor.Process(instance.OutputSlot(i), transforms[i], model.Defaults, [], results);
                var d = Assert.Single(results);
                Assert.InRange(d.X1, boxes[i][0] - 1, boxes[i][0] + 1);
                Assert.InRange(d.Y2, boxes[i][3] - 1, boxes[i][3] + 1);
            }
        }
        finally
        {
            model.Instances.Return(instance);
        }
    }

    public void Dispose() => _dir.Dispose();

    private static DecoderKind ExpectedKind(OutputLayout layout) => layout switch
    {
        OutputLayout.YoloV8 => DecoderKind.YoloV8,
        OutputLayout.YoloV5 => DecoderKind.YoloV5,
        OutputLayout.Yolox => DecoderKind.Yolox,
        OutputLayout.End2End => DecoderKind.End2End,
        _ => DecoderKind.RtDetr,
    };
}
