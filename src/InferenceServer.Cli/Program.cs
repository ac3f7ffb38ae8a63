using InferenceServer.Cli;
using InferenceServer.Cli.Commands;
using InferenceServer.Client;

const string Usage = """
    usage: infer <command> [options]
      detect IMAGE [--server URL] [--model M] [--conf C] [--json] [--out annotated.jpg]
      synth dataset --out DIR [--count N] [--seed S] [--width W] [--height H] [--categories circle,square,...] [--first I]
      eval --model DIR_OR_ONNX [--count 500] [--seed 9999] [--width 1280] [--height 720] [--categories ...] [--json FILE]
      synth video --out FILE.mp4 [--frames N] [--fps F] [--objects K] [--seed S] [--width W] [--height H] [--categories ...]
    The server address defaults to $INFERENCESERVER_URL or http://127.0.0.1:8000.
    """;

try
{
    return args.FirstOrDefault() switch
    {
        "detect" => await DetectCommand.RunAsync(args[1..]),
        "synth" => SynthCommand.Run(args[1..]),
        "eval" => await EvalCommand.RunAsync(args[1..]),
        "-h" or "--help" or "help" => PrintUsage(0),
        _ => PrintUsage(2),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (DetectionException ex)
{
    Console.Error.WriteLine($"error: server refused the request: {ex.Message}");
    return 1;
}
catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException or ArgumentException
    or InferenceServer.Core.Inference.ModelLoadException or System.Text.Json.JsonException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static int PrintUsage(int code)
{
    (code == 0 ? Console.Out : Console.Error).WriteLine(Usage);
    return code;
}
