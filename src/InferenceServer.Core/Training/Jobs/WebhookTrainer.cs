using System.Net.Http.Json;

namespace InferenceServer.Core.Training.Jobs;

/// <summary>
/// Hands the job to an external pipeline (e.g. Kubeflow): POSTs the job spec with a dataset download URL and a
/// callback token, then waits until the pipeline delivers model.onnx (and a checkpoint) for the job through the
/// server's API (POST /v1/jobs/{id}/result with the token).
/// </summary>
internal sealed class WebhookTrainer : ITrainer
{
    private readonly TrainingOptions _options;
    private readonly HttpClient _http;
    private readonly Func<string, Task<TrainerOutput>> _awaitDelivery;

    public WebhookTrainer(TrainingOptions options, HttpClient http, Func<string, Task<TrainerOutput>> awaitDelivery)
    {
        _options = options;
        _http = http;
        _awaitDelivery = awaitDelivery;
    }

    public async Task<TrainerOutput> TrainAsync(TrainerContext context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_options.WebhookUrl))
        {
            throw new TrainerException("the webhook trainer needs InferenceServer:Training:WebhookUrl.");
        }

        var job = context.Job;
        string baseUrl = _options.CallbackBaseUrl().TrimEnd('/');
        var spec = new
        {
            job_id = job.Id,
            model = job.Request.Model,
            base_version = job.BaseVersion,
            dataset = job.Request.Dataset,
            dataset_version = job.DatasetVersion,
            categories = job.Request.Categories,
            epochs = job.Request.Epochs,
            batch = job.Request.Batch,
            learning_rate = job.Request.LearningRate,
            dataset_url = $"{baseUrl}/v1/jobs/{job.Id}/dataset",
            result_url = $"{baseUrl}/v1/jobs/{job.Id}/result",
            callback_token = job.CallbackToken,
        };
        var delivery = _awaitDelivery(job.Id);
        using (var response = await _http.PostAsJsonAsync(_options.WebhookUrl, spec, cancellationToken).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new TrainerException($"the training webhook answered HTTP {(int)response.StatusCode}.");
            }
        }

        context.Log($"job handed to {new Uri(_options.WebhookUrl).GetLeftPart(UriPartial.Path)}; waiting for the model at {spec.result_url}");
        try
        {
            return await delivery.WaitAsync(_options.WebhookTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TrainerException($"no model was delivered within {_options.WebhookTimeout}.");
        }
    }
}
