using Rollout.Cluster.Tests.Support;
using Rollout.Tests;

namespace Rollout.Cluster.Tests;

/// <summary><c>rollout worker</c>'s bad options: one line and exit 2, before the worker joins any cluster.</summary>
public sealed class WorkerCommandTests
{
    [Theory]
    [InlineData("--max-batch", "0", "rollout: --max-batch must be at least 1 (got 0)")]
    [InlineData("--lanes", "0", "rollout: --lanes must be at least 1 (got 0)")]
    public void A_bad_option_ends_in_one_line_with_exit_code_2(string option, string value, string message)
    {
        var (code, output, error) = CliRun.Run("worker", "--model", ClusterFixture.Model, "--cluster", "dev", option, value);
        Assert.Equal(2, code);
        CliRun.AssertOneLineError(error, message);
        Assert.Empty(output);
    }
}
