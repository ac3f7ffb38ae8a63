using InferenceServer.Core.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace InferenceServer.Core.Inference;

/// <summary>
/// One ONNX Runtime session with its own pinned input and output buffers sized for the largest batch.
/// Callers write images into <see cref="InputSlot"/>, call <see cref="Run"/>, and read <see cref="OutputSlot"/>;
/// the <see cref="OrtValue"/>s wrap the buffers directly, so nothing tensor-sized is allocated per run. The buffers
/// are native (aligned) memory freed on dispose, so a swapped-out version gives its memory back at once.
/// Not thread-safe: one batch at a time (the <see cref="InstancePool"/> enforces it).
/// </summary>
internal sealed class ModelInstance : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly ModelSignature _signature;
    private readonly unsafe float* _input;
    private readonly unsafe float* _output;
    private readonly long _inputLength;
    private readonly long _outputLength;
    private readonly OrtValue?[] _inputValues;
    private readonly OrtValue?[] _outputValues;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private bool _disposed;

    public ModelInstance(InferenceSession session, ModelSignature signature, int maxBatch)
    {
        _session = session;
        _signature = signature;
        MaxBatch = maxBatch;

        _inputLength = (long)maxBatch * signature.InputLength;
        _outputLength = (long)maxBatch * signature.OutputLength;
        unsafe
        {
            _input = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(_inputLength * sizeof(float)), 64);
            _output = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(_outputLength * sizeof(float)), 64);
        }
        _inputValues = new OrtValue?[maxBatch + 1];
        _outputValues = new OrtValue?[maxBatch + 1];
        _inputNames = [signature.InputName];
        _outputNames = [signature.OutputName];
    }

    public int MaxBatch { get; }

    /// <summary>Whether the model accepts any batch up to <see cref="MaxBatch"/>; fixed-batch models always run full.</summary>
    public bool DynamicBatch => _signature.DynamicBatch;

    /// <summary>Resize buffer for whoever holds this instance.</summary>
    public PreprocessScratch Scratch { get; } = new();

    /// <summary>Decoder candidate list for whoever holds this instance.</summary>
    public List<Detection.Detection> Candidates { get; } = new(1024);

    /// <summary>Post-processing result list for whoever holds this instance.</summary>
    public List<Detection.Detection> Kept { get; } = new(300);

    public ModelSignature Signature => _signature;

    public unsafe Span<float> InputSlot(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)MaxBatch, nameof(index));
        return new Span<float>(_input + ((long)index * _signature.InputLength), _signature.InputLength);
    }

    public unsafe ReadOnlySpan<float> OutputSlot(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)MaxBatch, nameof(index));
        return new ReadOnlySpan<float>(_output + ((long)index * _signature.OutputLength), _signature.OutputLength);
    }

    /// <summary>Runs the first <paramref name="batchSize"/> input slots.</summary>
    public void Run(int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, MaxBatch);
        if (!DynamicBatch)
        {
            batchSize = MaxBatch; // Unused slots hold stale data; their outputs are ignored.
        }

        OrtValue input;
        OrtValue output;
        unsafe
        {
            input = _inputValues[batchSize] ??= Wrap(_input, batchSize, _signature.InputLength, [batchSize, 3, _signature.InputHeight, _signature.InputWidth]);
            output = _outputValues[batchSize] ??= Wrap(_output, batchSize, _signature.OutputLength, [batchSize, _signature.OutputRows, _signature.OutputColumns]);
        }

        _session.Run(_runOptions, _inputNames, [input], _outputNames, [output]);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var v in _inputValues)
        {
            v?.Dispose();
        }

        foreach (var v in _outputValues)
        {
            v?.Dispose();
        }

        Scratch.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        unsafe
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(_input);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(_output);
        }
    }

    private static unsafe OrtValue Wrap(float* buffer, int batch, int perImage, long[] shape) =>
        OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)buffer, (long)batch * perImage * sizeof(float));
}
