using InferenceServer.Cli;
using InferenceServer.Cli.Commands;
using InferenceServer.Client;

const string Usage = """
    usage: infer <command> [options]
      detect IMAGE [--server URL] [--model M] [--conf C] [--json] [--out annotated.jpg]
      stream VIDEO [--server URL] [--streams N] [--fps F] [--mode latest|block] [--model M] [--frames N] [--out annotated.mp4] [--json FILE]
             [--swap-versions 1,2 --swap-interval S --rest URL]   (promotes versions in turn during the load; reports swap latency)
      bench [--server URL] [--streams 1,4,8] [--image-size 1280x720] [--fps F] [--mode block|latest] [--unary] [--model M] [--max-inflight 1]
            [--warmup S] [--window S] [--stability 0.1] [--csv FILE] [--json FILE] [--label NAME]
      synth dataset --out DIR [--count N] [--seed S] [--width W] [--height H] [--categories circle,square,...] [--min-objects N] [--max-objects N] [--min-size PX] [--first I]
      eval --model DIR_OR_ONNX [--count 500] [--seed 9999] [--width 1280] [--height 720] [--categories ...] [--min-size PX] [--max-objects N] [--json FILE]
      examples add IMAGE --box x1,y1,x2,y2,label [--box ...] [--dataset NAME]
      examples import DIR --format yolo|coco [--dataset NAME]
      examples capture --feed ID | --stream ID [--dataset NAME]   (the current frame, unlabelled)
      retrain --model M --categories star,cross [--dataset NAME] [--epochs N] [--trainer process|webhook] [--promote] [--no-wait]
      jobs [ID]
      synth video --out FILE.mp4 [--frames N] [--fps F] [--objects K] [--seed S] [--width W] [--height H] [--categories ...]
    detect talks to the REST port ($INFERENCESERVER_URL, default http://127.0.0.1:8000);
    stream to the gRPC port ($INFERENCESERVER_GRPC, default http://127.0.0.1:8001).
    examples, retrain and jobs use the REST port too and send $INFERENCESERVER_KEY as the API key.
    """;

try
{
    return args.FirstOrDefault() switch
    {
        "detect" => await DetectCommand.RunAsync(args[1..]),
        "synth" => SynthCommand.Run(args[1..]),
        "eval" => await EvalCommand.RunAsync(args[1..]),
        "stream" => await StreamCommand.RunAsync(args[1..]),
        "bench" => await BenchCommand.RunAsync(args[1..]),
        "examples" => await TrainingCommands.ExamplesAsync(args[1..]),
        "retrain" => await TrainingCommands.RetrainAsync(args[1..]),
        "jobs" => await TrainingCommands.JobsAsync(args[1..]),
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
catch (Grpc.Core.RpcException ex)
{
    Console.Error.WriteLine($"error: server answered {ex.StatusCode}: {ex.Status.Detail}");
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
