using Rollout.Engine.Features;
using Rollout.Engine.Model;
using Rollout.Engine.Sampling;

namespace Rollout.Engine.Generation;

/// <summary>Chooses (samples, or reads off in teacher forcing) the token of one entry from its logits.</summary>
internal delegate TokenChoice TokenPicker(int entry, ReadOnlySpan<float> logits);

/// <summary>
/// One forward step's token choices, with the L2T step features around them: v_t and the head-core
/// shift before the choice, u_t after it. An entry is one (sequence, step position) pair: sampling
/// has one entry per live sequence, teacher forcing one per completion token of a single sequence.
/// Tokens are chosen where the kernels run: on the host from each entry's logits, or, when the kernels
/// run on a device, there for all entries at once, so the logits stay on the device. With penalties, the
/// kernels' logits are penalised too (each entry by its history before this step's token), so that u_t and a
/// device's draw refer to the policy the token was drawn from.
/// </summary>
internal static class StepChoices
{
    /// <param name="pick">Chooses one entry's token from its logits on the host.</param>
    /// <param name="pickOnDevice">Chooses every entry's token on the kernels' device (see <see cref="StepKernels.ChoosesOnDevice"/>).</param>
    /// <param name="writtenInPlace">Whether the step wrote its outputs into the step kernels' targets, row i for entry i.</param>
    public static void Apply(IReadOnlyList<SequenceState> entries, DecoderStep step, IReadOnlyList<(int Row, int Position)> sources,
        L2TRuntime? l2t, SamplingParams sampling, TokenPicker pick, Func<StepKernels, TokenChoice[]> pickOnDevice,
        Action<SequenceState, TokenChoice> append, bool writtenInPlace = false)
    {
        bool onDevice = l2t is { Kernels.ChoosesOnDevice: true };
        l2t?.Kernels.Prepare(step, sources, writtenInPlace, shiftedToHost: !onDevice);
        bool penalized = l2t != null && entries.Any(e => e.History is { Entries.IsEmpty: false });
        if (penalized && onDevice) l2t!.Kernels.Penalize(sampling, entries.Select(e => e.History).ToList());
        var choices = onDevice ? pickOnDevice(l2t!.Kernels) : new TokenChoice[entries.Count];
        // On the host, entries are chosen on every core: each reads only its own logits and random stream, so the
        // choices are those of a sequential loop (a row of a large vocabulary costs milliseconds).
        if (!onDevice)
            ParallelRows.For(entries.Count, i =>
                choices[i] = pick(i, l2t is { Kernels.HasCore: true } ? l2t.Kernels.ShiftedLogits(i) : step.Logits(sources[i].Row, sources[i].Position)));
        // A host pick penalises its own copy; the kernels' logits (which a step written in place shares with it) only
        // after it, and before the histories take this step's tokens.
        if (penalized && !onDevice) l2t!.Kernels.Penalize(sampling, entries.Select(e => e.History).ToList());
        for (int i = 0; i < entries.Count; i++) append(entries[i], choices[i]);
        if (l2t == null) return;
        int rank = l2t.Kernels.Rank;
        var u = new float[entries.Count * rank];
        var v = new float[entries.Count * rank];
        l2t.Kernels.Finish(choices, (float)sampling.PolicyTemperature, u, v);
        for (int i = 0; i < entries.Count; i++) entries[i].AddFeatures(u.AsSpan(i * rank, rank), v.AsSpan(i * rank, rank));
    }
}
