using System.Runtime.InteropServices;

namespace Rollout.Engine.Probes;

/// <summary>A probe's input up to its cue: the prompt's tokens and the first <c>Length</c> completion tokens (and which probe follows).</summary>
internal readonly record struct ProbeContext(ProbeJob Job, int Length)
{
    private ReadOnlySpan<int> Completion => Job.Completion.AsSpan(0, Length);

    public bool Equals(ProbeContext other) =>
        Length == other.Length
        && Job.PromptTokens.AsSpan().SequenceEqual(other.Job.PromptTokens)
        && Completion.SequenceEqual(other.Completion)
        && Job.Probe.Cue.AsSpan().SequenceEqual(other.Job.Probe.Cue)
        && Job.Probe.Answer.AsSpan().SequenceEqual(other.Job.Probe.Answer);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(Job.PromptTokens.AsSpan()));
        hash.AddBytes(MemoryMarshal.AsBytes(Completion));
        hash.AddBytes(MemoryMarshal.AsBytes(Job.Probe.All.AsSpan()));
        return hash.ToHashCode();
    }
}
