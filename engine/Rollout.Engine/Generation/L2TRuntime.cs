using Rollout.Engine.Features;
using Rollout.Engine.Model;
using Rollout.Engine.Probes;
using Rollout.Engine.Tokenization;
using Rollout.Kernels.Runtime;
using Rollout.Kernels.Svd;

namespace Rollout.Engine.Generation;

/// <summary>What an L2T generation needs beside the session, for one setting: the accelerator and the step kernels.</summary>
internal sealed class L2TRuntime(L2TGeneration settings, AcceleratorHost host, StepKernels kernels) : IDisposable
{
    public AcceleratorHost Host { get; } = host;
    public L2TGeneration Settings { get; } = settings;
    public StepKernels Kernels { get; } = kernels;

    public static L2TRuntime Create(L2TGeneration settings, AcceleratorHost host, HeadFactors factors) =>
        new(settings, host, StepKernels.Create(host, factors, settings.Core));

    /// <summary>The same settings and head factors with step kernels (buffers) of its own, for steps that run beside this runtime's.</summary>
    public L2TRuntime WithOwnKernels() => new(Settings, Host, StepKernels.Create(Host, Kernels.Factors, Settings.Core));

    /// <summary>
    /// The tokens a probe feeds after its context: cue and answer encoded together, as the model would
    /// see them (BPE may merge the cue's last space into the answer). The answer y* is what differs from
    /// the cue's own encoding (after their longest common prefix); the rest is the cue.
    /// </summary>
    public ProbeTokens Tokenize(TextTokenizer tokenizer, string answer)
    {
        var joint = tokenizer.Encode(Settings.AnswerCue + answer, addSpecialTokens: false);
        var cue = tokenizer.Encode(Settings.AnswerCue, addSpecialTokens: false);
        int shared = 0;
        while (shared < cue.Count && shared < joint.Count && cue[shared] == joint[shared]) shared++;
        if (shared == joint.Count) throw new InputException($"answer '{answer}' adds no token after the answer cue");
        return new ProbeTokens(joint.Take(shared).ToArray(), joint.Skip(shared).ToArray());
    }

    public void Dispose() => Kernels.Dispose();
}
