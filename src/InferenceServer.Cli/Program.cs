using InferenceServer.Cli;
using InferenceServer.Cli.Commands;
using InferenceServer.Client;

const string Usage = """
    usage: infer <command> [options]
      detect IMAGE [--server URL] [--model M] [--conf C] [--json] [--out annotated.jpg]
    The server address defaults to $INFERENCESERVER_URL or http://127.0.0.1:8000.
    """;

try
{
    return args.FirstOrDefault() switch
    {
        "detect" => await DetectCommand.RunAsync(args[1..]),
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
catch (Exception ex) when (ex is HttpRequestException or IOException or FormatException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

static int PrintUsage(int code)
{
    (code == 0 ? Console.Out : Console.Error).WriteLine(Usage);
    return code;
}
