using BenchmarkDotNet.Running;
using InferenceServer.Benchmarks;

// Micro-benchmarks: dotnet run -c Release --project benchmarks/InferenceServer.Benchmarks -- --filter '*'
// Raw model throughput: dotnet run -c Release --project benchmarks/InferenceServer.Benchmarks -- raw-throughput MODEL.onnx
if (args.Length > 1 && args[0] == "raw-throughput")
{
    return RawThroughput.Run(args[1..]);
}

// Auto-tuner choice vs the full sweep: ... -- autotune MODEL.onnx [--json FILE]
if (args.Length > 1 && args[0] == "autotune")
{
    var settings = new InferenceServer.Core.Inference.SessionSettings { Provider = InferenceServer.Core.Inference.ExecutionProvider.Cpu, AutoTuneSecondsPerConfig = 1.0 };
    var result = InferenceServer.Core.Inference.AutoTuner.Tune(args[1], null, settings, "autotune", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    string text = System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    Console.WriteLine(text);
    if (args.Length > 3 && args[2] == "--json")
    {
        File.WriteAllText(args[3], text);
    }

    return 0;
}

// OpenCV DNN baseline: ... -- opencv-dnn MODEL.onnx WIDTH HEIGHT
if (args.Length > 3 && args[0] == "opencv-dnn")
{
    return OpenCvDnnThroughput.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point holder for BenchmarkSwitcher.</summary>
public partial class Program;
