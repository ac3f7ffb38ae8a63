namespace InferenceServer.Core.Imaging;

/// <summary>A model family's input convention.</summary>
internal sealed record PreprocessSpec(ResizeMode Resize, ChannelOrder Channels, float Scale, byte PadValue)
{
    /// <summary>Ultralytics YOLOv5/v8+: centred letterbox, pad 114, RGB, /255.</summary>
    public static PreprocessSpec Ultralytics { get; } = new(ResizeMode.LetterboxCenter, ChannelOrder.Rgb, 1f / 255f, 114);

    /// <summary>YOLOX: top-left letterbox, pad 114, BGR, raw 0..255.</summary>
    public static PreprocessSpec Yolox { get; } = new(ResizeMode.LetterboxTopLeft, ChannelOrder.Bgr, 1f, 114);

    /// <summary>RT-DETR (Ultralytics export): stretched, RGB, /255.</summary>
    public static PreprocessSpec RtDetr { get; } = new(ResizeMode.Stretch, ChannelOrder.Rgb, 1f / 255f, 114);
}
