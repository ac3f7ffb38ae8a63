using Google.Protobuf;
using InferenceServer.TestModels.Onnx;

namespace InferenceServer.TestModels;

/// <summary>A tiny fluent writer of ONNX graphs (opset 17) for models whose outputs the tests know exactly.</summary>
public sealed class GraphBuilder
{
    private const int FloatType = 1;
    private const int Int64Type = 7;

    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly Dictionary<string, string> _metadata = [];
    private int _counter;

    public string Input(string name, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, dims));
        return name;
    }

    public void Output(string name, params object[] dims) => _graph.Output.Add(ValueInfo(name, dims));

    public void Metadata(string key, string value) => _metadata[key] = value;

    public string Constant(float[] values, params long[] dims)
    {
        string name = $"c{_counter++}";
        var t = new TensorProto { Name = name, DataType = FloatType };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    public string Scalar(float value) => Constant([value]);

    public string Ints(params long[] values)
    {
        string name = $"c{_counter++}";
        var t = new TensorProto { Name = name, DataType = Int64Type };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node; attributes are (name, value) with long, float, long[] values.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) =>
        NodeTo(op, $"t{_counter++}", inputs, attributes);

    public string NodeTo(string op, string output, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"n{_counter++}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long l:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = l;
                    break;
                case int i:
                    a.Type = AttributeProto.Types.AttributeType.Int;
                    a.I = i;
                    break;
                case float f:
                    a.Type = AttributeProto.Types.AttributeType.Float;
                    a.F = f;
                    break;
                case long[] ints:
                    a.Type = AttributeProto.Types.AttributeType.Ints;
                    a.Ints.AddRange(ints);
                    break;
                default:
                    throw new ArgumentException($"Unsupported attribute type {value.GetType()}");
            }

            node.Attribute.Add(a);
        }

        _graph.Node.Add(node);
        return output;
    }

    public byte[] ToBytes()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "InferenceServer.TestModels", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        foreach (var (k, v) in _metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        }

        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string p => new TensorShapeProto.Types.Dimension { DimParam = p },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"Bad dim {d}"),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = FloatType, Shape = shape } },
        };
    }
}
