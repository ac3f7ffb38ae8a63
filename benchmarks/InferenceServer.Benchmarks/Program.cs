using BenchmarkDotNet.Running;
using InferenceServer.Benchmarks;

// Micro-benchmarks: dotnet run -c Release --project benchmarks/InferenceServer.Benchmarks -- --filter '*'
// Raw model throughput: dotnet run -c Release --project benchmarks/InferenceServer.Benchmarks -- raw-throughput MODEL.onnx
if (args.Length > 1 && args[0] == "raw-throughput")
{
    return RawThroughput.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point holder for BenchmarkSwitcher.</summary>
public partial class Program;
