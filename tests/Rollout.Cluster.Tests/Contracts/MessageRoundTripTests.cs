using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Rollout.Cluster.Contracts;
using Rollout.Cluster.Tests.Support;
using Rollout.Engine;
using Rollout.Engine.Episodes;
using Rollout.Engine.Generation;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Kernels;
using Rollout.Kernels.Svd;
using Rollout.Tests;

namespace Rollout.Cluster.Tests.Contracts;

/// <summary>What crosses the wire comes back as it went: every setting of a request, every field of a rollout.</summary>
public sealed class MessageRoundTripTests
{
    private static readonly Serializer Wire = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private static T RoundTrip<T>(T value) => Wire.Deserialize<T>(Wire.SerializeToArray(value))!;

    [Fact]
    public void Every_setting_of_a_request_survives_the_wire()
    {
        var l2t = new L2TOptions
        {
            Alpha = 0.3, Beta = 0.2, FisherDamping = 1e-3, Rank = 4, EpisodeStep = 0.5, Scope = FisherScope.Batch, Estimator = PenaltyEstimator.Rank1,
            Normalization = PenaltyNormalization.Raw, FormatPenalty = -0.2, TruncatedMeanKeep = 0.9, Baseline = AdvantageBaseline.Grpo,
            AdvantageClip = 3, LengthPenalty = 0.25, SvdOversampling = 3, SvdPowerIterations = 1, SvdSeed = 7,
        };
        var sampling = new SamplingParams
        {
            Greedy = true, Temperature = 0.7, TopK = 5, TopP = 0.9, MinP = 0.05, RepetitionPenalty = 1.3, PresencePenalty = 0.5, FrequencyPenalty = 0.2,
        };
        // A setting added to these records and not to the messages would travel as its default: every one is set here.
        foreach (var property in typeof(L2TOptions).GetProperties())
            Assert.NotEqual(property.GetValue(new L2TOptions()), property.GetValue(l2t));
        foreach (var property in typeof(SamplingParams).GetProperties().Where(p => p.CanWrite))
            Assert.NotEqual(property.GetValue(new SamplingParams()), property.GetValue(sampling));

        var options = new GenerationOptions
        {
            SamplesPerPrompt = 3, MaxNewTokens = 17, Sampling = sampling, Seed = 99, StopStrings = ["\n\n", "###"], StopTokenIds = [5, 6],
            IgnoreEos = true, MinNewTokens = 2, TopLogprobs = 3, Episodes = EpisodeSpec.Parse("regex:\\n+"), BatchSize = 16,
            L2T = new L2TGeneration { Options = l2t, AnswerCue = "A: ", ZeroCopy = false, Core = new HeadCore(2, [1f, 2f, 3f, 4f]) },
        };
        var request = new GenerationRequest(new EncodedPrompt("q", [1, 2, 3], "42"), options);
        var back = RoundTrip(GroupWork.From(Guid.NewGuid(), 5, request)).ToRequest(16, TestContext.Current.CancellationToken);

        Assert.Equal(request.Prompt.Id, back.Prompt.Id);
        Assert.Equal(request.Prompt.TokenIds, back.Prompt.TokenIds);
        Assert.Equal(request.Prompt.Answer, back.Prompt.Answer);
        var o = back.Options;
        Assert.Equal((options.SamplesPerPrompt, options.MaxNewTokens, options.Seed, options.IgnoreEos), (o.SamplesPerPrompt, o.MaxNewTokens, o.Seed, o.IgnoreEos));
        Assert.Equal((options.MinNewTokens, options.TopLogprobs), (o.MinNewTokens, o.TopLogprobs));
        Assert.Equal(options.Sampling, o.Sampling);
        Assert.Equal(options.StopStrings, o.StopStrings);
        Assert.Equal(options.StopTokenIds, o.StopTokenIds);
        Assert.Equal(options.Episodes.ToString(), o.Episodes.ToString());
        Assert.Equal(options.L2T.Options, o.L2T!.Options);
        Assert.Equal(options.L2T.Core, o.L2T.Core);
        Assert.Equal((options.L2T.AnswerCue, options.L2T.ZeroCopy), (o.L2T.AnswerCue, o.L2T.ZeroCopy));
        Assert.Equal(SettingsJson.ToJson(options), SettingsJson.ToJson(o));
    }

    [Fact]
    public void A_scored_rollout_writes_the_same_line_after_the_wire()
    {
        var options = new GenerationOptions { SamplesPerPrompt = 3, MaxNewTokens = 48, Seed = 2, TopLogprobs = 2, L2T = new L2TGeneration() };
        using var engine = RolloutEngine.Open(ClusterFixture.Model);
        var prompts = engine.Encode(PromptFile.Read(Path.Combine(ClusterFixture.Model, "test.jsonl")).Take(2));
        var requests = RolloutEngine.Requests(prompts, options);
        var rollouts = engine.Generate(requests, cancel: TestContext.Current.CancellationToken).ToList();
        Assert.All(rollouts, r => Assert.NotNull(r.Score));

        var back = rollouts.Select((r, i) =>
            RoundTrip(RolloutMessage.From(r)).ToResult(GroupWork.From(Guid.Empty, i / 3, requests[i / 3]), r.Sample)).ToList();
        Assert.Equal(JsonlLines.Of(rollouts, options), JsonlLines.Of(back, options));
        Assert.Equal(rollouts.Select(r => r.Features!.U), back.Select(r => r.Features!.U));
        Assert.Equal(rollouts.Select(r => r.Features!.V), back.Select(r => r.Features!.V));
    }

}
