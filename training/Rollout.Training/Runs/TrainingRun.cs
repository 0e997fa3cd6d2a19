using System.Diagnostics;
using System.Text.Json;
using Rollout.Engine;
using Rollout.Engine.Generation;
using Rollout.Engine.Output;
using Rollout.Engine.Prompts;
using Rollout.Engine.Sampling;
using Rollout.Models.Tasks;
using Rollout.Models.Tasks.Evaluation;
using Rollout.Training.Tasks;
using Rollout.Training.Updates;

namespace Rollout.Training.Runs;

/// <summary>
/// The closed loop: each iteration samples P prompts × G rollouts of the task's train split from the current policy,
/// scores them for L2T, takes one update step with the chosen advantages, and writes a metrics line and a checkpoint;
/// every E iterations (and before the first) it evaluates held-out problems greedily. A run killed at any moment and
/// resumed writes what the uninterrupted run writes (timings aside): every draw follows from (seed, iteration).
/// </summary>
public static class TrainingRun
{
    public const string MetricsFile = "metrics.jsonl", EvalFile = "eval.jsonl", CurvesFile = "curves.png", PolicyFolder = "policy";

    /// <param name="log">Gets a line per iteration.</param>
    /// <param name="onIteration">Told the iteration reached: the one resumed from (0 for a fresh run) before any work, then each one done.</param>
    /// <param name="onToken">Told of every generated token (sampling and evaluation).</param>
    /// <param name="sampler">Where each iteration's rollouts are sampled (a cluster's workers); this process's engine when null.
    /// The head core M travels with every request; the full update hands it its new weights after each step.</param>
    public static void Run(TrainingOptions options, Action<string> log, Action<int>? onIteration = null, Action? onToken = null,
        IRolloutGenerator? sampler = null)
    {
        options.Validate();
        // The model folder's files (config, tokenizer) are checked before the run folder is made; the session loads after.
        Engine.Model.ModelFolder.Open(options.ModelDir);
        var checkpoint = Prepare(options);
        var run = Identity(options);
        if (checkpoint != null && checkpoint.Run != run)
            throw new InputException($"{options.OutDir}: its checkpoint belongs to another run ({Difference(checkpoint.Run, run)})");

        using var engine = RolloutEngine.Open(options.ModelDir);
        var settings = options.L2T with { Options = options.L2T.Options with { Baseline = options.Advantage } };
        using var policy = OpenPolicy(options, engine, settings, checkpoint, sampler);
        int start = checkpoint?.Iteration ?? 0;
        onIteration?.Invoke(start);
        var metrics = Kept<IterationMetrics>(Path.Combine(options.OutDir, MetricsFile), start, m => m.Iteration);
        var evaluations = Kept<EvalMetrics>(Path.Combine(options.OutDir, EvalFile), start, e => e.Iteration);
        var heldOut = options.EvalEvery > 0 ? TaskProblems.HeldOut(options.EvalProblems) : [];
        if (start == 0 && heldOut.Count > 0) Append(options, EvalFile, evaluations, Evaluate(engine, policy, settings, heldOut, options, 0, onToken));

        for (int iteration = start + 1; iteration <= options.Iterations; iteration++)
        {
            var line = Iterate(engine, sampler ?? engine, policy, settings, options, iteration, onToken);
            Append(options, MetricsFile, metrics, line);
            if (heldOut.Count > 0 && iteration % options.EvalEvery == 0)
                Append(options, EvalFile, evaluations, Evaluate(engine, policy, settings, heldOut, options, iteration, onToken));
            new Checkpoint(iteration, run, policy.Steps, policy.State()).Write(options.OutDir);
            RunCurves.Write(Path.Combine(options.OutDir, CurvesFile), metrics, evaluations, Title(options));
            log(Progress(line, options.Iterations, evaluations.LastOrDefault(e => e.Iteration == iteration)));
            onIteration?.Invoke(iteration);
        }
        if (metrics.Count == 0) RunCurves.Write(Path.Combine(options.OutDir, CurvesFile), metrics, evaluations, Title(options));
        WritePolicy(policy, options.OutDir);
    }

