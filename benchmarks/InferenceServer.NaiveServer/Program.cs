using InferenceServer.Core.Inference;
using InferenceServer.NaiveServer;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

// Baseline (b) of docs/performance.md: dotnet run -c Release --project benchmarks/InferenceServer.NaiveServer -- MODEL.onnx PORT
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: InferenceServer.NaiveServer MODEL.onnx PORT");
    return 2;
}

// Model conventions (decoder, preprocessing, labels) are read the same way as by InferenceServer.
using var info = ModelLoader.Load(args[0], null, new SessionSettings { Provider = ExecutionProvider.Cpu, MaxBatchSize = 1 }, Path.GetFileNameWithoutExtension(args[0]), "naive", NullLogger.Instance);
using var session = new InferenceSession(args[0]);
var builder = WebApplication.CreateBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), l => l.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 << 20);
builder.Services.AddSingleton(session);
builder.Services.AddSingleton(info);
var app = builder.Build();
app.MapGrpcService<NaiveDetector>();
Console.WriteLine($"naive server on http://127.0.0.1:{args[1]} serving {args[0]}");
await app.RunAsync();
return 0;
