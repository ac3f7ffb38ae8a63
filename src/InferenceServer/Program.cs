using InferenceServer;
using InferenceServer.Configuration;

try
{
    var app = ServerApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ConfigurationException ex)
{
    await Console.Error.WriteLineAsync($"error: invalid configuration: {ex.Message}");
    return 2;
}
catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    await Console.Error.WriteLineAsync($"error: cannot listen: {ex.Message}");
    return 3;
}
