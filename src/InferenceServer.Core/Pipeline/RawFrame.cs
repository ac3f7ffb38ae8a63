using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Pipeline;

/// <summary>An uncompressed frame as the client sent it.</summary>
internal sealed record RawFrame(ReadOnlyMemory<byte> Data, PixelFormat Format, int Width, int Height, int Stride);
