namespace InferenceServer.Core.Imaging;

/// <summary>Channel order of the packed tensor.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue planes.</summary>
    Rgb,

    /// <summary>Blue, green, red planes.</summary>
    Bgr,
}
