using BenchmarkDotNet.Attributes;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;

namespace InferenceServer.Benchmarks;

/// <summary>Decode + NMS + map-back of one YOLOv8 output [1, 84, 8400] with ~60 clustered candidates over threshold.</summary>
[MemoryDiagnoser]
public class PostprocessBenchmarks
{
    private float[] _output = [];
    private Postprocessor _postprocessor = null!;
    private LetterboxTransform _transform;
    private readonly List<Detection> _scratch = new(1024);
    private readonly List<Detection> _results = new(300);

    [GlobalSetup]
    public void Setup()
    {
        const int N = 8400, Nc = 80;
        var rng = new Random(11);
        _output = new float[(4 + Nc) * N];
        for (int i = 0; i < N; i++)
        {
            _output[i] = rng.Next(640);
            _output[N + i] = rng.Next(640);
            _output[(2 * N) + i] = 10 + rng.Next(100);
            _output[(3 * N) + i] = 10 + rng.Next(100);
            for (int c = 0; c < Nc; c++)
            {
                _output[((4 + c) * N) + i] = (float)(rng.NextDouble() * 0.05);
            }
        }

        // Six objects, each seen by ten neighbouring anchors with overlapping boxes.
        for (int o = 0; o < 6; o++)
        {
            for (int k = 0; k < 10; k++)
            {
                int i = (o * 1000) + k;
                _output[i] = 100 + (o * 80) + k;
                _output[N + i] = 200 + k;
                _output[(2 * N) + i] = 60;
                _output[(3 * N) + i] = 80;
                _output[((4 + o) * N) + i] = 0.5f + (k * 0.04f);
            }
        }

        _postprocessor = DecoderSelector.Select(DecoderKind.YoloV8, 84, N, 80, false, 640, 640);
        _transform = LetterboxTransform.Create(ResizeMode.LetterboxCenter, 1280, 720, 640, 640);
    }

    [Benchmark]
    public int DecodeNmsYoloV8_84x8400()
    {
        _results.Clear();
        _postprocessor.Process(_output, _transform, PostprocessOptions.Default, _scratch, _results);
        return _results.Count;
    }
}
