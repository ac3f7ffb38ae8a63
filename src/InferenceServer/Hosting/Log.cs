namespace InferenceServer.Hosting;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "InferenceServer listening: HTTP/REST http://{Address}:{HttpPort}, gRPC (h2c) http://{Address}:{GrpcPort}, metrics http://{Address}:{MetricsPort}/metrics")]
    public static partial void Listening(ILogger logger, string address, int httpPort, int grpcPort, int metricsPort);

    [LoggerMessage(2, LogLevel.Warning, "Authentication is DISABLED (InferenceServer:Auth:Enabled=false): every endpoint is open to anyone who can reach it. Use this only for local development.")]
    public static partial void AuthDisabled(ILogger logger);
}
