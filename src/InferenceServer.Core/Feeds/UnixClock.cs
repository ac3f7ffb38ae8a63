namespace InferenceServer.Core.Feeds;

/// <summary>Wall-clock time as nanoseconds since the Unix epoch (what results carry as capture time).</summary>
internal static class UnixClock
{
    public static long Nanos() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
