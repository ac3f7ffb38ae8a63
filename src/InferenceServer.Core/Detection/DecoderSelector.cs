namespace InferenceServer.Core.Detection;

/// <summary>Picks the decoder for a model from its metadata and output shape, unless one is forced.</summary>
internal static class DecoderSelector
{
    public static IOutputDecoder Create(DecoderKind kind) => kind switch
    {
        DecoderKind.YoloV8 => new YoloV8Decoder(),
        DecoderKind.YoloV5 => new YoloV5Decoder(),
        DecoderKind.Yolox => new YoloxDecoder(raw: true),
        DecoderKind.YoloxDecoded => new YoloxDecoder(raw: false),
        DecoderKind.End2End => new End2EndDecoder(),
        DecoderKind.RtDetr => new RtDetrDecoder(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown decoder."),
    };

    /// <summary>Builds a postprocessor for an output of per-image shape [rows, columns].</summary>
    /// <param name="forced">Decoder named in the manifest, if any.</param>
    /// <param name="labelCount">Number of labels known from metadata/manifest/labels file, if any.</param>
    /// <param name="end2end">Ultralytics' end2end metadata flag, if present.</param>
    /// <exception cref="ModelSignatureException">When no decoder fits the shape.</exception>
    public static Postprocessor Select(
        DecoderKind? forced, int rows, int columns, int? labelCount, bool? end2end, int inputWidth, int inputHeight)
    {
        var kind = forced ?? Infer(rows, columns, labelCount, end2end, inputWidth, inputHeight);
        int classCount = kind switch
        {
            DecoderKind.YoloV8 => rows - 4,
            DecoderKind.YoloV5 or DecoderKind.Yolox or DecoderKind.YoloxDecoded => columns - 5,
            DecoderKind.RtDetr => columns - 4,
            _ => labelCount ?? 0,
        };

        bool shapeOk = kind switch
        {
            DecoderKind.End2End => columns == 6,
            _ => classCount >= 1,
        };
        if (!shapeOk)
        {
            throw new ModelSignatureException($"Output shape [{rows}, {columns}] does not fit the {kind} decoder.");
        }

        if (kind == DecoderKind.Yolox && YoloxDecoder.GridCells(inputWidth, inputHeight) != rows)
        {
            throw new ModelSignatureException(
                $"Output has {rows} rows; a raw YOLOX head at {inputWidth}x{inputHeight} has {YoloxDecoder.GridCells(inputWidth, inputHeight)}.");
        }

        return new Postprocessor(Create(kind), rows, columns, classCount, inputWidth, inputHeight);
    }

    private static DecoderKind Infer(int rows, int columns, int? labelCount, bool? end2end, int inputWidth, int inputHeight)
    {
        int grid = YoloxDecoder.GridCells(inputWidth, inputHeight);
        if (end2end == true)
        {
            return DecoderKind.End2End;
        }

        if (labelCount is int nc)
        {
            if (rows == 4 + nc && columns != 4 + nc)
            {
                return DecoderKind.YoloV8;
            }

            if (columns == 5 + nc)
            {
                return rows == grid ? DecoderKind.Yolox : DecoderKind.YoloV5;
            }

            if (columns == 4 + nc)
            {
                return DecoderKind.RtDetr;
            }

            if (columns == 6)
            {
                return DecoderKind.End2End;
            }

            throw new ModelSignatureException(
                $"Output shape [{rows}, {columns}] matches no supported layout for {nc} classes " +
                "(yolov8 [4+nc, N], yolov5/yolox [N, 5+nc], rtdetr [Q, 4+nc], end2end [K, 6]); set the decoder in the manifest.");
        }

        // No labels: decide from the shape alone.
        if (rows < columns && rows > 4)
        {
            return DecoderKind.YoloV8;
        }

        if (rows == grid && columns > 5)
        {
            return DecoderKind.Yolox;
        }

        if (rows == 3 * grid && columns > 5)
        {
            return DecoderKind.YoloV5;
        }

        if (columns == 6)
        {
            return DecoderKind.End2End;
        }

        throw new ModelSignatureException(
            $"Cannot tell the decoder from output shape [{rows}, {columns}] without labels; set the decoder in the manifest.");
    }
}
