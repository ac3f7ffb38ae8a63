using System.Diagnostics;
using System.Net.Http.Headers;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Pipeline;

public sealed class BatchingTests
{
    [Fact]
    public async Task Detect_NothingElseOnItsWay_IsNotHeldBackToFillABatch()
    {
        // A queue delay of one second and batches of up to 8: if the batcher waited for company whenever the
        // batch is not full, every lone request would take a second.
        await using var server = await TestServer.StartAsync(null, "shapes",
            "--InferenceServer:Pipeline:MaxQueueDelayMicroseconds=1000000", "--InferenceServer:Session:MaxBatchSize=8");
        Assert.True(await server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        var (image, _) = TestImages.WhiteBox(320, 240, 40, 40, 60, 50);
        byte[] png;
        using (image)
        {
            png = TestImages.Encode(image, ".png");
        }

        var times = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            using var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            var sw = Stopwatch.StartNew();
            using var response = await server.Http.PostAsync(new Uri("/v1/detect", UriKind.Relative), content);
            times.Add(sw.Elapsed.TotalMilliseconds);
            response.EnsureSuccessStatusCode();
        }

        Assert.True(times.Skip(1).Max() < 500, $"request times {string.Join(", ", times.Select(t => t.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} ms");
    }
}
