namespace InferenceServer.Core.Imaging;

/// <summary>How a frame is fitted into the model's input.</summary>
public enum ResizeMode
{
    /// <summary>Keep aspect ratio, centre, pad the rest (Ultralytics).</summary>
    LetterboxCenter,

    /// <summary>Keep aspect ratio, place at the top-left corner, pad right and bottom (YOLOX).</summary>
    LetterboxTopLeft,

    /// <summary>Scale each axis independently to the input size (RT-DETR).</summary>
    Stretch,
}
