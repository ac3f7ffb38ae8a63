using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using InferenceServer.Core.Inference;
using InferenceServer.Hosting;
using InferenceServer.Protos.Inference;

namespace InferenceServer.Services;

/// <summary>KServe v2 / Open Inference Protocol over gRPC (inference.GRPCInferenceService).</summary>
[Microsoft.AspNetCore.Authorization.Authorize(Policy = Security.Roles.AnyKeyPolicy)]
internal sealed class KServeService : GRPCInferenceService.GRPCInferenceServiceBase
{
    private readonly ModelHost _models;
    private readonly PipelineHost _pipeline;

    public KServeService(ModelHost models, PipelineHost pipeline)
    {
        _models = models;
        _pipeline = pipeline;
    }

    [Microsoft.AspNetCore.Authorization.AllowAnonymous]
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    [Microsoft.AspNetCore.Authorization.AllowAnonymous]
    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = _models.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        using var lease = _models.Acquire(Required(request.Name), request.Version);
        return Task.FromResult(new ModelReadyResponse { Ready = lease is not null });
    }

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = "inferenceserver", Version = ServerInfo.Version });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        using var lease = Find(request.Name, request.Version);
        var model = lease.Model;
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

    [Microsoft.AspNetCore.Authorization.Authorize(Policy = Security.Roles.InferPolicy)]
    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var lease = Find(request.ModelName, request.ModelVersion);
        var model = lease.Model;
        (float[] Data, int Batch, bool Raw) parsed;
        try
        {
            parsed = Parse(request, model);
        }
        catch
        {
            lease.Dispose();
            throw;
        }

        // From here the lease belongs to the frames: released when the last image is done.
        var (output, failure) = await TensorInference.RunAsync(_pipeline.Pipeline, lease, parsed.Data, parsed.Batch, context.CancellationToken);
        if (output is null)
        {
            throw new RpcException(new Status(StatusCode.Internal, failure!));
        }

        var response = new ModelInferResponse { ModelName = model.Name, ModelVersion = model.Version, Id = request.Id };
        var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = model.Signature.OutputName, Datatype = "FP32" };
        tensor.Shape.AddRange([parsed.Batch, model.Signature.OutputRows, model.Signature.OutputColumns]);
        if (parsed.Raw)
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

    [Microsoft.AspNetCore.Authorization.Authorize(Policy = Security.Roles.StatusPolicy)]
    public override Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context)
    {
        var response = new RepositoryIndexResponse();
        foreach (var model in _models.Registry.List())
        {
            foreach (var v in model.Versions)
            {
                if (request.Ready && v.State != Core.Registry.VersionState.Ready)
                {
                    continue;
                }

                response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex
                {
                    Name = model.Name,
                    Version = v.Version,
                    State = v.State.ToString().ToUpperInvariant(),
                    Reason = v.Reason ?? string.Empty,
                });
            }
        }

        return Task.FromResult(response);
    }

    [Microsoft.AspNetCore.Authorization.Authorize(Policy = Security.Roles.AdminPolicy)]
    public override async Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context)
    {
        await Control(() => _models.Registry.LoadAsync(request.ModelName, VersionParameter(request.Parameters), context.CancellationToken));
        return new RepositoryModelLoadResponse();
    }

    [Microsoft.AspNetCore.Authorization.Authorize(Policy = Security.Roles.AdminPolicy)]
    public override async Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        await Control(() => _models.Registry.UnloadAsync(request.ModelName, VersionParameter(request.Parameters), context.CancellationToken));
        return new RepositoryModelUnloadResponse();
    }

    private static string? VersionParameter(Google.Protobuf.Collections.MapField<string, ModelRepositoryParameter> parameters)
    {
        if (!parameters.TryGetValue("version", out var p))
        {
            return null;
        }

        return p.ParameterChoiceCase switch
        {
            ModelRepositoryParameter.ParameterChoiceOneofCase.StringParam => p.StringParam,
            ModelRepositoryParameter.ParameterChoiceOneofCase.Int64Param => p.Int64Param.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw Invalid("parameter 'version' must be a string or int64."),
        };
    }

    private static async Task Control(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (KeyNotFoundException ex)
        {
            throw new RpcException(new Status(StatusCode.NotFound, ex.Message));
        }
        catch (ArgumentException ex)
        {
            throw Invalid(ex.Message);
        }
        catch (ModelLoadException ex)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message));
        }
    }

    private static (float[] Data, int Batch, bool Raw) Parse(ModelInferRequest request, DetectionModel model)
    {
        if (request.Inputs.Count != 1)
        {
            throw Invalid($"expected exactly one input tensor, got {request.Inputs.Count}.");
        }

        var input = request.Inputs[0];
        bool raw = request.RawInputContents.Count > 0;
        float[] data;
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

        return (data, batch, raw);
    }

    private static string Required(string name) =>
        string.IsNullOrEmpty(name) ? throw Invalid("model name is required.") : name;

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private Core.Registry.ModelLease Find(string name, string version) =>
        _models.Acquire(Required(name), version)
        ?? throw new RpcException(new Status(StatusCode.NotFound, $"model '{name}' version '{(string.IsNullOrEmpty(version) ? "any" : version)}' is not loaded"));
}
