using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.Core.Registry;

namespace InferenceServer.Services;

/// <summary>
/// KServe v2 inference on a preprocessed image batch [B,3,H,W] FP32: validated against the model's signature,
/// split into frames that go through the same batcher as camera frames, and reassembled into [B, rows, cols].
/// </summary>
internal static class TensorInference
{
    /// <summary>Largest batch accepted in one request for models with a dynamic batch axis.</summary>
    public const int MaxRequestBatch = 64;

    public static string Platform => "onnxruntime_onnx";

    public static long[] InputShape(DetectionModel model) =>
        [model.Signature.DynamicBatch ? -1 : model.Signature.InputShape[0], 3, model.Signature.InputHeight, model.Signature.InputWidth];

    public static long[] OutputShape(DetectionModel model) =>
        [model.Signature.DynamicBatch ? -1 : model.Signature.InputShape[0], model.Signature.OutputRows, model.Signature.OutputColumns];

    /// <summary>Checks name, datatype and shape; returns the batch size or an error message.</summary>
    public static (int Batch, string? Error) Validate(DetectionModel model, string name, string datatype, IReadOnlyList<long> shape, long elementCount)
    {
        var sig = model.Signature;
        if (!string.Equals(name, sig.InputName, StringComparison.Ordinal))
        {
            return (0, $"unexpected input '{name}': model '{model.Name}' has one input, '{sig.InputName}'.");
        }

        if (!string.Equals(datatype, "FP32", StringComparison.Ordinal))
        {
            return (0, $"input '{name}' has datatype '{datatype}'; the model expects FP32.");
        }

        if (shape.Count != 4 || shape[1] != 3 || shape[2] != sig.InputHeight || shape[3] != sig.InputWidth)
        {
            return (0, $"input '{name}' has shape [{string.Join(",", shape)}]; the model expects [{string.Join(",", InputShape(model))}].");
        }

        long batch = shape[0];
        long maxBatch = sig.DynamicBatch ? MaxRequestBatch : sig.InputShape[0];
        if (batch < 1 || batch > maxBatch || (!sig.DynamicBatch && batch != sig.InputShape[0]))
        {
            return (0, $"input '{name}' has batch {batch}; the model accepts 1..{maxBatch}.");
        }

        long expected = batch * sig.InputLength;
        if (elementCount != expected)
        {
            return (0, $"input '{name}' carries {elementCount} elements; shape [{string.Join(",", shape)}] needs {expected}.");
        }

        return ((int)batch, null);
    }

    /// <summary>Runs each image of the batch through the pipeline; returns the concatenated outputs or an error.</summary>
    /// <param name="lease">Taken over: released when the last image of the batch is done.</param>
    public static async Task<(float[]? Output, string? Error)> RunAsync(
        DetectionPipeline pipeline, ModelLease lease, ReadOnlyMemory<float> data, int batch, CancellationToken cancellationToken)
    {
        var model = lease.Model;
        int inLength = model.Signature.InputLength;
        var tasks = new Task<FrameOutcome>[batch];
        var share = new LeaseShare(lease, batch);
        for (int i = 0; i < batch; i++)
        {
            // The pipeline owns the tensor until inference: give each image its own array.
            var packed = data.Slice(i * inLength, inLength).ToArray();
            var frame = FrameRequest.ForTensor(model, packed);
            frame.Lease = share.Holder();
            tasks[i] = pipeline.RunAsync(frame, cancellationToken);
        }

        var outcomes = await Task.WhenAll(tasks);
        int outLength = model.Signature.OutputLength;
        var output = new float[batch * outLength];
        for (int i = 0; i < batch; i++)
        {
            if (outcomes[i].RawOutput is not { } raw)
            {
                return (null, outcomes[i].ErrorMessage ?? "inference failed");
            }

            raw.CopyTo(output, i * outLength);
        }

        return (output, null);
    }
}
