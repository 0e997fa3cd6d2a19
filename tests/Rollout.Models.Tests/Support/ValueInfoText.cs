using Onnx;

namespace Rollout.Models.Tests.Support;

/// <summary>A graph input or output as (name, element type, dims), symbolic dims by name, for comparing interfaces.</summary>
internal static class ValueInfoText
{
    public static (string, int, string) Describe(ValueInfoProto v) =>
        (v.Name, v.Type.TensorType.ElemType,
         string.Join(",", v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString())));
}
