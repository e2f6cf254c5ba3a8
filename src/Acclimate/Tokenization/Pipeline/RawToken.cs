namespace Acclimate.Tokenization.Pipeline;

/// <summary>A token of one sequence before the special-token template: id, vocabulary string, UTF-16 span in the caller's text, word index.</summary>
internal readonly record struct RawToken(int Id, string Value, int Start, int End, int Word);
