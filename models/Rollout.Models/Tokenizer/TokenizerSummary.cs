namespace Rollout.Models.Tokenizer;

/// <summary>What <see cref="TokenizerFilesWriter.WriteTrained"/> wrote: the vocabulary size and the special tokens' ids.</summary>
public sealed record TokenizerSummary(int VocabSize, int EndOfTextId, IReadOnlyDictionary<string, int> SpecialTokens);
