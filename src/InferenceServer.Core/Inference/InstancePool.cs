using System.Threading.Channels;

namespace InferenceServer.Core.Inference;

/// <summary>Hands out a model's instances one caller at a time; waiting callers queue in FIFO order.</summary>
internal sealed class InstancePool : IDisposable
{
    private readonly Channel<ModelInstance> _idle;
    private readonly ModelInstance[] _all;

    public InstancePool(IReadOnlyList<ModelInstance> instances)
    {
        _all = instances.ToArray();

        // Capacity equals the number of instances, so a return never waits.
        _idle = Channel.CreateBounded<ModelInstance>(new BoundedChannelOptions(_all.Length)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        foreach (var instance in _all)
        {
            _idle.Writer.TryWrite(instance);
        }
    }

    public int Count => _all.Length;

    public int MaxBatch => _all[0].MaxBatch;

    public ValueTask<ModelInstance> RentAsync(CancellationToken cancellationToken) =>
        _idle.Reader.ReadAsync(cancellationToken);

    public void Return(ModelInstance instance) => _idle.Writer.TryWrite(instance);

    public void Dispose()
    {
        _idle.Writer.TryComplete();
        foreach (var instance in _all)
        {
            instance.Dispose();
        }
    }
}