    private static IterationMetrics Iterate(RolloutEngine engine, IRolloutGenerator sampler, IPolicyUpdate policy, L2TGeneration settings,
        TrainingOptions options, int iteration, Action? onToken)
    {
        var problems = TaskProblems.Train(options.Seed, iteration, options.Prompts);
        // Ids unique within the iteration: the train side may repeat a problem, and repeated ids would merge groups.
        var prompts = engine.Encode(problems.Select((p, i) => new Prompt($"{iteration}-{i}-{p.Id}", p.Prompt, null, p.Answer, null)));
        var generation = new GenerationOptions
        {
            SamplesPerPrompt = options.Samples, MaxNewTokens = options.MaxNewTokens, BatchSize = options.BatchSize,
            Seed = (ulong)TaskProblems.IterationSeed(options.Seed, iteration),
            Sampling = new SamplingParams { Temperature = options.Temperature },
            L2T = policy.Sampling(settings),
        };
        var before = engine.Times;
        long started = Stopwatch.GetTimestamp();
        var rollouts = sampler.Generate(RolloutEngine.Requests(prompts, generation), onToken == null ? null : _ => onToken()).ToList();
        var generated = Stopwatch.GetElapsedTime(started);
        var after = engine.Times;
        started = Stopwatch.GetTimestamp();
        double norm = policy.Step(rollouts, options.Temperature);
        var updated = Stopwatch.GetElapsedTime(started);

        var probes = after.Probes - before.Probes;
        var scoring = after.Scoring - before.Scoring;
        var episodes = rollouts.SelectMany(r => r.Score!.Episodes).ToList();
        int tokens = rollouts.Sum(r => r.TokenIds.Length);
        return new IterationMetrics
        {
            Iteration = iteration,
            Reward = rollouts.Average(r => r.Score!.Episodes.Sum(e => e.Reward)),
            OutcomeAccuracy = rollouts.Average(r => r.Score!.OutcomeReward >= 0.5 ? 1.0 : 0.0),
            MeanTokens = rollouts.Average(r => r.TokenIds.Length),
            MeanEpisodes = rollouts.Average(r => r.Episodes.Count),
            RedundantShare = Share(rollouts.Sum(r => Completion.Of(r, engine.Model.Tokenizer).RedundantTokens), tokens),
            FitGain = episodes.Average(e => e.FitGain),
            Penalty = episodes.Average(e => e.Penalty),
            AdvantageClipShare = Share(rollouts.Sum(r => r.Score!.ClippedAdvantages), tokens),
            UpdateNorm = norm,
            Seconds = new StageSeconds((generated - probes - scoring).TotalSeconds, probes.TotalSeconds, scoring.TotalSeconds, updated.TotalSeconds),
        };
    }

    /// <summary>Greedy decoding of the held-out problems with the current policy.</summary>
    private static EvalMetrics Evaluate(RolloutEngine engine, IPolicyUpdate policy, L2TGeneration settings,
        IReadOnlyList<TaskProblem> problems, TrainingOptions options, int iteration, Action? onToken)
    {
        var result = EngineEvaluation.Run(engine, problems, new GenerationOptions
        {
            MaxNewTokens = options.MaxNewTokens, BatchSize = options.BatchSize, Sampling = new SamplingParams { Greedy = true },
            L2T = policy.Sampling(settings),
        }, onToken);
        return new EvalMetrics
        {
            Iteration = iteration, Accuracy = result.Accuracy, MeanTokens = result.MeanTokens, RedundantShare = result.RedundantTokenShare,
            ByDifficulty = DifficultyMetrics.Of(result),
        };
    }

    private static IPolicyUpdate OpenPolicy(TrainingOptions options, RolloutEngine engine, L2TGeneration settings, Checkpoint? checkpoint,
        IRolloutGenerator? sampler)
    {
        var state = checkpoint is null ? ((IReadOnlyList<NamedTensor>, int)?)null : (checkpoint.Tensors, checkpoint.Steps);
        var adamW = new Kernels.Update.AdamWSettings { LearningRate = options.EffectiveLearningRate };
        return options.Update switch
        {
            UpdateKind.Core => new CorePolicy(engine, settings, new CoreUpdateSettings { AdamW = adamW, KlWeight = options.KlWeight }, state),
            _ => new FullPolicy(engine, adamW, state, sampler),
        };
    }

    /// <summary>
    /// Makes the run folder ready and returns the checkpoint to continue from: with --resume the folder's checkpoint
    /// (none: a fresh start); without it the folder must be new or empty.
    /// </summary>
    private static Checkpoint? Prepare(TrainingOptions options)
    {
        var dir = options.OutDir;
        if (File.Exists(dir)) throw InputException.ForSetting(nameof(options.OutDir), $"{dir}: a file, not a folder");
        bool used = Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any();
        if (used && !options.Resume) throw InputException.ForSetting(nameof(options.OutDir), $"{dir}: the folder is not empty (resume the run to continue it)");
        OutputFolder.Create(dir);
        var checkpoint = options.Resume ? Checkpoint.Read(dir) : null;
        if (checkpoint == null)
            foreach (var file in new[] { MetricsFile, EvalFile }) File.Delete(Path.Combine(dir, file));
        else if (checkpoint.Iteration > options.Iterations)
            throw InputException.ForSetting(nameof(options.Iterations), $"{options.Iterations}: the run in {dir} is already at iteration {checkpoint.Iteration}");
        return checkpoint;
    }

