namespace Rollout.Models.Tasks.Arith;

/// <summary>One operation of a chain: add or subtract <see cref="Operand"/>.</summary>
public readonly record struct ArithStep(bool IsAddition, int Operand)
{
    public char Symbol => IsAddition ? '+' : '-';

    public int Apply(int value) => IsAddition ? value + Operand : value - Operand;
}
