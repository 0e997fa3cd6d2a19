using System.CommandLine;
using System.Text.Json;
using Rollout.Bench.Peer;
using Rollout.Bench.Serve;
using Rollout.Bench.Swap;

var peer = new Command("peer", "Issue #9's end-to-end comparison with ONNX Runtime GenAI: each workload on every engine, alternating runs, one process per run");
var workloads = new Option<string[]>("--workloads") { AllowMultipleArgumentsPerToken = true, Description = $"Workloads to run ({string.Join(", ", Workload.Names)})", DefaultValueFactory = _ => Workload.Names };
var rounds = new Option<int>("--rounds") { Description = "Alternating rounds (a run of each engine on each workload per round)", DefaultValueFactory = _ => 5 };
var quick = new Option<bool>("--quick") { Description = $"Small token counts ({Workload.QuickMinTokens}+ a run instead of {Workload.MinTokens}+), to smoke-test the harness" };
var results = new Option<string>("--results") { Description = "Folder for the figures", DefaultValueFactory = _ => "bench/results" };
var cache = new Option<string>("--cache") { Description = "Where the bench models are written", DefaultValueFactory = _ => "bench/.models" };
var title = new Option<string>("--title") { Description = "Results file name before the date", DefaultValueFactory = _ => "peer-full" };
foreach (var option in new Option[] { workloads, rounds, quick, results, cache, title })
    peer.Options.Add(option);
peer.SetAction(parse => PeerComparison.Run(Workload.Select(parse.GetValue(workloads)!, parse.GetValue(quick)).ToList(), parse.GetValue(rounds),
    parse.GetValue(cache)!, parse.GetValue(results)!, parse.GetValue(title)!));

var experiment = new Command("l2t-vs-grpo", "Train every advantage mode × update kind × seed on the testbed with the same rollout budget; compare the final policies");
var expModel = new Option<string>("--model") { Description = "Model folder to start from", DefaultValueFactory = _ => "models/arith-verbose-qwen2" };
var methods = new Option<string[]>("--methods") { AllowMultipleArgumentsPerToken = true, Description = "Advantage modes", DefaultValueFactory = _ => ["grpo", "length", "l2t", "l2t-rtg"] };
var fullMethods = new Option<string[]?>("--full-methods") { AllowMultipleArgumentsPerToken = true, Description = "Advantage modes of the full update's runs, where it is too slow for all (default: --methods)" };
var updates = new Option<string[]>("--updates") { AllowMultipleArgumentsPerToken = true, Description = "Update kinds: core, full", DefaultValueFactory = _ => ["core", "full"] };
var seeds = new Option<int[]>("--seeds") { AllowMultipleArgumentsPerToken = true, Description = "Seeds", DefaultValueFactory = _ => [1, 2, 3] };
var iterations = new Option<int>("--iterations") { Description = "Iterations per run", DefaultValueFactory = _ => 40 };
var prompts = new Option<int>("--prompts") { Description = "Prompts per iteration", DefaultValueFactory = _ => 16 };
var samples = new Option<int>("--n") { Description = "Rollouts per prompt", DefaultValueFactory = _ => 8 };
var evalEvery = new Option<int>("--eval-every") { Description = "Held-out evaluation every this many iterations", DefaultValueFactory = _ => 10 };
var evalProblems = new Option<int>("--eval-problems") { Description = "Held-out problems per evaluation during a run", DefaultValueFactory = _ => 100 };
var finalProblems = new Option<int>("--final-problems") { Description = "Held-out problems for the final policies", DefaultValueFactory = _ => 200 };
var finalSamples = new Option<int>("--final-samples") { Description = "T = 1 samples per problem for pass@1", DefaultValueFactory = _ => 4 };
var coreLr = new Option<double?>("--core-lr") { Description = "Learning rate of the core step (default: train's)" };
var fullLr = new Option<double?>("--full-lr") { Description = "Learning rate of the full step (default: train's)" };
var beta = new Option<double>("--beta") { Description = "β of the L2T reward (spec §7 default 0.6)", DefaultValueFactory = _ => new Rollout.Kernels.L2TOptions().Beta };
var experimentTitle = new Option<string>("--title") { Description = "Results file name before the date", DefaultValueFactory = _ => "l2t-vs-grpo" };
var runsDir = new Option<string>("--runs") { Description = "Where the run folders go", DefaultValueFactory = _ => "bench/.runs" };
foreach (var option in new Option[] { expModel, methods, fullMethods, updates, seeds, iterations, prompts, samples, evalEvery, evalProblems, finalProblems, finalSamples, coreLr, fullLr, beta, runsDir, results, experimentTitle })
    experiment.Options.Add(option);
