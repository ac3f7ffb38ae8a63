using BenchmarkDotNet.Attributes;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.TestModels;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Benchmarks;

/// <summary>
/// What the pipeline costs per frame, apart from the model: a trivial 32×32 model makes inference negligible, so
/// "through the pipeline" minus "direct instance run" is the channel/batcher/routing overhead; stream routing
/// measures the in-order re-ordering of results.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private string _dir = string.Empty;
    private DetectionModel _model = null!;
    private DetectionPipeline _pipeline = null!;
    private float[] _tensor = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "tiny.onnx");
        File.WriteAllBytes(path, BrightBoxModel.Build(OutputLayout.YoloV8, 32, 32, names: ["a", "b"]));
        _model = ModelLoader.Load(path, null, new SessionSettings { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1, MaxBatchSize = 8 }, "tiny", "1", NullLogger.Instance);
        _pipeline = new DetectionPipeline(new PipelineOptions { MaxQueueDelayMicroseconds = 0 }, ImageLimits.Default, NullLogger.Instance);
        _tensor = new float[_model.Signature.InputLength];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public float DirectInstanceRun()
    {
        var instance = _model.Instances.RentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _tensor.AsSpan().CopyTo(instance.InputSlot(0));
        instance.Run(1);
        float v = instance.OutputSlot(0)[0];
        _model.Instances.Return(instance);
        return v;
    }

    [Benchmark]
    public async Task<int> ThroughPipeline()
    {
        var outcome = await _pipeline.RunAsync(FrameRequest.ForTensor(_model, _tensor), CancellationToken.None);
        return outcome.RawOutput!.Length;
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public async Task<int> StreamRoutingInOrder64()
    {
        // 64 frames completed in reverse order; the session must emit them in order.
        using var session = new StreamSession("bench", BackpressureMode.Block, ImageLimits.Default, _ => { }, _ => { });
        var frames = new FrameRequest[64];
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i] = FrameRequest.ForEncoded(_model, _model.Defaults, ReadOnlyMemory<byte>.Empty, session);
            await session.EnqueueAsync(frames[i], CancellationToken.None);
            session.TryTake(out _);
        }

        for (int i = frames.Length - 1; i >= 0; i--)
        {
            frames[i].Complete(new FrameOutcome { Request = frames[i] });
        }

        session.CompleteInput();
        int n = 0;
        await foreach (var _ in session.Results.ReadAllAsync())
        {
            n++;
        }

        return n;
    }
}
