using InferenceServer.Core.Inference;

namespace InferenceServer.Core.Registry;

/// <summary>
/// A loaded model version with a count of in-flight users (leases). Once retired it takes no new leases and is
/// disposed exactly once, when the last lease ends — never by a finalizer.
/// </summary>
internal sealed class LoadedVersion
{
    private readonly Action<LoadedVersion> _onDrained;
    private int _leases;
    private int _retired;
    private int _drained;

    public LoadedVersion(DetectionModel model, Action<LoadedVersion> onDrained)
    {
        Model = model;
        _onDrained = onDrained;
    }

    public DetectionModel Model { get; }

    public string Version => Model.Version;

    public int InFlight => Volatile.Read(ref _leases);

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Takes a lease unless the version has been retired.</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (IsRetired)
        {
            Release();
            return false;
        }

        return true;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && IsRetired)
        {
            Drain();
        }
    }

    /// <summary>Stops new leases; the version is drained now if idle, else when its last lease ends.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0 && Volatile.Read(ref _leases) == 0)
        {
            Drain();
        }
    }

    private void Drain()
    {
        if (Interlocked.Exchange(ref _drained, 1) == 0)
        {
            _onDrained(this);
        }
    }
}