    /// <summary>What must match for --resume to continue a run: everything that changes what it computes (not the iteration count, which may grow).</summary>
    private static string Identity(TrainingOptions o) => JsonSerializer.Serialize(new SortedDictionary<string, string>
    {
        ["model"] = Path.GetFullPath(o.ModelDir), ["task"] = o.Task, ["advantage"] = o.Advantage.ToString(), ["update"] = o.Update.ToString(),
        ["seed"] = $"{o.Seed}", ["prompts"] = $"{o.Prompts}", ["n"] = $"{o.Samples}", ["temperature"] = $"{o.Temperature}",
        ["max-new-tokens"] = $"{o.MaxNewTokens}", ["lr"] = $"{o.EffectiveLearningRate}", ["batch-size"] = $"{o.BatchSize}", ["kl"] = $"{o.KlWeight}",
        ["eval-every"] = $"{o.EvalEvery}", ["eval-problems"] = $"{o.EvalProblems}", ["l2t"] = JsonSerializer.Serialize(o.L2T.Options),
        ["answer-cue"] = o.L2T.AnswerCue,
    });

    /// <summary>The settings two identities disagree on, as "name: then → now".</summary>
    private static string Difference(string then, string now)
    {
        Dictionary<string, string> before;
        try { before = JsonSerializer.Deserialize<Dictionary<string, string>>(then) ?? []; }
        catch (JsonException) { return "its settings are unreadable"; }
        var after = JsonSerializer.Deserialize<Dictionary<string, string>>(now) ?? [];
        return string.Join("; ", after.Where(a => !before.TryGetValue(a.Key, out var b) || b != a.Value)
            .Select(a => $"{a.Key}: {JsonSerializer.Serialize(before.GetValueOrDefault(a.Key))} there, {JsonSerializer.Serialize(a.Value)} here"));
    }

    /// <summary>The lines of <paramref name="path"/> up to iteration <paramref name="last"/>, rewritten without any later or cut-off line a killed run left.</summary>
    private static List<T> Kept<T>(string path, int last, Func<T, int> iteration)
    {
        if (!File.Exists(path)) return [];
        var kept = new List<T>();
        foreach (var line in File.ReadLines(path))
        {
            T? item;
            try { item = JsonSerializer.Deserialize<T>(line); }
            catch (JsonException) { break; }
            if (item == null || iteration(item) > last) break;
            kept.Add(item);
        }
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, kept.Select(k => JsonSerializer.Serialize(k)));
        File.Move(temporary, path, overwrite: true);
        return kept;
    }

    private static void Append<T>(TrainingOptions options, string file, List<T> lines, T line)
    {
        lines.Add(line);
        using var stream = new FileStream(Path.Combine(options.OutDir, file), FileMode.Append, FileAccess.Write);
        stream.Write(JsonSerializer.SerializeToUtf8Bytes(line));
        stream.WriteByte((byte)'\n');
        stream.Flush(flushToDisk: true);
    }

    /// <summary>The policy folder, written beside and renamed into place so a reader never sees half of it.</summary>
    private static void WritePolicy(IPolicyUpdate policy, string dir)
    {
        var target = Path.Combine(dir, PolicyFolder);
        var temporary = target + ".tmp";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        policy.WritePolicy(temporary);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(temporary, target);
    }

    private static double Share(long part, long whole) => whole == 0 ? 0 : (double)part / whole;

    private static string Title(TrainingOptions o) =>
        $"{Path.GetFileName(Path.GetFullPath(o.ModelDir))}: {o.Advantage.ToString().ToLowerInvariant()}, {o.Update.ToString().ToLowerInvariant()} update, seed {o.Seed}";

    private static string Progress(IterationMetrics m, int iterations, EvalMetrics? eval) =>
        $"iteration {m.Iteration}/{iterations}  reward {m.Reward:F3}  accuracy {m.OutcomeAccuracy:P1}  tokens {m.MeanTokens:F1}  " +
        $"redundant {m.RedundantShare:P1}  clipped {m.AdvantageClipShare:P2}  |Δθ| {m.UpdateNorm:G3}  " +
        $"{m.Seconds.Sample + m.Seconds.Probes + m.Seconds.Score + m.Seconds.Update:F1} s" +
        (eval is null ? "" : $"  held-out {eval.Accuracy:P1} ({eval.MeanTokens:F1} tokens)");
}
