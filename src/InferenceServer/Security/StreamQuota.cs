using System.Collections.Concurrent;

namespace InferenceServer.Security;

/// <summary>Counts open StreamDetect calls per key against <see cref="LimitOptions.StreamsPerKey"/>.</summary>
internal sealed class StreamQuota
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly int _limit;

    public StreamQuota(int limit)
    {
        _limit = limit;
    }

    /// <summary>A slot for one more stream of this key, or null when it has as many as allowed.</summary>
    public IDisposable? TryEnter(string key)
    {
        if (_limit <= 0)
        {
            return new Slot(this, key, counted: false);
        }

        while (true)
        {
            int current = _open.GetOrAdd(key, 0);
            if (current >= _limit)
            {
                return null;
            }

            if (_open.TryUpdate(key, current + 1, current))
            {
                return new Slot(this, key, counted: true);
            }
        }
    }

    private void Leave(string key) => _open.AddOrUpdate(key, 0, (_, v) => Math.Max(0, v - 1));

    private sealed class Slot : IDisposable
    {
        private StreamQuota? _owner;
        private readonly string _key;

        public Slot(StreamQuota owner, string key, bool counted)
        {
            _owner = counted ? owner : null;
            _key = key;
        }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Leave(_key);
    }
}
