return Rollout.Cli.Cli.Run(args, Console.Out, Console.Error);
