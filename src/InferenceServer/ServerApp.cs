using System.Net;
using InferenceServer.Configuration;
using InferenceServer.Endpoints;
using InferenceServer.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Prometheus;

namespace InferenceServer;

/// <summary>Composition root: builds the web application from configuration (also used by the integration tests).</summary>
public static class ServerApp
{
    /// <exception cref="ConfigurationException">When a configuration value is invalid.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        var options = BindAndValidate(builder.Configuration);
        var endpoints = new ListenEndpoints();
        builder.Services.AddSingleton(endpoints);
        builder.Services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        builder.Services.AddOptions<ServerOptions>().Bind(builder.Configuration.GetSection(ServerOptions.Section)).ValidateOnStart();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownTimeoutSeconds));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxMessageBytes;
            var address = options.ListenAddress == "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.ListenAddress);
            kestrel.Listen(address, options.HttpPort, l =>
            {
                l.Protocols = HttpProtocols.Http1; // Plain-text HTTP/2 is for gRPC, on its own port.
                endpoints.Http = l;
            });
            kestrel.Listen(address, options.GrpcPort, l =>
            {
                l.Protocols = HttpProtocols.Http2; // h2c: gRPC without TLS needs prior-knowledge HTTP/2.
                endpoints.Grpc = l;
            });
            kestrel.Listen(address, options.MetricsPort, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                endpoints.Metrics = l;
            });
        });

        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService<ModelLoaderService>();
        builder.Services.AddSingleton<PipelineHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineHost>());
        builder.Services.AddGrpc(g =>
        {
            g.MaxReceiveMessageSize = options.MaxMessageBytes;
            g.EnableDetailedErrors = false;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<ModelReadinessCheck>("model");
        builder.Services.ConfigureHttpJsonOptions(j =>
            j.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);

        var app = builder.Build();
        app.UseMiddleware<PortRoutingMiddleware>();
        app.UseHttpMetrics();
        HealthEndpoints.Map(app);
        DetectEndpoints.Map(app);
        KServeEndpoints.Map(app);
        RegistryEndpoints.Map(app);
        app.MapGrpcService<Services.DetectorService>();
        app.MapGrpcService<Services.KServeService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapMetrics("/metrics");

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("InferenceServer");
            Hosting.Log.Listening(logger, options.ListenAddress, endpoints.HttpPort, endpoints.GrpcPort, endpoints.MetricsPort);
        });
        return app;
    }

    private static ServerOptions BindAndValidate(IConfiguration configuration)
    {
        var options = new ServerOptions();
        try
        {
            configuration.GetSection(ServerOptions.Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key, e.g. "Failed to convert configuration value at 'InferenceServer:HttpPort' to type 'System.Int32'."
            throw new ConfigurationException(ex.Message.Split('\n')[0].Trim(), ex);
        }

        var result = new ServerOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new ConfigurationException(string.Join(" ", result.Failures));
        }

        return options;
    }
}
