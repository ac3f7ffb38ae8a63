namespace InferenceServer.Core.Imaging;

internal enum ImageFormat
{
    Jpeg,
    Png,
    Bmp,
    WebP,
}
