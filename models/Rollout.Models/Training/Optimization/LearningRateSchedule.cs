namespace Rollout.Models.Training.Optimization;

/// <summary>Linear warmup to <see cref="Peak"/>, then cosine decay to <see cref="Peak"/>·<see cref="FinalRatio"/> at the last step.</summary>
public sealed record LearningRateSchedule(double Peak, int WarmupSteps, int TotalSteps, double FinalRatio = 0.1)
{
    /// <summary>The rate for 0-based step <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        double progress = TotalSteps <= WarmupSteps ? 1 : Math.Min(1, (step - WarmupSteps) / (double)(TotalSteps - WarmupSteps));
        return Peak * (FinalRatio + (1 - FinalRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
