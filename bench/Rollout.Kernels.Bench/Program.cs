using BenchmarkDotNet.Running;
using Rollout.Kernels.Bench;
using Rollout.Kernels.Bench.Roofline;

// dotnet run -c Release --project bench/Rollout.Kernels.Bench -- [--note TEXT] [BenchmarkDotNet arguments]
// Measures the memory bandwidth, runs the kernel suites, and writes bench/results/kernels-roofline-<machine>-<date>.md.
var (note, arguments) = TakeNote(args);
// Without arguments the whole suite runs, rather than BenchmarkDotNet's interactive menu.
if (arguments.Length == 0) arguments = ["--filter", "*"];

var backends = KernelBenchmark.Backends().ToList();
var bandwidth = MeasuredBandwidth.Measure(backends);
foreach (var (backend, rates) in bandwidth.Rates)
    foreach (var rate in rates) Console.WriteLine($"{backend}: {Format.Stream(rate)}");

var summaries = BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmark).Assembly).Run(arguments, BenchConfig.Create(bandwidth)).ToList();
if (summaries.Any(summary => summary.Reports.Any(report => report.Success)))
{
    var path = RooflineReport.Write(Path.Combine(RepositoryRoot(), "bench", "results"), summaries, bandwidth,
        Machine.Describe(backends), arguments, note);
    Console.WriteLine($"Wrote {path}");
}
return 0;

// --note TEXT: a line for the results file (how loaded the machine was, say); the rest goes to BenchmarkDotNet.
static (string? Note, string[] Others) TakeNote(string[] args)
{
    int at = Array.IndexOf(args, "--note");
    if (at < 0 || at + 1 >= args.Length) return (null, args);
    return (args[at + 1], [.. args[..at], .. args[(at + 2)..]]);
}

// The checkout this runs from (the folder holding Rollout.sln, up from the working directory), else the working directory.
static string RepositoryRoot()
{
    for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        if (File.Exists(Path.Combine(folder.FullName, "Rollout.sln"))) return folder.FullName;
    return Environment.CurrentDirectory;
}
