using System.Runtime.InteropServices;

namespace InferenceServer.Core.Inference;

/// <summary>
/// Hands freed native heap pages back to the OS after a model version is disposed. glibc keeps freed memory in
/// its arenas, so without this a server that swaps models would hold on to every old session's peak.
/// </summary>
internal static partial class NativeHeap
{
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to trim.
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
