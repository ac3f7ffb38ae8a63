namespace InferenceServer.Core.Registry;

/// <summary>
/// One lease shared by several frames (the images of one KServe batch request, which must all use the same
/// version): each frame gets a holder, and the lease ends when the last holder is disposed.
/// </summary>
internal sealed class LeaseShare
{
    private readonly ModelLease _lease;
    private int _holders;

    public LeaseShare(ModelLease lease, int holders)
    {
        _lease = lease;
        _holders = holders;
    }

    public IDisposable Holder() => new HolderHandle(this);

    private void ReleaseOne()
    {
        if (Interlocked.Decrement(ref _holders) == 0)
        {
            _lease.Dispose();
        }
    }

    private sealed class HolderHandle : IDisposable
    {
        private LeaseShare? _share;

        public HolderHandle(LeaseShare share)
        {
            _share = share;
        }

        public void Dispose() => Interlocked.Exchange(ref _share, null)?.ReleaseOne();
    }
}
