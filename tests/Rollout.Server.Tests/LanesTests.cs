using System.Text;
using System.Text.Json.Nodes;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Prompts;
using Rollout.Models.ModelFolder;

namespace Rollout.Server.Tests;

/// <summary>A server that decodes in two lanes answers as the engine in one lane does, offline.</summary>
public sealed class LanesTests
{
    [Fact]
    public async Task A_server_in_two_lanes_gives_the_rollouts_of_one_lane()
    {
        var cancel = TestContext.Current.CancellationToken;
        const string text = "Compute 12 + 7 - 5.";
        // A batch of 4 in two lanes of 2 slots, 5 samples: rows leave and join in both lanes.
        await using var server = await RolloutServer.StartAsync(new ServerOptions { ModelDir = DefaultModel.Path, Port = 0, MaxBatch = 4, Lanes = 2 });
        using var http = new HttpClient { BaseAddress = server.Address };
        using var response = await http.PostAsync("/v1/completions", new StringContent(
            $$"""{"model": "{{DefaultModel.FolderName}}", "prompt": "{{text}}", "n": 5, "temperature": 1.0, "seed": 3, "max_tokens": 48, "logprobs": 0}""",
            Encoding.UTF8, "application/json"), cancel);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancel))!;
        Assert.Equal(200, (int)response.StatusCode);

        using var engine = RolloutEngine.Open(DefaultModel.Path);
        var reference = engine.Generate(engine.Encode([new Prompt(RolloutServer.SeedPromptId, text, null, null, null)]),
            new GenerationOptions { SamplesPerPrompt = 5, MaxNewTokens = 48, Seed = 3 }).ToList();
        var choices = body["choices"]!.AsArray();
        Assert.Equal(reference.Count, choices.Count);
        for (int s = 0; s < reference.Count; s++)
        {
            Assert.Equal(reference[s].Text, (string)choices[s]!["text"]!);
            Assert.Equal(reference[s].Logprobs, choices[s]!["logprobs"]!["token_logprobs"]!.AsArray().Select(v => (float)v!).ToArray());
        }
    }
}
