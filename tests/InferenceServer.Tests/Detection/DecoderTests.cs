using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using Det = InferenceServer.Core.Detection.Detection;

namespace InferenceServer.Tests.Detection;

public sealed class DecoderTests
{
    private static readonly LetterboxTransform Identity = LetterboxTransform.Create(ResizeMode.Stretch, 640, 640, 640, 640);

    [Fact]
    public void YoloV8_ChannelFirstOutput_DecodesBestClassAboveThreshold()
    {
        // [4+2, 3]: anchor 0 class 1 (0.8), anchor 1 below threshold, anchor 2 class 0 (0.6).
        float[] output =
        [
            100, 200, 300, // cx
            100, 200, 300, // cy
            20, 20, 40,    // w
            10, 10, 20,    // h
            0.1f, 0.05f, 0.6f, // class 0
            0.8f, 0.1f, 0.2f,  // class 1
        ];
        var post = DecoderSelector.Select(null, 6, 3, 2, false, 640, 640);
        Assert.Equal(DecoderKind.YoloV8, post.Decoder.Kind);
        var results = new List<Det>();
        post.Process(output, Identity, PostprocessOptions.Default, [], results);
        Assert.Equal(2, results.Count);
        Assert.Equal(new Det(90, 95, 110, 105, 0.8f, 1), results[0]);
        Assert.Equal(new Det(280, 290, 320, 310, 0.6f, 0), results[1]);
    }

    [Fact]
    public void YoloV8_ClassFilter_ReportsOnlyAllowedClasses()
    {
        float[] output = [100, 100, 20, 10, 0.3f, 0.8f];
        var post = DecoderSelector.Select(DecoderKind.YoloV8, 6, 1, null, null, 640, 640);
        var results = new List<Det>();
        post.Process(output, Identity, PostprocessOptions.Default with { ClassFilter = new HashSet<int> { 0 } }, [], results);
        var d = Assert.Single(results);
        Assert.Equal(0, d.ClassId);
        Assert.Equal(0.3f, d.Score);
    }

    [Fact]
    public void YoloV5_ObjectnessTimesClass_IsTheScore()
    {
        float[] output = [100, 100, 20, 10, 0.5f, 0.2f, 0.9f, /* row 2 */ 300, 300, 20, 10, 0.2f, 0.9f, 0.9f];
        var post = DecoderSelector.Select(DecoderKind.YoloV5, 2, 7, null, null, 640, 640);
        var results = new List<Det>();
        post.Process(output, Identity, PostprocessOptions.Default, [], results);
        var d = Assert.Single(results);
        Assert.Equal(0.45f, d.Score, 5);
        Assert.Equal(1, d.ClassId);
    }

    [Fact]
    public void Yolox_RawGrid_AddsCellAndScalesByStride()
    {
        // 64x64 input: 64 + 16 + 4 = 84 cells. Put one hit in stride-16 cell (x=2, y=1) → row 64 + 1*4 + 2 = 70.
        const int Cols = 7;
        var output = new float[84 * Cols];
        var row = output.AsSpan(70 * Cols, Cols);
        row[0] = 0.5f; row[1] = 0.25f; row[2] = MathF.Log(2); row[3] = 0; row[4] = 0.9f; row[5] = 0.1f; row[6] = 1f;
        var post = DecoderSelector.Select(null, 84, Cols, 2, null, 64, 64);
        Assert.Equal(DecoderKind.Yolox, post.Decoder.Kind);
        var results = new List<Det>();
        var identity = LetterboxTransform.Create(ResizeMode.LetterboxTopLeft, 64, 64, 64, 64);
        post.Process(output, identity, PostprocessOptions.Default, [], results);
        var d = Assert.Single(results);
        // cx = (0.5 + 2) * 16 = 40, cy = (0.25 + 1) * 16 = 20, w = 2 * 16 = 32, h = 16.
        Assert.Equal(24, d.X1, 4);
        Assert.Equal(12, d.Y1, 4);
        Assert.Equal(56, d.X2, 4);
        Assert.Equal(28, d.Y2, 4);
        Assert.Equal(0.9f, d.Score, 5);
    }

    [Fact]
    public void End2End_SkipsNmsAndLowScores()
    {
        float[] output = [10, 10, 50, 50, 0.9f, 2, /* duplicate kept: no NMS */ 10, 10, 50, 50, 0.8f, 2, 0, 0, 5, 5, 0.1f, 0];
        var post = DecoderSelector.Select(null, 3, 6, 3, true, 640, 640);
        Assert.False(post.Decoder.NeedsNms);
        var results = new List<Det>();
        post.Process(output, Identity, PostprocessOptions.Default, [], results);
        Assert.Equal(2, results.Count);
        Assert.All(results, d => Assert.Equal(2, d.ClassId));
    }

    [Fact]
    public void RtDetr_NormalisedBoxes_ScaleToInput()
    {
        float[] output = [0.5f, 0.5f, 0.25f, 0.5f, 0.1f, 0.7f];
        var post = DecoderSelector.Select(DecoderKind.RtDetr, 1, 6, null, null, 640, 320);
        var results = new List<Det>();
        var identity = LetterboxTransform.Create(ResizeMode.Stretch, 640, 320, 640, 320);
        post.Process(output, identity, PostprocessOptions.Default, [], results);
        Assert.Equal(new Det(240, 80, 400, 240, 0.7f, 1), Assert.Single(results));
    }

    [Theory]
    [InlineData(84, 8400, 80, DecoderKind.YoloV8)]
    [InlineData(25200, 85, 80, DecoderKind.YoloV5)]
    [InlineData(8400, 85, 80, DecoderKind.Yolox)]
    [InlineData(300, 84, 80, DecoderKind.RtDetr)]
    [InlineData(300, 6, 80, DecoderKind.End2End)]
    public void Select_FromShapeAndLabels_PicksFamily(int rows, int cols, int labels, DecoderKind expected)
    {
        Assert.Equal(expected, DecoderSelector.Select(null, rows, cols, labels, null, 640, 640).Decoder.Kind);
    }

    [Fact]
    public void Select_ShapeFittingNoLayout_ThrowsWithAdvice()
    {
        var ex = Assert.Throws<ModelSignatureException>(() => DecoderSelector.Select(null, 10, 10, 80, null, 640, 640));
        Assert.Contains("manifest", ex.Message, StringComparison.Ordinal);
    }
}
