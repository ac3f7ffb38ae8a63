using System.Collections.Concurrent;

namespace InferenceServer.Core.Pipeline;

/// <summary>
/// Pinned float buffers of one image tensor each, reused between frames so steady state allocates none.
/// Retains at most <see cref="MaxRetained"/> buffers; bursts beyond that allocate and are collected later.
/// </summary>
internal sealed class TensorBufferPool
{
    private const int MaxRetained = 64;
    private readonly ConcurrentBag<float[]> _buffers = [];
    private readonly int _length;

    public TensorBufferPool(int length)
    {
        _length = length;
    }

    public float[] Rent() =>
        _buffers.TryTake(out var buffer) ? buffer : GC.AllocateUninitializedArray<float>(_length, pinned: true);

    public void Return(float[] buffer)
    {
        if (buffer.Length == _length && _buffers.Count < MaxRetained)
        {
            _buffers.Add(buffer);
        }
    }
}
