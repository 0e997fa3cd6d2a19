using Rollout.Engine.Sampling.Ops;

namespace Rollout.Engine.Probes;

/// <summary>
/// One finished rollout's answer probes (L2T-SPEC §3) run as a row of the running batch, in the slot that holds its
/// cache: one probe token per decode step, beside the rows still sampling, with no copy of the cache. Its probes run
/// from the latest context to the earliest: each writes only past its own context, which no earlier context reads.
/// A context that another sample of the prompt has probed, or is probing, is not run again: its J is taken from
/// there (in a fused graph a probe's floats do not depend on which rollout or batch computes it). J is what
/// <see cref="AnswerProbes"/> gives.
/// </summary>
internal sealed class RowProbes
{
    private readonly ProbeJob _job;
    private readonly double _temperature;
    private readonly Dictionary<ProbeContext, double?> _known;
    private readonly ProbeContext[] _contexts;
    /// <summary>The probes this row runs, latest context first, with their computed answer tokens' log-probabilities.</summary>
    private readonly List<(ProbePlan Plan, ProbeContext Context, double[] LogProbs)> _runs = [];
    private int _run, _fed;

    /// <param name="known">J of the contexts probed so far by the rows of one prompt, null while one of them runs it; this row adds its own.</param>
    public RowProbes(ProbeJob job, double temperature, Dictionary<ProbeContext, double?> known)
    {
        _job = job;
        _temperature = temperature;
        _known = known;
        _contexts = job.ContextLengths.Select(length => new ProbeContext(job, length)).ToArray();
        foreach (var (context, length) in _contexts.Zip(job.ContextLengths).DistinctBy(c => c.First))
        {
            if (known.ContainsKey(context)) continue;
            var plan = ProbePlan.For(job, 0, length);
            if (plan.Fed.Length == 0) known[context] = plan.J(job, runLogProbs: []);
            else
            {
                known[context] = null;
                _runs.Add((plan, context, new double[plan.RunPositions.Length]));
            }
        }
        _runs.Sort((a, b) => b.Plan.Past.CompareTo(a.Plan.Past));
    }

    /// <summary>Whether this row's own probes have run (it needs its slot no more).</summary>
    public bool Done => _run == _runs.Count;

    /// <summary>Whether every J_k is known: this row's, and those other rows were running.</summary>
    public bool Ready => _contexts.All(c => _known[c] != null);

    /// <summary>The token this row feeds at the next step, and the position it goes to.</summary>
    public (int Token, int Position) Next => (_runs[_run].Plan.Fed[_fed], _runs[_run].Plan.Past + _fed);

    /// <summary>Positions of the slot the remaining probes read (what a move to another slot must copy).</summary>
    public int Held => Done ? 0 : _runs[_run].Plan.Past + _fed;

    /// <summary>Whether the next step's logits give an answer token's log-probability (else they are not read).</summary>
    public bool ReadsLogits => !Done && Array.IndexOf(_runs[_run].Plan.RunPositions, _fed) >= 0;

    /// <summary>After the step that fed <see cref="Next"/>: takes the log-probability its logits give (when <see cref="ReadsLogits"/>), and moves on.</summary>
    public void Fed(ReadOnlySpan<float> logits)
    {
        var (plan, context, logProbs) = _runs[_run];
        int j = Array.IndexOf(plan.RunPositions, _fed);
        if (j >= 0) logProbs[j] = Softmax.LogProbability(logits, plan.RunTokens[j], _temperature);
        if (++_fed < plan.Fed.Length) return;
        _known[context] = plan.J(_job, logProbs);
        _run++;
        _fed = 0;
    }

    /// <summary>J_0..J_K, once <see cref="Ready"/>.</summary>
    public double[] Values() => _contexts.Select(c => _known[c]!.Value).ToArray();
}
