using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using InferenceServer.Core.Inference;
using InferenceServer.Hosting;
using InferenceServer.Protos.Inference;

namespace InferenceServer.Services;

/// <summary>KServe v2 / Open Inference Protocol over gRPC (inference.GRPCInferenceService).</summary>
internal sealed class KServeService : GRPCInferenceService.GRPCInferenceServiceBase
{
    private readonly ModelHost _models;
    private readonly PipelineHost _pipeline;

    public KServeService(ModelHost models, PipelineHost pipeline)
    {
        _models = models;
        _pipeline = pipeline;
    }

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = _models.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = _models.Find(Required(request.Name), request.Version) is not null });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = "inferenceserver", Version = ServerInfo.Version });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var model = Find(request.Name, request.Version);
        var response = new ModelMetadataResponse { Name = model.Name, Platform = TensorInference.Platform };
        response.Versions.Add(model.Version);
        var input = new ModelMetadataResponse.Types.TensorMetadata { Name = model.Signature.InputName, Datatype = "FP32" };
        input.Shape.AddRange(TensorInference.InputShape(model));
        var output = new ModelMetadataResponse.Types.TensorMetadata { Name = model.Signature.OutputName, Datatype = "FP32" };
        output.Shape.AddRange(TensorInference.OutputShape(model));
        response.Inputs.Add(input);
        response.Outputs.Add(output);
        return Task.FromResult(response);
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var model = Find(request.ModelName, request.ModelVersion);
        if (request.Inputs.Count != 1)
        {
            throw Invalid($"expected exactly one input tensor, got {request.Inputs.Count}.");
        }

        var input = request.Inputs[0];
        bool raw = request.RawInputContents.Count > 0;
        ReadOnlyMemory<float> data;
        if (raw)
        {
            if (request.RawInputContents.Count != 1)
            {
                throw Invalid($"raw_input_contents has {request.RawInputContents.Count} entries for one input.");
            }

            var bytes = request.RawInputContents[0].Memory;
            if (bytes.Length % sizeof(float) != 0)
            {
                throw Invalid($"raw_input_contents[0] has {bytes.Length} bytes, not a whole number of FP32 values.");
            }

            data = MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();
        }
        else
        {
            data = input.Contents?.Fp32Contents.ToArray() ?? [];
        }

        var (batch, error) = TensorInference.Validate(model, input.Name, input.Datatype, input.Shape, data.Length);
        if (error is not null)
        {
            throw Invalid(error);
        }

        foreach (var requested in request.Outputs)
        {
            if (requested.Name != model.Signature.OutputName)
            {
                throw Invalid($"unknown output '{requested.Name}': model '{model.Name}' has '{model.Signature.OutputName}'.");
            }
        }

        var (output, failure) = await TensorInference.RunAsync(_pipeline.Pipeline, model, data, batch, context.CancellationToken);
        if (output is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, failure!));
        }

        var response = new ModelInferResponse { ModelName = model.Name, ModelVersion = model.Version, Id = request.Id };
        var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = model.Signature.OutputName, Datatype = "FP32" };
        tensor.Shape.AddRange([batch, model.Signature.OutputRows, model.Signature.OutputColumns]);
        if (raw)
        {
            response.RawOutputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(output.AsSpan())));
        }
        else
        {
            tensor.Contents = new InferTensorContents();
            tensor.Contents.Fp32Contents.AddRange(output);
        }

        response.Outputs.Add(tensor);
        return response;
    }

    private static string Required(string name) =>
        string.IsNullOrEmpty(name) ? throw Invalid("model name is required.") : name;

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private DetectionModel Find(string name, string version) =>
        _models.Find(Required(name), version)
        ?? throw new RpcException(new Status(StatusCode.NotFound, $"model '{name}' version '{(string.IsNullOrEmpty(version) ? "any" : version)}' is not loaded"));
}
