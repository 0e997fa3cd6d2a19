using System.CommandLine;
using System.Text.Json;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;

namespace Rollout.Cli.Commands;

/// <summary>
/// <c>score</c>: L2T scores for given completions by teacher forcing (one prefill per completion), e.g. to
/// re-rank best-of-n outputs. Each input line names its prompt (<c>prompt_token_ids</c>, or <c>prompt</c> text,
/// or <c>messages</c>) and its completion (<c>token_ids</c>, or <c>completion</c>/<c>text</c>), grouped by
/// <c>prompt_id</c>; <c>generate</c>'s output is valid input. The answer comes from the line or from --prompts.
/// The settings a line records (temperature, episodes, token budget, L2T settings; see <see cref="SettingsJson"/>) are
/// the defaults, so <c>generate --l2t</c>'s output scored alone gets generate's numbers back; an option given overrides them.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder", Required = true };
        var rollouts = new Option<string>("--rollouts") { Description = "Completions to score (.jsonl)", Required = true };
        var prompts = new Option<string?>("--prompts") { Description = "Prompt file giving reference answers by id (when the lines have none)" };
        var output = new Option<string>("--out") { Description = "Output .jsonl (the generate schema with the L2T fields)", Required = true };
        var temperature = new Option<double?>("--temperature") { Description = "τ of the policy the completions are scored under (default: the file's, else 1)" };
        var episodes = new Option<string?>("--episodes") { Description = "Episode segmentation: tags | think | regex:RE (default: the file's, else tags)" };
        var l2t = new L2TOptionSet();
        var command = new Command("score", "Score given completions for L2T by teacher forcing") { model, rollouts, prompts, output, temperature, episodes };
        l2t.AddTo(command, switchable: false);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(rollouts)!;
            var recorded = RecordedSettings(path);
            var options = new GenerationOptions
            {
                Sampling = parse.GetValue(temperature) is double t ? new SamplingParams { Temperature = t } : recorded?.Sampling ?? new SamplingParams(),
                Episodes = parse.GetValue(episodes) is { } spec ? Rollout.Engine.Episodes.EpisodeSpec.Parse(spec) : recorded?.Episodes ?? Rollout.Engine.Episodes.EpisodeSpec.Parse("tags"),
                // The length baseline's budget (spec §5) is the generation's.
                MaxNewTokens = recorded?.MaxNewTokens ?? new GenerationOptions().MaxNewTokens,
                L2T = l2t.Read(parse, recorded?.L2T),
            };
            options.Validate();
            string[] inputs = parse.GetValue(prompts) is { } promptFile ? [path, promptFile] : [path];
            using var writer = RolloutJsonlWriter.Create(parse.GetValue(output)!, options, inputs);
            using var engine = RolloutEngine.Open(parse.GetValue(model)!);
            var answers = parse.GetValue(prompts) is { } file ? PromptFile.Read(file).ToDictionary(p => p.Id, p => p.Answer) : [];
            var completions = ReadCompletions(path, engine, answers);
            var results = engine.Score(completions, options);
            foreach (var r in results) writer.Write(r);
            writer.Commit();
            var clip = L2TOptionSet.ClipSummary(results.Sum(r => r.Score!.ClippedAdvantages), results.Sum(r => r.TokenIds.Length), options.L2T!.Options.AdvantageClip);
            parse.InvocationConfiguration.Output.WriteLine($"scored {results.Count} completions of {completions.Select(c => c.Prompt.Id).Distinct().Count()} prompts; {clip}");
            return 0;
        });
        return command;
    }

    /// <summary>The settings the file's lines record (generate's output does), checked to be the same on every line; null when none does.</summary>
    private static GenerationOptions? RecordedSettings(string path)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: file not found");
        string? first = null;
        int firstLine = 0, lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? settings;
            try { settings = JsonDocument.Parse(line).RootElement.TryGetProperty("settings", out var s) ? s.GetRawText() : null; }
            catch (JsonException e) { throw new InputException($"{path}:{lineNumber}: {e.Message}"); }
            if (settings == null) continue;
            if (first == null) (first, firstLine) = (settings, lineNumber);
            else if (settings != first) throw new InputException($"{path}:{lineNumber}: its settings differ from line {firstLine}'s; score lines generated with one setting at a time");
        }
        return first == null ? null : SettingsJson.Read(JsonDocument.Parse(first).RootElement, $"{path}:{firstLine}");
    }

    private static List<GivenCompletion> ReadCompletions(string path, RolloutEngine engine, Dictionary<string, string?> answers)
    {
        var completions = new List<GivenCompletion>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                var json = JsonDocument.Parse(line).RootElement;
                string id = Str(json, "prompt_id") ?? Str(json, "id") ?? lineNumber.ToString();
                string answer = Str(json, "answer") ?? answers.GetValueOrDefault(id)
                    ?? throw new FormatException($"no answer for prompt '{id}' (in the line or from --prompts); L2T scoring needs each prompt's reference answer");
                var prompt = json.TryGetProperty("prompt_token_ids", out var promptIds)
                    ? new EncodedPrompt(id, promptIds.EnumerateArray().Select(x => x.GetInt32()).ToArray(), answer)
                    : engine.Encode([new Prompt(id, Str(json, "prompt"), Messages(json), answer, null)])[0];
                int[] tokens = json.TryGetProperty("token_ids", out var ids)
                    ? ids.EnumerateArray().Select(x => x.GetInt32()).ToArray()
                    : engine.Model.Tokenizer.Encode(Str(json, "completion") ?? Str(json, "text")
                        ?? throw new FormatException("no token_ids, completion or text"), addSpecialTokens: false).ToArray();
                completions.Add(new GivenCompletion(prompt, tokens));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                throw new InputException($"{path}:{lineNumber}: {e.Message}");
            }
        }
        if (completions.Count == 0) throw new InputException($"{path}: no completions");
        return completions;
    }

    private static string? Str(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : null;

    private static List<ChatMessage>? Messages(JsonElement json) =>
        json.TryGetProperty("messages", out var messages)
            ? messages.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList()
            : null;
}
