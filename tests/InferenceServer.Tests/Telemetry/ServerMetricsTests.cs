using InferenceServer.Core.Telemetry;

namespace InferenceServer.Tests.Telemetry;

public sealed class ServerMetricsTests
{
    [Fact]
    public void ModelUnloaded_AnotherRegistryStillServesTheVersion_SeriesStaysAtOne()
    {
        string model = "metrics-" + Guid.NewGuid().ToString("N")[..8]; // the registry is process-wide
        ServerMetrics.ModelLoaded(model, "1", "cpu");
        ServerMetrics.ModelLoaded(model, "1", "cpu");
        Assert.Equal(1, ServerMetrics.ModelReady.WithLabels(model, "1", "cpu").Value);

        ServerMetrics.ModelUnloaded(model, "1", "cpu");
        Assert.Contains(ServerMetrics.ModelReady.GetAllLabelValues(), labels => labels[0] == model);
        Assert.Equal(1, ServerMetrics.ModelReady.WithLabels(model, "1", "cpu").Value);

        ServerMetrics.ModelUnloaded(model, "1", "cpu");
        Assert.DoesNotContain(ServerMetrics.ModelReady.GetAllLabelValues(), labels => labels[0] == model);
    }
}
