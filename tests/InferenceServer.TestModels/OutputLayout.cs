namespace InferenceServer.TestModels;

/// <summary>The detector output conventions the test models can produce.</summary>
public enum OutputLayout
{
    YoloV8,
    YoloV5,
    Yolox,
    End2End,
    RtDetr,
}
