namespace Rollout.Kernels.Tests;

/// <summary>
/// The test executable's entry point: xunit.v3's own (console runner, or the testing platform when a host asks for
/// it), plus <c>bench</c>, which prints kernel timings (see <see cref="Bench.KernelTimings"/>).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "bench") return Bench.KernelTimings.Run(args[1..]);
        if (args.Any(arg => arg is "--server" or "--internal-msbuild-node"))
            return Xunit.MicrosoftTestingPlatform.TestPlatformTestFramework
                .RunAsync(args, SelfRegisteredExtensions.AddSelfRegisteredExtensions).GetAwaiter().GetResult();
        return Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args).GetAwaiter().GetResult();
    }
}
