using System.CommandLine;
using Rollout.Cluster.Bench;

var cluster = new Option<string>("--cluster") { Description = "dev or the workers' PostgreSQL connection string", Required = true };
var model = new Option<string>("--model") { Description = "Model folder (its test.jsonl gives the prompts)", DefaultValueFactory = _ => "models/arith-qwen2" };
var prompts = new Option<int>("--prompts") { Description = "Prompt groups", DefaultValueFactory = _ => 64 };
var samples = new Option<int>("--n") { Description = "Samples per prompt", DefaultValueFactory = _ => 8 };
var tokens = new Option<int>("--max-new-tokens") { Description = "Token budget per rollout", DefaultValueFactory = _ => 256 };
var l2t = new Option<bool>("--l2t") { Description = "Score for L2T too" };
var results = new Option<string>("--results") { Description = "Folder for the figures", DefaultValueFactory = _ => "bench/results" };
var root = new RootCommand("Per prompt group: the cluster's time outside the engine (serialization, transport, scheduling) against its engine time, on workers already running")
    { cluster, model, prompts, samples, tokens, l2t, results };
root.SetAction(parse => ClusterOverheadBench.Run(parse.GetValue(cluster)!, parse.GetValue(model)!, parse.GetValue(prompts), parse.GetValue(samples),
    parse.GetValue(tokens), parse.GetValue(l2t), parse.GetValue(results)!));
return root.Parse(args).Invoke();
