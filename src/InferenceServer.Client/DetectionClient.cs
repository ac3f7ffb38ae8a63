using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace InferenceServer.Client;

/// <summary>Sends images to an InferenceServer's REST endpoint and returns the detections.</summary>
public sealed class DetectionClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>Creates a client for a server's HTTP/REST address, e.g. <c>http://127.0.0.1:8000</c>.</summary>
    public DetectionClient(Uri httpAddress)
    {
        _http = new HttpClient { BaseAddress = httpAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Detects objects in an encoded image (JPEG, PNG, BMP, WebP).</summary>
    /// <param name="image">The encoded image bytes.</param>
    /// <param name="model">Model name, or null for the server's default model.</param>
    /// <param name="confidence">Confidence threshold, or null for the model's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The raw JSON result: model, version, detections (label, class_id, score, box) and timings.</returns>
    /// <exception cref="DetectionException">The server rejected the request; the message is the server's.</exception>
    public async Task<JsonDocument> DetectAsync(byte[] image, string? model = null, float? confidence = null, CancellationToken cancellationToken = default)
    {
        var url = new StringBuilder("/v1/detect");
        char sep = '?';
        if (!string.IsNullOrEmpty(model))
        {
            url.Append(sep).Append("model=").Append(Uri.EscapeDataString(model));
            sep = '&';
        }

        if (confidence is float c)
        {
            url.Append(sep).Append("conf=").Append(c.ToString(CultureInfo.InvariantCulture));
        }

        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await _http.PostAsync(new Uri(url.ToString(), UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string message = body;
            try
            {
                using var error = JsonDocument.Parse(body);
                message = error.RootElement.GetProperty("error").GetString() ?? body;
            }
            catch (JsonException)
            {
                // Not our JSON error shape; report the body as is.
            }
            catch (KeyNotFoundException)
            {
                // Likewise.
            }

            throw new DetectionException((int)response.StatusCode, message);
        }

        return JsonDocument.Parse(body);
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
