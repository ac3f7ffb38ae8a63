using InferenceServer.Core.Imaging;
using OpenCvSharp;

namespace InferenceServer.Tests.Imaging;

public sealed class TensorPackerTests
{
    [Fact]
    public void Pack_Ultralytics_WritesRgbPlanesScaledAndPads114()
    {
        using var image = new Mat(2, 4, MatType.CV_8UC3, new Scalar(10, 20, 30)); // B, G, R
        using var scratch = new PreprocessScratch();
        var tensor = new float[3 * 4 * 4];
        var t = TensorPacker.Pack(image, PreprocessSpec.Ultralytics, 4, 4, tensor, scratch);

        Assert.Equal(1, t.OffsetY); // 4x2 centred in 4x4: one padded row above and below.
        Assert.Equal(114f / 255f, tensor[0], 5); // row 0 is padding
        int row1 = 4;
        Assert.Equal(30f / 255f, tensor[row1], 5); // plane 0 = R
        Assert.Equal(20f / 255f, tensor[16 + row1], 5); // plane 1 = G
        Assert.Equal(10f / 255f, tensor[32 + row1], 5); // plane 2 = B
        Assert.Equal(114f / 255f, tensor[(3 * 4) + 1], 5); // row 3 is padding
    }

    [Fact]
    public void Pack_Yolox_WritesBgrUnscaledTopLeft()
    {
        using var image = new Mat(2, 4, MatType.CV_8UC3, new Scalar(10, 20, 30));
        using var scratch = new PreprocessScratch();
        var tensor = new float[3 * 4 * 4];
        TensorPacker.Pack(image, PreprocessSpec.Yolox, 4, 4, tensor, scratch);

        Assert.Equal(10f, tensor[0]); // plane 0 = B, at the top-left
        Assert.Equal(20f, tensor[16]);
        Assert.Equal(30f, tensor[32]);
        Assert.Equal(114f, tensor[(2 * 4) + 0]); // rows 2..3 are padding
    }

    [Fact]
    public void Pack_DestinationTooSmall_Throws()
    {
        using var image = new Mat(2, 2, MatType.CV_8UC3, Scalar.All(0));
        using var scratch = new PreprocessScratch();
        Assert.Throws<ArgumentException>(() => TensorPacker.Pack(image, PreprocessSpec.Ultralytics, 4, 4, new float[10], scratch));
    }
}
