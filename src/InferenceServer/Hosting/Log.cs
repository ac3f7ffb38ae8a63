namespace InferenceServer.Hosting;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "InferenceServer listening: HTTP/REST http://{Address}:{HttpPort}, gRPC (h2c) http://{Address}:{GrpcPort}, metrics http://{Address}:{MetricsPort}/metrics")]
    public static partial void Listening(ILogger logger, string address, int httpPort, int grpcPort, int metricsPort);
}
