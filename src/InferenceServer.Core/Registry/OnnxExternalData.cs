namespace InferenceServer.Core.Registry;

/// <summary>
/// Finds the external-data file locations an ONNX file references (TensorProto.external_data "location" entries
/// of the graph's initializers), reading the protobuf wire format directly, so paths can be checked before
/// ONNX Runtime opens anything.
/// </summary>
internal static class OnnxExternalData
{
    /// <summary>Locations referenced by the model; empty for self-contained models. Throws InvalidDataException on malformed protobuf.</summary>
    public static IReadOnlyList<string> Locations(ReadOnlySpan<byte> model)
    {
        var found = new List<string>();
        var reader = new Reader(model);
        while (reader.Next(out int field, out int wire, out var payload))
        {
            if (field == 7 && wire == 2)
            {
                Graph(payload, found);
            }
        }

        return found;
    }

    /// <summary>Null when every location stays inside <paramref name="directory"/>, else why not.</summary>
    public static string? CheckInside(ReadOnlySpan<byte> model, string directory)
    {
        string root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        foreach (var location in Locations(model))
        {
            if (Path.IsPathRooted(location))
            {
                return $"external data location '{location}' is an absolute path";
            }

            string full = Path.GetFullPath(Path.Combine(directory, location));
            if (!full.StartsWith(root, StringComparison.Ordinal))
            {
                return $"external data location '{location}' points outside the version folder";
            }
        }

        return null;
    }

    private static void Graph(ReadOnlySpan<byte> graph, List<string> found)
    {
        var reader = new Reader(graph);
        while (reader.Next(out int field, out int wire, out var payload))
        {
            if (field == 5 && wire == 2)
            {
                Tensor(payload, found);
            }
        }
    }

    private static void Tensor(ReadOnlySpan<byte> tensor, List<string> found)
    {
        var reader = new Reader(tensor);
        while (reader.Next(out int field, out int wire, out var payload))
        {
            if (field != 13 || wire != 2)
            {
                continue;
            }

            string? key = null;
            string? value = null;
            var entry = new Reader(payload);
            while (entry.Next(out int f, out int w, out var p))
            {
                if (w == 2 && f == 1)
                {
                    key = System.Text.Encoding.UTF8.GetString(p);
                }
                else if (w == 2 && f == 2)
                {
                    value = System.Text.Encoding.UTF8.GetString(p);
                }
            }

            if (key == "location" && value is not null)
            {
                found.Add(value);
            }
        }
    }

    private ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _pos;

        public Reader(ReadOnlySpan<byte> data)
        {
            _data = data;
            _pos = 0;
        }

        /// <summary>Next field; <paramref name="payload"/> holds length-delimited contents (empty for other wire types).</summary>
        public bool Next(out int field, out int wire, out ReadOnlySpan<byte> payload)
        {
            payload = default;
            field = 0;
            wire = 0;
            if (_pos >= _data.Length)
            {
                return false;
            }

            ulong tag = Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    Skip(8);
                    break;
                case 2:
                    ulong length = Varint();
                    if (length > (ulong)(_data.Length - _pos))
                    {
                        throw new InvalidDataException("malformed ONNX protobuf: a field runs past the end of the file");
                    }

                    payload = _data.Slice(_pos, (int)length);
                    _pos += (int)length;
                    break;
                case 5:
                    Skip(4);
                    break;
                default:
                    throw new InvalidDataException($"malformed ONNX protobuf: wire type {wire}");
            }

            return true;
        }

        private void Skip(int n)
        {
            if (_pos + n > _data.Length)
            {
                throw new InvalidDataException("malformed ONNX protobuf: truncated");
            }

            _pos += n;
        }

        private ulong Varint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length)
                {
                    throw new InvalidDataException("malformed ONNX protobuf: truncated varint");
                }

                byte b = _data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new InvalidDataException("malformed ONNX protobuf: varint too long");
        }
    }
}
