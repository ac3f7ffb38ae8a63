using Grpc.Core;
using InferenceServer.Core.Training.Datasets;
using InferenceServer.Hosting;
using InferenceServer.Protos.Detection.V1;
using Microsoft.AspNetCore.Authorization;

namespace InferenceServer.Services;

/// <summary>detection.v1.Datasets: bulk upload of labelled examples over a client stream.</summary>
[Authorize(Policy = Security.Roles.TrainPolicy)]
internal sealed class DatasetsService : Protos.Detection.V1.Datasets.DatasetsBase
{
    private readonly DatasetStore _datasets;

    public DatasetsService(TrainingHost training) => _datasets = training.Datasets;

    public override async Task<UploadExamplesResponse> UploadExamples(IAsyncStreamReader<Protos.Detection.V1.Example> requestStream, ServerCallContext context)
    {
        var response = new UploadExamplesResponse();
        int index = 0;
        await foreach (var example in requestStream.ReadAllAsync(context.CancellationToken))
        {
            try
            {
                var dataset = _datasets.Get(example.Dataset, create: true);
                var boxes = example.Unlabelled ? null : example.Boxes.Select(b => new Core.Training.Datasets.LabeledBox(b.Label, b.X1, b.Y1, b.X2, b.Y2)).ToArray();
                var (_, duplicate) = await dataset.AddAsync(example.Image.ToByteArray(), boxes, "grpc", context.CancellationToken);
                if (duplicate)
                {
                    response.Duplicates++;
                }
                else
                {
                    response.Added++;
                }
            }
            catch (DatasetException ex)
            {
                response.Rejected.Add(new RejectedExample { Index = index, Reason = ex.Message });
            }

            index++;
        }

        return response;
    }
}
