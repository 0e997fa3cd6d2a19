using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rollout.Engine.Tests.Tokenization;

/// <summary>
/// How Hugging Face (transformers.js) tokenized a set of texts with one tokenizer folder, recorded by
/// tests/hf-reference/tokenize.mjs into Fixtures/&lt;name&gt;.json.
/// </summary>
public sealed record HfReferenceFixture(string Source, HfReferenceCase[] Cases)
{
    public static HfReferenceFixture Read(string name)
    {
        var path = Path.Combine(Rollout.Tests.RepoPaths.Root, "tests", "Rollout.Engine.Tests", "Tokenization", "Fixtures", name + ".json");
        return JsonSerializer.Deserialize<HfReferenceFixture>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }
}

public sealed record HfReferenceCase(
    string Text,
    int[] Ids,
    int[] IdsWithoutSpecialTokens,
    string Decoded,
    string DecodedSkippingSpecial);
