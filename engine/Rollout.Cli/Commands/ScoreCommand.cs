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
        var output = new Option<string>("--out") { Description = "Output (the generate schema with the L2T fields): FILE.jsonl, FILE.parquet, or - (standard output)", Required = true };
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
            string outPath = parse.GetValue(output)!;
            string[] inputs = parse.GetValue(prompts) is { } promptFile ? [path, promptFile] : [path];
            using var writer = RolloutWriter.Open(outPath, parse.InvocationConfiguration.Output, options, inputs);
            var answers = parse.GetValue(prompts) is { } file ? PromptFile.Read(file).ToDictionary(p => p.Id, p => p.Answer) : [];
            using var engine = RolloutEngine.Open(parse.GetValue(model)!);
            var completions = ReadCompletions(path, engine, answers);
            long clipped = 0, tokens = 0;
            using (var progress = new ConsoleProgress(completions.Count, parse.InvocationConfiguration.Error))
                foreach (var r in ScoreInScopes(engine, completions, options))
                {
                    writer.Write(r);
                    clipped += r.Score!.ClippedAdvantages;
                    tokens += r.TokenIds.Length;
                    progress.Tokens(r.TokenIds.Length);
                    progress.RolloutDone();
                }
            writer.Commit();
            var clip = L2TOptionSet.ClipSummary(clipped, tokens, options.L2T!.Options.AdvantageClip);
            GenerateCommand.SummaryWriter(parse, outPath).WriteLine($"scored {writer.Count} completions of {completions.Select(c => c.Prompt.Id).Distinct().Count()} prompts; {clip}");
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

    /// <summary>
    /// Scores one scope at a time: with the group scope each prompt's completions alone (its Fisher, penalties and advantages
    /// depend on nothing else), so memory follows a group, not the file; with the batch scope the whole file is the scope.
    /// </summary>
    private static IEnumerable<RolloutResult> ScoreInScopes(RolloutEngine engine, List<GivenCompletion> completions, GenerationOptions options)
    {
        if (options.L2T!.Options.Scope == Rollout.Kernels.FisherScope.Batch)
        {
            foreach (var r in engine.Score(completions, options)) yield return r;
            yield break;
        }
        for (int start = 0; start < completions.Count;)
        {
            int end = start + 1;
            while (end < completions.Count && completions[end].Prompt.Id == completions[start].Prompt.Id) end++;
            foreach (var r in engine.Score(completions[start..end], options)) yield return r;
            start = end;
        }
    }

    private static List<GivenCompletion> ReadCompletions(string path, RolloutEngine engine, Dictionary<string, string?> answers)
    {
        int vocab = engine.Model.Config.VocabSize;
        var completions = new List<GivenCompletion>();
        var groups = new HashSet<string>();
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
                // An id outside the embedding table would fail inside ONNX Runtime, far from the line that has it.
                foreach (var (name, values) in new[] { ("prompt_token_ids", prompt.TokenIds), ("token_ids", tokens) })
                    if (values.Where(t => t < 0 || t >= vocab).Select(t => (int?)t).FirstOrDefault() is int bad)
                        throw new FormatException($"{name}: {bad} is not a token id of the model (its vocabulary has {vocab} tokens, 0..{vocab - 1})");
                if ((completions.Count == 0 || completions[^1].Prompt.Id != id) && !groups.Add(id))
                    throw new FormatException($"prompt '{id}' again after other prompts: the completions of a prompt must be consecutive (they form one group)");
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
