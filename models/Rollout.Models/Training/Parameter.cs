using System.Numerics;

namespace Rollout.Models.Training;

/// <summary>One trainable tensor under its Hugging Face checkpoint name, with its gradient beside it.</summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public string Name { get; }
    public int[] Shape { get; }
    public T[] Value { get; }
    public T[] Grad { get; }

    public Parameter(string name, int[] shape)
    {
        Name = name;
        Shape = shape;
        int count = shape.Aggregate(1, (a, d) => checked(a * d));
        Value = new T[count];
        Grad = new T[count];
    }

    /// <summary>Weight decay applies to matrices only: norms and biases keep their scale.</summary>
    public bool Decays => Shape.Length == 2;
}
