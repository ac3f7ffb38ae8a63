using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InferenceServer.Hosting;

/// <summary>The three listeners; their ports are the bound ones once the server has started (port 0 resolved).</summary>
public sealed class ListenEndpoints
{
    internal ListenOptions? Http { get; set; }

    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Metrics { get; set; }

    public int HttpPort => Http?.IPEndPoint?.Port ?? 0;

    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    public int MetricsPort => Metrics?.IPEndPoint?.Port ?? 0;
}