experiment.SetAction(parse =>
{
    if (parse.GetValue(methods)!.Concat(parse.GetValue(fullMethods) ?? []).FirstOrDefault(m => !Rollout.Bench.Experiment.L2TVsGrpo.IsMethod(m)) is { } badMethod)
        throw new ArgumentException($"--methods: '{badMethod}' is not one of grpo, length, l2t, l2t-rtg");
    if (parse.GetValue(updates)!.FirstOrDefault(u => u is not ("core" or "full")) is { } badUpdate)
        throw new ArgumentException($"--updates: '{badUpdate}' is not one of core, full");
    return Rollout.Bench.Experiment.L2TVsGrpo.Run(new(parse.GetValue(expModel)!, parse.GetValue(methods)!, parse.GetValue(fullMethods) ?? parse.GetValue(methods)!, parse.GetValue(updates)!, parse.GetValue(seeds)!,
        parse.GetValue(iterations), parse.GetValue(prompts), parse.GetValue(samples), parse.GetValue(evalEvery), parse.GetValue(evalProblems),
        parse.GetValue(finalProblems), parse.GetValue(finalSamples), parse.GetValue(coreLr), parse.GetValue(fullLr), parse.GetValue(beta), parse.GetValue(runsDir)!, parse.GetValue(results)!, parse.GetValue(experimentTitle)!));
});

var swap = new Command("swap", "Times a full weight update's swap into the engine, and generation before and after it");
var swapModels = new Option<string[]>("--models") { AllowMultipleArgumentsPerToken = true, Description = "Bench models to run", DefaultValueFactory = _ => [BenchModels.ArithTask, "mid-llama-40M"] };
var swapResults = new Option<string>("--results") { Description = "Folder for the figures", DefaultValueFactory = _ => "bench/results" };
var swapCache = new Option<string>("--cache") { Description = "Where the bench models are written", DefaultValueFactory = _ => "bench/.models" };
swap.Options.Add(swapModels); swap.Options.Add(swapResults); swap.Options.Add(swapCache);
swap.SetAction(parse => WeightSwapBench.Run(BenchModels.Ensure(parse.GetValue(swapCache)!, parse.GetValue(swapModels)!), parse.GetValue(swapResults)!));

var serveLoad = new Command("serve-load", "rollout serve under concurrent clients against offline generate at the same batch size (alternating, medians)");
var serveBatch = new Option<int>("--max-batch") { Description = "The server's --max-batch and the offline batch size", DefaultValueFactory = _ => 64 };
var serveClients = new Option<int>("--clients") { Description = "Concurrent clients", DefaultValueFactory = _ => 64 };
var serveSeconds = new Option<int>("--seconds") { Description = "Load per round", DefaultValueFactory = _ => 60 };
var serveRounds = new Option<int>("--rounds") { Description = "Alternating rounds", DefaultValueFactory = _ => 3 };
var serveProblems = new Option<int>("--problems") { Description = "Held-out problems the clients cycle through (offline: each once)", DefaultValueFactory = _ => 512 };
var serveTokens = new Option<int>("--max-tokens") { Description = "Token budget per rollout", DefaultValueFactory = _ => 200 };
var serveCli = new Option<string>("--cli") { Description = "The built CLI (rollout.dll) that runs `rollout serve`", DefaultValueFactory = _ => "engine/Rollout.Cli/bin/Release/net10.0/rollout.dll" };
var serveModel = new Option<string>("--model") { Description = "Model folder", DefaultValueFactory = _ => "models/arith-qwen2" };
var serveResults = new Option<string>("--results") { Description = "Folder for the figures", DefaultValueFactory = _ => "bench/results" };
foreach (var option in new Option[] { serveBatch, serveClients, serveSeconds, serveRounds, serveProblems, serveTokens, serveCli, serveModel, serveResults })
    serveLoad.Options.Add(option);
serveLoad.SetAction(parse => ServeLoadBench.Run(new(parse.GetValue(serveModel)!, parse.GetValue(serveCli)!, parse.GetValue(serveBatch), parse.GetValue(serveClients),
    parse.GetValue(serveSeconds), parse.GetValue(serveRounds), parse.GetValue(serveProblems), parse.GetValue(serveTokens), parse.GetValue(serveResults)!)));

// One measurement in this process; `peer` starts these so each engine's peak memory is its own.
var worker = new Command("worker") { Hidden = true };
var request = new Option<string>("--request") { Required = true, Description = "The WorkerRequest, as JSON" };
worker.Options.Add(request);
worker.SetAction(parse =>
{
    var r = JsonSerializer.Deserialize<WorkerRequest>(parse.GetValue(request)!)!;
    Console.WriteLine(JsonSerializer.Serialize(PeerEngines.Measure(r.Engine, r)));
    return 0;
});

return new RootCommand("Rollout benchmarks") { peer, experiment, swap, serveLoad, worker }.Parse(args).Invoke();
