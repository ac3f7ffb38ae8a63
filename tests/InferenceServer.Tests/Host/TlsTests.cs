using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using InferenceServer.Protos.Inference;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Host;

/// <summary>TLS and mutual TLS with certificates made by openssl for this test (a private CA, server and client certificates).</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly TempDirectory _certs = new();

    public async Task InitializeAsync()
    {
        await Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca");
        await File.WriteAllTextAsync(_certs.File("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        await File.WriteAllTextAsync(_certs.File("client.ext"), "extendedKeyUsage=clientAuth\n");
        foreach (var (name, cn) in new[] { ("server", "localhost"), ("client", "camera-1") })
        {
            await Openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{name}.key", "-out", $"{name}.csr", "-subj", $"/CN={cn}");
            await Openssl("x509", "-req", "-in", $"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", $"{name}.pem", "-days", "2", "-extfile", $"{name}.ext");
        }

        // A client certificate from a CA the server does not trust.
        await Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=rogue");
    }

    public Task DisposeAsync()
    {
        _certs.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Tls_HttpsAndGrpcOverTls_WorkWithTheCaAndPlainHttpIsRefused()
    {
        await using var server = await TestServer.StartAsync(null, "shapes", $"--InferenceServer:Tls:CertificatePath={_certs.File("server.pem")}", $"--InferenceServer:Tls:KeyPath={_certs.File("server.key")}");
        using var https = Client(null, out var handler);
        var base_ = new Uri($"https://127.0.0.1:{server.Endpoints.HttpPort}");
        Assert.True(await WaitReadyAsync(https, base_));

        using var plain = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://127.0.0.1:{server.Endpoints.HttpPort}/v2/health/live")));

        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.Endpoints.GrpcPort}", new GrpcChannelOptions { HttpHandler = Handler(null) });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "shapes" })).Ready);
    }

    [Fact]
    public async Task MutualTls_ClientCertificateRequired_OnlyCaSignedClientsGetIn()
    {
        await using var server = await TestServer.StartAsync(
            null, "shapes",
            $"--InferenceServer:Tls:CertificatePath={_certs.File("server.pem")}",
            $"--InferenceServer:Tls:KeyPath={_certs.File("server.key")}",
            "--InferenceServer:Tls:ClientCertificates=require",
            $"--InferenceServer:Tls:ClientCaPath={_certs.File("ca.pem")}");
        var address = new Uri($"https://127.0.0.1:{server.Endpoints.HttpPort}");
        using var trusted = Client(X509Certificate2.CreateFromPemFile(_certs.File("client.pem"), _certs.File("client.key")), out _);
        Assert.True(await WaitReadyAsync(trusted, address));

        using var anonymous = Client(null, out _);
        await Assert.ThrowsAnyAsync<Exception>(() => anonymous.GetAsync(new Uri(address, "/v2/health/live")));
        using var rogue = Client(X509Certificate2.CreateFromPemFile(_certs.File("rogue.pem"), _certs.File("rogue.key")), out _);
        await Assert.ThrowsAnyAsync<Exception>(() => rogue.GetAsync(new Uri(address, "/v2/health/live")));

        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{server.Endpoints.GrpcPort}", new GrpcChannelOptions
        {
            HttpHandler = Handler(X509Certificate2.CreateFromPemFile(_certs.File("client.pem"), _certs.File("client.key"))),
        });
        Assert.True((await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ServerLiveAsync(new ServerLiveRequest())).Live);
    }

    [Fact]
    public void Configuration_ClientCertificatesWithoutCa_FailsFast()
    {
        var ex = Assert.Throws<Configuration.ConfigurationException>(() => ServerApp.Build(
        [
            "--InferenceServer:Auth:Enabled=false",
            $"--InferenceServer:Tls:CertificatePath={_certs.File("server.pem")}",
            $"--InferenceServer:Tls:KeyPath={_certs.File("server.key")}",
            "--InferenceServer:Tls:ClientCertificates=require",
        ]));
        Assert.Contains("InferenceServer:Tls", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> WaitReadyAsync(HttpClient client, Uri address)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(new Uri(address, "/v2/health/ready"));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    private HttpClient Client(X509Certificate2? clientCertificate, out SocketsHttpHandler handler)
    {
        handler = Handler(clientCertificate);
        return new HttpClient(handler, disposeHandler: true);
    }

    private SocketsHttpHandler Handler(X509Certificate2? clientCertificate)
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(_certs.File("ca.pem")));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is not null && chain.Build(new X509Certificate2(cert));
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return handler;
    }

    private async Task Openssl(params string[] args)
    {
        var (code, _, stderr) = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"cd '{_certs.Path}' && openssl {string.Join(' ', args.Select(a => $"'{a}'"))}"], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stderr);
    }
}
