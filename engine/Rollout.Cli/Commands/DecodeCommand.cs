using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rollout.Engine;
using Rollout.Engine.Tokenization;

namespace Rollout.Cli.Commands;

/// <summary>
/// <c>decode --model DIR --ids 1,2,3</c>: prints the text of the ids. Without --ids it reads JSON lines with
/// <c>token_ids</c> (generate's output, say) from --in or standard input and prints each text as a JSON string on its
/// own line, so a text with line breaks still takes one line. Reads only the tokenizer files.
/// </summary>
internal static class DecodeCommand
{
    private static readonly JsonSerializerOptions TextJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(TextReader stdin)
    {
        var model = new Option<string>("--model") { Description = "Model folder (only its tokenizer files are read)", Required = true };
        var ids = new Option<string?>("--ids") { Description = "Token ids, comma-separated; prints their text" };
        var input = new Option<string?>("--in") { Description = "JSON lines with token_ids (default: standard input); prints one JSON string per line" };
        var skipSpecial = new Option<bool>("--skip-special-tokens") { Description = "Leave special tokens (BOS, EOS, chat markers) out of the text" };
        var command = new Command("decode", "Print the text of token ids") { model, ids, input, skipSpecial };
        command.SetAction(parse =>
        {
            if (parse.GetValue(ids) != null && parse.GetValue(input) != null) throw new InputException("--ids cannot be combined with --in");
            var inPath = parse.GetValue(input);
            if (inPath != null && !File.Exists(inPath)) throw new InputException($"--in {inPath}: file not found");
            var tokenizer = TextTokenizer.Load(parse.GetValue(model)!);
            var stdout = parse.InvocationConfiguration.Output;
            bool skip = parse.GetValue(skipSpecial);
            if (parse.GetValue(ids) is { } list)
            {
                stdout.WriteLine(tokenizer.Decode(Parse(list, tokenizer, "--ids"), skip));
                return 0;
            }
            using var reader = inPath != null ? new StreamReader(inPath) : null;
            var lines = reader ?? stdin;
            string source = inPath ?? "standard input";
            int number = 0;
            while (lines.ReadLine() is { } line)
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                stdout.WriteLine(JsonSerializer.Serialize(tokenizer.Decode(LineIds(line, tokenizer, $"{source}:{number}"), skip), TextJson));
            }
            return 0;
        });
        return command;
    }

    private static int[] Parse(string list, TextTokenizer tokenizer, string where)
    {
        var parts = list.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result[i]))
                throw new InputException($"{where}: '{parts[i]}' is not a token id (a whole number)");
            Check(result[i], tokenizer, where);
        }
        return result;
    }

    private static int[] LineIds(string line, TextTokenizer tokenizer, string where)
    {
        try
        {
            var json = JsonDocument.Parse(line).RootElement;
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("token_ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
                throw new InputException($"{where}: no \"token_ids\" list");
            var result = new int[ids.GetArrayLength()];
            int i = 0;
            foreach (var id in ids.EnumerateArray())
            {
                if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out result[i]))
                    throw new InputException($"{where}: token_ids[{i}] = {id.GetRawText()} is not a token id (a whole number)");
                Check(result[i++], tokenizer, where);
            }
            return result;
        }
        catch (JsonException e) { throw new InputException($"{where}: not JSON ({e.Message})"); }
    }

    // Decoding an unknown id to nothing (as HF does) would hide a wrong id; the user asked for these ids' text.
    private static void Check(int id, TextTokenizer tokenizer, string where)
    {
        if (id < 0 || id >= tokenizer.VocabSize)
            throw new InputException($"{where}: {id} is not a token id of the tokenizer (0..{tokenizer.VocabSize - 1})");
    }
}
