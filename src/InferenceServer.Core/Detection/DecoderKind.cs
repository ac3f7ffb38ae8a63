namespace InferenceServer.Core.Detection;

/// <summary>Output layouts of the supported detector families.</summary>
public enum DecoderKind
{
    /// <summary>Ultralytics v8/v9/v11/v12: [B, 4+nc, N], cx,cy,w,h in input pixels, sigmoid scores.</summary>
    YoloV8,

    /// <summary>YOLOv5: [B, N, 5+nc], decoded boxes, objectness × class score.</summary>
    YoloV5,

    /// <summary>YOLOX raw head: [B, N, 5+nc], grid offsets for strides 8/16/32.</summary>
    Yolox,

    /// <summary>YOLOX with decoding already in the graph: [B, N, 5+nc] in input pixels.</summary>
    YoloxDecoded,

    /// <summary>NMS-free: [B, K, 6] = x1,y1,x2,y2,score,class.</summary>
    End2End,

    /// <summary>RT-DETR: [B, Q, 4+nc], normalised cx,cy,w,h.</summary>
    RtDetr,
}
