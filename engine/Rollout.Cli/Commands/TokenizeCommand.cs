using System.CommandLine;
using Rollout.Engine.Tokenization;

namespace Rollout.Cli.Commands;

/// <summary><c>tokenize --model DIR --text STR</c>: prints the ids as a JSON array; reads only the tokenizer files.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder (only its tokenizer files are read)", Required = true };
        var text = new Option<string>("--text") { Description = "Text to encode", Required = true };
        var noSpecial = new Option<bool>("--no-special-tokens") { Description = "Do not add BOS/EOS the way the tokenizer would" };
        var command = new Command("tokenize", "Print the token ids of a text as a JSON array") { model, text, noSpecial };
        command.SetAction(parse =>
        {
            var tokenizer = TextTokenizer.Load(parse.GetValue(model)!);
            var ids = tokenizer.Encode(parse.GetValue(text)!, addSpecialTokens: !parse.GetValue(noSpecial));
            parse.InvocationConfiguration.Output.WriteLine("[" + string.Join(",", ids) + "]");
            return 0;
        });
        return command;
    }
}
