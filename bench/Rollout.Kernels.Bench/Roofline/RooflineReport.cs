using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;
using Rollout.Kernels.Runtime;

namespace Rollout.Kernels.Bench.Roofline;

/// <summary>Writes a run's results file: the machine, its measured bandwidth, and each kernel's place under that roof.</summary>
public static class RooflineReport
{
    /// <summary>Writes <c>kernels-roofline-&lt;machine kind&gt;-&lt;date&gt;.md</c> into <paramref name="folder"/> and returns its path.</summary>
    public static string Write(string folder, IEnumerable<Summary> summaries, MeasuredBandwidth bandwidth, Machine machine,
        IEnumerable<string> arguments, string? note)
    {
        var date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var points = summaries
            .SelectMany(summary => summary.BenchmarksCases.Select(benchmark => RooflinePoint.Of(summary, benchmark, bandwidth)))
            .OfType<RooflinePoint>()
            .ToList();

        var text = new StringBuilder();
        text.AppendLine($"# L2T kernels against the memory roofline: {machine.Kind} ({date})");
        text.AppendLine();
        text.AppendLine($"Machine: {machine.Cpu}{(machine.Cache is null ? "" : $" (cache size {machine.Cache})")}, {machine.Cores} logical cores" +
                        $"{(machine.Gpu is null ? "" : $", {machine.Gpu}")}; " +
                        $"{machine.Runtime}; run {date} (UTC).");
        if (note is not null) text.AppendLine().AppendLine(note);
        text.AppendLine();
        text.AppendLine($"Sizes: V = {Sizes.Vocab}, d = {Sizes.Width}, r = {Sizes.Rank}, {Sizes.Rows} rows a step; " +
                        $"N = {Sizes.Tokens} tokens ({Sizes.Rollouts} rollouts × {Sizes.TokensPerRollout}), K = {Sizes.Episodes} episodes, " +
                        $"{Sizes.Groups} groups.");
        text.AppendLine();
        text.AppendLine("Measured memory bandwidth (the best trial, STREAM's byte count); each backend's roof is its fastest stream:");
        text.AppendLine();
        foreach (var (backend, rates) in bandwidth.Rates)
            text.AppendLine($"- {backend}: " + string.Join(", ", rates.Select(Format.Stream)));
        text.AppendLine();
        text.AppendLine("Bytes: each op's compulsory traffic (inputs read once, outputs written once; the formula stands beside its " +
                        "benchmark in bench/Rollout.Kernels.Bench). ms: median of the measured iterations. The roof is the memory's: an op " +
                        "whose bytes fit in the caches reads them from there after its first call and can pass 100%; one that is " +
                        "compute- or latency-bound stays far below it.");
        text.AppendLine();
        text.AppendLine("| kernel | backend | ms | bytes | GB/s | % of measured bandwidth |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var point in points)
            text.AppendLine($"| {point.Kernel} | {point.Backend} | {Format.Milliseconds(point.Milliseconds)} | {Format.Bytes(point.Bytes)} | " +
                            $"{Format.Rate(point.GigabytesPerSecond)} | {Format.Share(point.ShareOfPeak)} |");
        text.AppendLine();
        var command = string.Join(' ', arguments.Select(argument => argument.Contains(' ') || argument.Contains('*') ? $"'{argument}'" : argument));
        text.AppendLine($"Run with `dotnet run -c Release --project bench/Rollout.Kernels.Bench -- {command}`: BenchmarkDotNet, in process, " +
                        $"{Iterations(summaries)}; backends " +
                        $"{string.Join(", ", bandwidth.Rates.Keys)} (ILGPU's CPU accelerator left out: far too slow at these sizes).");

        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"kernels-roofline-{machine.Kind}-{date}.md");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>The warm-up and measured iterations the benchmarks ran: the most common counts, then those that differ and where.</summary>
    private static string Iterations(IEnumerable<Summary> summaries)
    {
        var runs = summaries.SelectMany(summary => summary.BenchmarksCases)
            .GroupBy(benchmark => (benchmark.Job.Run.WarmupCount, benchmark.Job.Run.IterationCount))
            .OrderByDescending(group => group.Count())
            .ToList();
        static string Counts((int Warmup, int Iterations) run) => $"{run.Warmup} warm-up and {run.Iterations} measured iterations";
        return $"{Counts(runs[0].Key)} per benchmark" + string.Concat(runs.Skip(1).Select(group =>
            $" ({string.Join(", ", group.Select(RooflinePoint.KernelName).Distinct())}: {Counts(group.Key)})"));
    }
}
