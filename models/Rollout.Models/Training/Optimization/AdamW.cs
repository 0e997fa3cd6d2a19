using System.Numerics;
using Rollout.Engine;

namespace Rollout.Models.Training.Optimization;

/// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter), applied to matrices only (<see cref="Parameter{T}.Decays"/>).</summary>
public sealed class AdamW<T>(IReadOnlyList<Parameter<T>> parameters, double beta1 = 0.9, double beta2 = 0.95, double epsilon = 1e-8, double weightDecay = 0.05)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _m = parameters.Select(p => new T[p.Value.Length]).ToArray();
    private readonly T[][] _v = parameters.Select(p => new T[p.Value.Length]).ToArray();
    private int _step;

    /// <summary>Steps taken (the bias corrections' t).</summary>
    public int Steps => _step;

    public void Step(double learningRate)
    {
        _step++;
        double c1 = 1 - Math.Pow(beta1, _step), c2 = 1 - Math.Pow(beta2, _step);
        T b1 = T.CreateChecked(beta1), b2 = T.CreateChecked(beta2), eps = T.CreateChecked(epsilon);
        T stepSize = T.CreateChecked(learningRate / c1), invC2 = T.CreateChecked(1 / c2);
        Parallel.For(0, parameters.Count, i =>
        {
            var p = parameters[i];
            T[] m = _m[i], v = _v[i], w = p.Value, g = p.Grad;
            T decay = T.CreateChecked(p.Decays ? 1 - learningRate * weightDecay : 1);
            Kernels.Update.AdamW.Step<T>(w, g, m, v, b1, b2, eps, stepSize, decay, invC2);
        });
    }

    /// <summary>A copy of the moments and step count, so a run can checkpoint and later resume exactly where it was.</summary>
    public AdamWState<T> ExportState() =>
        new(_step, _m.Select(m => (T[])m.Clone()).ToArray(), _v.Select(v => (T[])v.Clone()).ToArray());

    /// <summary>Continues from an exported state (copied in); it must belong to parameters of the same shapes, in the same order.</summary>
    public void ImportState(AdamWState<T> state)
    {
        if (state.Step < 0) throw new InputException($"optimizer state: step count {state.Step} is negative");
        CheckMoments(state.FirstMoments, "first");
        CheckMoments(state.SecondMoments, "second");
        for (int i = 0; i < _m.Length; i++)
        {
            state.FirstMoments[i].CopyTo(_m[i], 0);
            state.SecondMoments[i].CopyTo(_v[i], 0);
        }
        _step = state.Step;
    }

    private void CheckMoments(T[][] moments, string which)
    {
        if (moments.Length != _m.Length)
            throw new InputException($"optimizer state: {moments.Length} {which}-moment tensors, the model has {_m.Length} parameters");
        for (int i = 0; i < _m.Length; i++)
            if (moments[i].Length != _m[i].Length)
                throw new InputException($"optimizer state: {which} moment of '{parameters[i].Name}' has {moments[i].Length} values, the parameter {_m[i].Length}");
    }
}
