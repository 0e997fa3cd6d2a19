namespace Rollout.Models.Training;

/// <summary>
/// Sequences packed end to end without padding: row n is one token, attention stays inside its
/// sequence. <see cref="Targets"/>[n] is the next token when that token is a completion token, else −1, and
/// <see cref="Weights"/>[n] that token's weight in the loss.
/// </summary>
public sealed class TokenBatch
{
    public int Rows { get; }
    public int[] Tokens { get; }
    public int[] Positions { get; }
    public int[] Targets { get; }
    public double[] Weights { get; }
    public int[] SequenceStarts { get; }
    public int[] SequenceLengths { get; }
    public int TargetCount { get; }

    public TokenBatch(IReadOnlyList<TrainingSequence> sequences)
    {
        Rows = sequences.Sum(s => s.Tokens.Length);
        Tokens = new int[Rows];
        Positions = new int[Rows];
        Targets = new int[Rows];
        Weights = new double[Rows];
        SequenceStarts = new int[sequences.Count];
        SequenceLengths = new int[sequences.Count];
        int row = 0;
        for (int s = 0; s < sequences.Count; s++)
        {
            var seq = sequences[s];
            if (seq.Tokens.Length == 0) throw new ArgumentException($"sequence {s} is empty");
            if (seq.CompletionWeights is { } w && w.Length != seq.Tokens.Length - seq.PromptLength)
                throw new ArgumentException($"sequence {s} has {seq.Tokens.Length - seq.PromptLength} completion tokens and {w.Length} weights");
            SequenceStarts[s] = row;
            SequenceLengths[s] = seq.Tokens.Length;
            for (int t = 0; t < seq.Tokens.Length; t++, row++)
            {
                Tokens[row] = seq.Tokens[t];
                Positions[row] = t;
                bool predictsCompletion = t + 1 < seq.Tokens.Length && t + 1 >= seq.PromptLength;
                Targets[row] = predictsCompletion ? seq.Tokens[t + 1] : -1;
                Weights[row] = predictsCompletion ? seq.CompletionWeights?[t + 1 - seq.PromptLength] ?? 1 : 0;
                if (predictsCompletion) TargetCount++;
            }
        }
    }
}
