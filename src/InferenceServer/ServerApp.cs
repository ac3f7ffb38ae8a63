using System.Net;
using InferenceServer.Configuration;
using InferenceServer.Endpoints;
using InferenceServer.Hosting;
using InferenceServer.Security;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
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
        Core.Inference.NativeHeap.Configure();
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
            var tls = options.Tls;
            kestrel.Listen(address, options.HttpPort, l =>
            {
                // Plain-text HTTP/2 is for gRPC, on its own port; with TLS, ALPN negotiates either.
                l.Protocols = tls.Enabled ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                if (tls.Enabled)
                {
                    TlsSetup.Apply(l, tls);
                }

                endpoints.Http = l;
            });
            kestrel.Listen(address, options.GrpcPort, l =>
            {
                l.Protocols = HttpProtocols.Http2; // Without TLS this is h2c (prior-knowledge HTTP/2).
                if (tls.Enabled)
                {
                    TlsSetup.Apply(l, tls);
                }

                endpoints.Grpc = l;
            });
            kestrel.Listen(address, options.MetricsPort, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                if (tls.Enabled && tls.Metrics)
                {
                    TlsSetup.Apply(l, tls);
                }

                endpoints.Metrics = l;
            });
        });

        AddSecurity(builder, options);
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService<ModelLoaderService>();
        builder.Services.AddSingleton<PipelineHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineHost>());

        // After the pipeline: hosted services stop in reverse order, so feeds stop before the pipeline drains.
        builder.Services.AddSingleton<FeedHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedHost>());
        builder.Services.AddSingleton<TrainingHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TrainingHost>());
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
        app.UseAuthentication();

        // Wraps authorization, so refused attempts (403) are recorded too.
        var audit = app.Services.GetRequiredService<AuditLog>();
        app.Use(async (context, next) =>
        {
            await next(context);
            if (AuditLog.IsAudited(context.GetEndpoint()))
            {
                audit.Write(context);
            }
        });
        app.UseAuthorization();
        app.UseRateLimiter();
        HealthEndpoints.Map(app);
        DetectEndpoints.Map(app);
        KServeEndpoints.Map(app);
        RegistryEndpoints.Map(app);
        FeedEndpoints.Map(app);
        DatasetEndpoints.Map(app);
        JobEndpoints.Map(app);
        app.MapGrpcService<Services.DetectorService>().RequireAuthorization(Roles.InferPolicy);
        app.MapGrpcService<Services.KServeService>();
        app.MapGrpcService<Services.FeedsService>();
        app.MapGrpcService<Services.DatasetsService>();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().AllowAnonymous();
        var metrics = app.MapMetrics("/metrics");
        if (options.Auth.Enabled && options.Auth.ProtectMetrics)
        {
            metrics.RequireAuthorization(Roles.AnyKeyPolicy);
        }
        else
        {
            metrics.AllowAnonymous();
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("InferenceServer");
            if (!options.Auth.Enabled)
            {
                Hosting.Log.AuthDisabled(logger);
            }

            Hosting.Log.Listening(logger, options.ListenAddress, endpoints.HttpPort, endpoints.GrpcPort, endpoints.MetricsPort);
        });
        return app;
    }

    private static void AddSecurity(WebApplicationBuilder builder, ServerOptions options)
    {
        var auth = builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName);
        builder.Services.AddAuthorization(policies =>
        {
            if (!options.Auth.Enabled)
            {
                // Explicitly disabled (local development): every policy passes; a warning is logged at start.
                foreach (var name in new[] { Roles.InferPolicy, Roles.StatusPolicy, Roles.TrainPolicy, Roles.AdminPolicy, Roles.AnyKeyPolicy })
                {
                    policies.AddPolicy(name, p => p.RequireAssertion(_ => true));
                }

                return;
            }

            policies.AddPolicy(Roles.InferPolicy, p => p.RequireRole(Roles.Camera, Roles.Admin));
            policies.AddPolicy(Roles.StatusPolicy, p => p.RequireRole(Roles.Operator, Roles.Admin));
            policies.AddPolicy(Roles.TrainPolicy, p => p.RequireRole(Roles.Operator, Roles.Admin));
            policies.AddPolicy(Roles.AdminPolicy, p => p.RequireRole(Roles.Admin));
            policies.AddPolicy(Roles.AnyKeyPolicy, p => p.RequireAuthenticatedUser());
        });

        ApiKeyStore store;
        try
        {
            store = options.Auth.Enabled ? ApiKeyStore.Load(options.Auth) : ApiKeyStore.Load(new ApiKeyOptions());
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new ConfigurationException(ex.Message, ex);
        }

        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(new AuditLog(options.AuditLogPath));
        builder.Services.AddSingleton(new StreamQuota(options.Limits.StreamsPerKey));
        var limits = options.Limits;
        builder.Services.AddRateLimiter(r =>
        {
            var limiters = new List<PartitionedRateLimiter<HttpContext>>();
            if (limits.RequestsPerSecondPerKey > 0)
            {
                limiters.Add(PartitionedRateLimiter.Create<HttpContext, string>(ctx => IsHealth(ctx)
                    ? RateLimitPartition.GetNoLimiter("health")
                    : RateLimitPartition.GetTokenBucketLimiter(KeyPartition.Of(ctx), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.BurstPerKey,
                        TokensPerPeriod = Math.Max(1, (int)Math.Round(limits.RequestsPerSecondPerKey)),
                        ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, Math.Round(limits.RequestsPerSecondPerKey)) / limits.RequestsPerSecondPerKey),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })));
            }

            if (limits.ConcurrentRequestsPerKey > 0)
            {
                limiters.Add(PartitionedRateLimiter.Create<HttpContext, string>(ctx => IsHealth(ctx)
                    ? RateLimitPartition.GetNoLimiter("health")
                    : RateLimitPartition.GetConcurrencyLimiter(KeyPartition.Of(ctx), _ => new ConcurrencyLimiterOptions { PermitLimit = limits.ConcurrentRequestsPerKey, QueueLimit = 0 })));
            }

            if (limiters.Count > 0)
            {
                r.GlobalLimiter = limiters.Count == 1 ? limiters[0] : PartitionedRateLimiter.CreateChained([.. limiters]);
            }

            r.OnRejected = (context, _) => new ValueTask(KeyPartition.RejectAsync(context.HttpContext, "rate limit exceeded for this key (InferenceServer:Limits)"));
        });
        auth.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
    }

    private static bool IsHealth(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/v2/health", StringComparison.Ordinal)
        || context.Request.Path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal);

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
