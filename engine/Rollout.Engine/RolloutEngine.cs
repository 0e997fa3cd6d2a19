using Rollout.Engine.Generation;
using Rollout.Engine.Model;
using Rollout.Engine.Prompts;

namespace Rollout.Engine;

/// <summary>
/// The library entry point: a model folder opened for generation. Prompts in, rollouts out, no
/// files involved, so a .NET trainer can embed it; the CLI is a thin layer over this.
/// </summary>
public sealed class RolloutEngine : IDisposable
{
    private readonly DecoderSession _session;
    private readonly Generator _generator;

    public ModelFolder Model { get; }

    private RolloutEngine(ModelFolder model, DecoderSession session)
    {
        Model = model;
        _session = session;
        _generator = new Generator(model, session);
    }

    public static RolloutEngine Open(string modelDir, ExecutionDevice device = ExecutionDevice.Cpu)
    {
        var model = ModelFolder.Open(modelDir);
        return new RolloutEngine(model, model.OpenSession(device));
    }

    /// <summary>Tokenizes every prompt (chat template where it has messages) and checks it fits the context window.</summary>
    public IReadOnlyList<EncodedPrompt> Encode(IEnumerable<Prompt> prompts) =>
        prompts.Select(p => PromptEncoder.Encode(p, Model.Tokenizer, _generator.ContextWindow)).ToList();

    /// <summary>Rollouts in prompt order, samples in order; lazily, batch by batch.</summary>
    public IEnumerable<RolloutResult> Generate(IReadOnlyList<EncodedPrompt> prompts, GenerationOptions options, Action? onToken = null) =>
        _generator.Generate(prompts, options, onToken);

    public void Dispose() => _session.Dispose();
}
