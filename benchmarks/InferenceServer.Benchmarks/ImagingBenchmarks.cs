using BenchmarkDotNet.Attributes;
using InferenceServer.Core.Imaging;
using OpenCvSharp;

namespace InferenceServer.Benchmarks;

/// <summary>Per-frame image work: JPEG decode, and letterbox + NCHW packing into a reused tensor.</summary>
[MemoryDiagnoser]
public class ImagingBenchmarks
{
    private byte[] _jpeg720 = [];
    private byte[] _jpeg1080 = [];
    private Mat _frame720 = null!;
    private PreprocessScratch _scratch = null!;
    private float[] _tensor = [];

    [GlobalSetup]
    public void Setup()
    {
        _jpeg720 = SyntheticFrames.Jpeg(1280, 720);
        _jpeg1080 = SyntheticFrames.Jpeg(1920, 1080);
        _frame720 = SyntheticFrames.Create(1280, 720);
        _scratch = new PreprocessScratch();
        _tensor = GC.AllocateUninitializedArray<float>(3 * 640 * 640, pinned: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _frame720.Dispose();
        _scratch.Dispose();
    }

    [Benchmark]
    public int DecodeJpeg720p()
    {
        using var mat = ImageDecoder.Decode(_jpeg720, ImageLimits.Default);
        return mat.Width;
    }

    [Benchmark]
    public int DecodeJpeg1080p()
    {
        using var mat = ImageDecoder.Decode(_jpeg1080, ImageLimits.Default);
        return mat.Width;
    }

    [Benchmark]
    public float LetterboxPack720pTo640() =>
        TensorPacker.Pack(_frame720, PreprocessSpec.Ultralytics, 640, 640, _tensor, _scratch).ScaleX;
}
