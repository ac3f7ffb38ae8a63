namespace InferenceServer.Hosting;

/// <summary>What the server says about itself in metadata responses.</summary>
internal static class ServerInfo
{
    public static string Version { get; } = typeof(ServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
