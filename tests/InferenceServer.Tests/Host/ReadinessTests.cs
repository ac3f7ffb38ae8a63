using System.Net;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Host;

public sealed class ReadinessTests
{
    [Fact]
    public async Task HealthReady_DefaultModelMissing_Returns503WithReasonWhileLive()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, byte[]>(), defaultModel: "absent");
        await PollReadyBodyAsync(server, "not found");
        using var ready = await server.Http.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("absent", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var live = await server.Http.GetAsync(new Uri("/v2/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task HealthReady_CorruptDefaultModel_Returns503AndCountsFailure()
    {
        var models = new Dictionary<string, byte[]> { ["broken"] = [1, 2, 3, 4] };
        await using var server = await TestServer.StartAsync(models, defaultModel: "broken");
        string body = await PollReadyBodyAsync(server, "not a loadable ONNX model");
        Assert.Contains("broken", body, StringComparison.Ordinal);
        string metrics = await server.Metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("inference_model_load_failures_total{model=\"broken\"}", metrics, StringComparison.Ordinal);
    }

    private static async Task<string> PollReadyBodyAsync(TestServer server, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string body = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await server.Http.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            body = await response.Content.ReadAsStringAsync();
            if (body.Contains(expected, StringComparison.Ordinal))
            {
                return body;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"readiness never reported '{expected}'; last body: {body}");
        return body;
    }
}
