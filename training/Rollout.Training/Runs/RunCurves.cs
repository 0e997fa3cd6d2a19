using ScottPlot;

namespace Rollout.Training.Runs;

/// <summary><c>curves.png</c>: held-out accuracy, mean completion tokens and reward against iteration, one panel each.</summary>
public static class RunCurves
{
    public static void Write(string path, IReadOnlyList<IterationMetrics> iterations, IReadOnlyList<EvalMetrics> evaluations, string title)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var (accuracy, tokens, reward) = (multiplot.GetPlot(0), multiplot.GetPlot(1), multiplot.GetPlot(2));

        double[] evalX = [.. evaluations.Select(e => (double)e.Iteration)];
        double[] trainX = [.. iterations.Select(m => (double)m.Iteration)];
        Line(accuracy, evalX, [.. evaluations.Select(e => 100 * e.Accuracy)], "held-out greedy");
        Line(accuracy, trainX, [.. iterations.Select(m => 100 * m.OutcomeAccuracy)], "sampled (train)");
        accuracy.Title(title);
        accuracy.YLabel("accuracy (%)");
        Line(tokens, evalX, [.. evaluations.Select(e => e.MeanTokens)], "held-out greedy");
        Line(tokens, trainX, [.. iterations.Select(m => m.MeanTokens)], "sampled (train)");
        tokens.YLabel("mean completion tokens");
        Line(reward, trainX, [.. iterations.Select(m => m.Reward)], "mean Σ_k R_k");
        reward.YLabel("reward");
        reward.XLabel("iteration");
        foreach (var plot in new[] { accuracy, tokens, reward }) plot.ShowLegend(Alignment.UpperRight);
        multiplot.SavePng(path, 900, 900);
    }

    private static void Line(Plot plot, double[] x, double[] y, string label)
    {
        if (x.Length == 0) return;
        var line = plot.Add.Scatter(x, y);
        line.LegendText = label;
    }
}
