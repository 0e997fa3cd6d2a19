using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Rollout.Models.ModelFolder;

namespace Rollout.Server.Tests;

/// <summary>
/// <c>rollout serve</c>: bad options end in one line and exit 2; as a process it serves, and SIGTERM or SIGINT stops it
/// cleanly (exit 0), in-flight requests ended.
/// </summary>
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--max-batch", "0", "rollout: --max-batch must be at least 1 (got 0)")]
    [InlineData("--max-queue", "-1", "rollout: --max-queue must be at least 1 (got -1)")]
    [InlineData("--host", "example.org", "rollout: --host 'example.org' is not an IP address or localhost")]
    [InlineData("--device", "tpu", "rollout: --device: 'tpu' is not a device (cpu, cuda)")]
    [InlineData("--lanes", "0", "rollout: --lanes must be at least 1 (got 0)")]
    public void A_bad_option_ends_in_one_line_with_exit_code_2(string option, string value, string message)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = Rollout.Cli.Cli.Run(["serve", "--model", DefaultModel.Path, "--port", "0", option, value], output, error);
        Assert.Equal(2, code);
        Assert.Equal(message, error.ToString().TrimEnd());
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_stops_the_server_with_exit_code_0_and_ends_the_requests_in_flight(string signal)
    {
        var cancel = TestContext.Current.CancellationToken;
        using var server = Start();
        var address = await AddressOf(server, cancel);
        using var http = new HttpClient { BaseAddress = address };
        Assert.Equal("ok", await http.GetStringAsync("/health", cancel));

        // A long request in flight: 8 samples × 200 tokens, streamed.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"model": "arith-qwen2", "prompt": "Compute 1 + 2.", "n": 8, "max_tokens": 200, "ignore_eos": true, "stream": true}""",
                Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        Assert.StartsWith("data: ", await reader.ReadLineAsync(cancel));

        using (var kill = Process.Start("kill", $"-{signal} {server.Id}")) await kill.WaitForExitAsync(cancel);
        var rest = await reader.ReadToEndAsync(cancel);
        await server.WaitForExitAsync(cancel);
        Assert.Equal(0, server.ExitCode);
        // The stream was ended by the server: with its error, then [DONE].
        Assert.Contains("\"code\":\"shutting_down\"", rest);
        Assert.EndsWith("data: [DONE]\n\n", rest);
    }

    /// <summary><c>rollout serve</c> from this folder's copy of the CLI (the tests' dependencies stand in for its own, GPU natives aside).</summary>
    private static Process Start()
    {
        var dir = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "exec", "--depsfile", Path.Combine(dir, "Rollout.Server.Tests.deps.json"), "--runtimeconfig", Path.Combine(dir, "rollout.runtimeconfig.json"),
                     Path.Combine(dir, "rollout.dll"), "serve", "--model", DefaultModel.Path, "--port", "0", "--max-batch", "4" })
            info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    private static async Task<Uri> AddressOf(Process server, CancellationToken cancel)
    {
        var line = await server.StandardOutput.ReadLineAsync(cancel);
        var match = line == null ? null : Regex.Match(line, @"at (http://\S+)");
        if (match is not { Success: true })
            throw new InvalidOperationException($"rollout serve did not start: {line} {await server.StandardError.ReadToEndAsync(cancel)}");
        return new Uri(match.Groups[1].Value);
    }
}
